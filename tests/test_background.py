"""Work handed to a thread of its own."""

from __future__ import annotations

import threading

import pytest

from triage.experiment.background import after, in_background


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


def test_after_starts_only_once_the_first_work_is_done_even_if_it_failed():
    release = threading.Event()

    def first():
        release.wait(timeout=10)
        raise ValueError("bootstrap failed")

    seen = []
    earlier = in_background("first", first)
    later = after(earlier, "second", lambda x: seen.append((x, earlier.done())) or x, 7)
    assert not later.done() and not seen  # waiting for the first
    release.set()
    assert later.result(timeout=10) == 7
    assert seen == [(7, True)]
    with pytest.raises(ValueError, match="bootstrap failed"):
        earlier.result()
