"""Named points where a fault test may freeze a run, to kill it there with ``kill -9``.

Inert unless ``TRIAGE_FAULT_TEST_HOLD_AT`` names the point (only
tests/test_registry_faults.py sets it): then the process writes the point's
name to ``TRIAGE_FAULT_TEST_MARKER`` and sleeps until it is killed. Points:
``training`` (before the MLflow run opens), ``run_opened`` (the run is
logging), ``version_created`` (a model version exists, its alias not moved).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

HOLD_AT_ENV = "TRIAGE_FAULT_TEST_HOLD_AT"
MARKER_ENV = "TRIAGE_FAULT_TEST_MARKER"
POINTS = ("training", "run_opened", "version_created")
HOLD_SECONDS = 600.0


def hold_for_fault_test(point: str) -> None:
    """Freeze here if a fault test asked for ``point``; return at once otherwise."""
    if os.environ.get(HOLD_AT_ENV) != point:
        return
    marker = os.environ.get(MARKER_ENV)
    if marker:
        tmp = Path(marker).with_suffix(".tmp")
        tmp.write_text(point, "utf-8")
        tmp.replace(marker)  # the test sees the whole name or nothing
    time.sleep(HOLD_SECONDS)  # the test kills us meanwhile
