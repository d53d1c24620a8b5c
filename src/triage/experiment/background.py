"""Work that runs in a thread of its own while the caller goes on.

A pipeline step that is one thread of Python (logging, drawing the data,
building features) leaves the second core idle; work that does not depend on
it (the truth check's refits, the bootstrap, hashing the data) can use that
core meanwhile. The result is a ``Future``: whoever needs it calls ``.result()``
and waits only if it is not ready.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any


def in_background(name: str, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
    """``fn(*args, **kwargs)`` in a new thread named ``name``; its ``Future``."""
    worker = ThreadPoolExecutor(1, thread_name_prefix=name)
    future = worker.submit(fn, *args, **kwargs)
    worker.shutdown(wait=False)  # the work runs on; nothing else will be submitted
    return future


def after(first: Future, name: str, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
    """``fn(*args, **kwargs)`` in a new thread once ``first`` is done (whatever its outcome).

    For work that would only slow down ``first`` if both shared the cores, while the
    caller needs ``first`` sooner.
    """

    def run() -> Any:
        wait([first])
        return fn(*args, **kwargs)

    return in_background(name, run)
