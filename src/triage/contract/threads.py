"""How many threads one pipeline may use in this process: the one place that decides it.

Every core by default. A process that runs several pipelines side by side on one machine
(a sweep's Dask workers, one per core) sets ``TRIAGE_THREADS`` to its share of the cores,
so that the LightGBM fits, the bootstraps and the refits of the cells do not fight over
the same cores (oversubscribed OpenMP threads spin and wait). Results do not depend on
it: the bootstraps draw per chunk from fixed seeds, LightGBM runs deterministic.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

THREADS_ENV = "TRIAGE_THREADS"

_held = 0  # threads taken by the pipeline's own single-threaded work in the background
_held_lock = threading.Lock()


def thread_budget() -> int:
    """``TRIAGE_THREADS`` when it is a positive integer, else the machine's cores; fewer
    (at least 1) while some are held (``hold``)."""
    value = os.environ.get(THREADS_ENV, "").strip()
    share = int(value) if value.isdigit() and int(value) > 0 else os.cpu_count() or 1
    return max(1, share - _held)


def hold(threads: int = 1) -> Callable[[], None]:
    """Lower ``thread_budget()`` by ``threads`` until the function returned is called (once
    counts): for single-threaded work started in a background thread, which gives its
    core back when it ends, so that threaded work started meanwhile (a LightGBM
    prediction) leaves it that core instead of stalling on it."""
    global _held
    with _held_lock:
        _held += threads
    released = threading.Event()

    def release() -> None:
        global _held
        with _held_lock:
            if not released.is_set():
                released.set()
                _held -= threads

    return release
