"""Work that runs in a thread of its own while the caller goes on.

A pipeline step that is one thread of Python (logging, drawing the data,
building features) leaves the second core idle; work that does not depend on
it (the truth check's refits, the bootstrap, hashing the data) can use that
core meanwhile. The result is a ``Future``: whoever needs it calls ``.result()``
and waits only if it is not ready. ``in_idle_time`` runs such work at the
lowest priority, so that it uses idle cores only.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

IDLE_NICE = 19
"""The nice value of work that should use only cores nothing else wants (Linux: per thread)."""


def in_background(name: str, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
    """``fn(*args, **kwargs)`` in a new thread named ``name``; its ``Future``."""
    worker = ThreadPoolExecutor(1, thread_name_prefix=name)
    future = worker.submit(fn, *args, **kwargs)
    worker.shutdown(wait=False)  # the work runs on; nothing else will be submitted
    return future


def in_idle_time(name: str, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
    """``in_background``, at the lowest scheduling priority (Linux; elsewhere as ``in_background``).

    For work whose result is wanted only at the end: it takes a core only when the
    pipeline's own threads leave one idle, instead of stalling LightGBM's threads, which
    wait for each other at every split whenever one of them loses its core. Not for work
    the caller will wait for while its other threads are busy: the priority cannot be
    raised again, so it would wait for them too.
    """

    def run() -> Any:
        if sys.platform == "linux":  # a thread's own nice value (POSIX says per process)
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), IDLE_NICE)
        return fn(*args, **kwargs)

    return in_background(name, run)
