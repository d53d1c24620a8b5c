"""Work handed to a thread of its own."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from triage.experiment.background import IDLE_NICE, in_background, in_idle_time


def test_in_background_runs_in_its_own_named_thread_and_returns_the_result():
    started = threading.Event()

    def work(a, *, b):
        started.set()
        return a + b, threading.current_thread().name

    future = in_background("sums", work, 2, b=3)
    value, thread = future.result(timeout=10)
    assert started.is_set() and value == 5
    assert thread.startswith("sums") and thread != threading.current_thread().name


def test_in_background_keeps_the_error_for_whoever_waits():
    def fail():
        raise ValueError("row 3: expected a date")

    with pytest.raises(ValueError, match="row 3"):
        in_background("failing", fail).result(timeout=10)


@pytest.mark.skipif(sys.platform != "linux", reason="a thread's own nice value is Linux's")
def test_idle_time_work_runs_at_the_lowest_priority_and_leaves_the_callers_alone():
    def nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = nice()
    assert in_idle_time("idle", nice).result(timeout=10) == IDLE_NICE
    assert nice() == before
