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
from collections.abc import Iterator
from contextlib import contextmanager

THREADS_ENV = "TRIAGE_THREADS"

_held = 0  # threads taken by the pipeline's own single-threaded work in the background
_held_lock = threading.Lock()


def thread_budget() -> int:
    """``TRIAGE_THREADS`` when it is a positive integer, else the machine's cores; fewer
    (at least 1) while ``holding`` blocks run."""
    value = os.environ.get(THREADS_ENV, "").strip()
    share = int(value) if value.isdigit() and int(value) > 0 else os.cpu_count() or 1
    return max(1, share - _held)


@contextmanager
def holding(threads: int = 1) -> Iterator[None]:
    """``thread_budget()`` is ``threads`` lower while the block runs: the block starts
    single-threaded work in a background thread, and threaded work started meanwhile
    (a LightGBM prediction) should leave it its core instead of stalling on it."""
    global _held
    with _held_lock:
        _held += threads
    try:
        yield
    finally:
        with _held_lock:
            _held -= threads
