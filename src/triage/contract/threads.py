"""How many threads one pipeline may use in this process: the one place that decides it.

Every core by default. A process that runs several pipelines side by side on one machine
(a sweep's Dask workers, one per core) sets ``TRIAGE_THREADS`` to its share of the cores,
so that the LightGBM fits, the bootstraps and the refits of the cells do not fight over
the same cores (oversubscribed OpenMP threads spin and wait). Results do not depend on
it: the bootstraps draw per chunk from fixed seeds, LightGBM runs deterministic.
"""

from __future__ import annotations

import os

THREADS_ENV = "TRIAGE_THREADS"


def thread_budget() -> int:
    """``TRIAGE_THREADS`` when it is a positive integer, else the machine's cores."""
    value = os.environ.get(THREADS_ENV, "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return os.cpu_count() or 1
