"""A bound on password hashing: argon2 costs 64 MiB and all cores for a moment per check.

Without a bound, a hundred logins at once hash a hundred passwords at once
(gigabytes of memory) and fill the thread pool the queue and the decisions
need. Here the checks run on their own few threads (``concurrent``); further
logins wait *without* holding a thread (they await on the event loop). A
login holds a :meth:`~PasswordChecks.place` in the waiting room from the
moment it arrives (its wait for the login limiter included) until its check
is done; beyond ``max_waiting`` places, logins are refused at once. The checking threads run at
a lower CPU priority (argon2's own lane threads inherit it), so while a flood
of logins is being hashed, the logged-in workers' requests still get the
processor first.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
LOWER_PRIORITY = 10
"""Added to the nice value of the checking threads (Linux: per thread)."""


def default_concurrency() -> int:
    # argon2-cffi's default profile already hashes on 4 lanes: one check per two cores.
    return max(1, (os.cpu_count() or 2) // 2)


def _lower_priority() -> None:
    # Not Linux, or not allowed: the bound on concurrent checks still holds.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWER_PRIORITY)


class TooBusy(Exception):
    """More logins are waiting than ``max_waiting``; the caller answers 'try again shortly'."""


class PasswordChecks:
    def __init__(self, concurrent: int | None = None, max_waiting: int = 64) -> None:
        self.concurrent = concurrent or default_concurrency()
        self.max_waiting = max_waiting
        self._pending = 0
        self._lock = threading.Lock()
        self._threads = ThreadPoolExecutor(
            max_workers=self.concurrent,
            thread_name_prefix="password-check",
            initializer=_lower_priority,
        )

    @contextlib.contextmanager
    def place(self) -> Iterator[None]:
        """A place in the waiting room for the ``with`` block; raises :class:`TooBusy` if full."""
        with self._lock:
            if self._pending >= self.max_waiting:
                raise TooBusy()
            self._pending += 1
        try:
            yield
        finally:
            with self._lock:
                self._pending -= 1

    async def check(self, check: Callable[..., T], *args: object) -> T:
        """``check(*args)`` on a checking thread once one is free (the caller holds a place)."""
        return await asyncio.get_running_loop().run_in_executor(self._threads, check, *args)

    async def run(self, check: Callable[..., T], *args: object) -> T:
        """:meth:`check` in a place of its own; raises :class:`TooBusy`."""
        with self.place():
            return await self.check(check, *args)
