"""The thread budget of one pipeline (``TRIAGE_THREADS``), and that results do not depend on it."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from triage.contract.threads import THREADS_ENV, thread_budget


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("3", 3), (" 2 ", 2)])
def test_the_budget_is_the_variable_when_it_is_a_positive_integer(monkeypatch, value, expected):
    monkeypatch.setenv(THREADS_ENV, value)
    assert thread_budget() == expected


@pytest.mark.parametrize("value", ["", "0", "-1", "two", "1.5"])
def test_otherwise_every_core(monkeypatch, value):
    monkeypatch.setenv(THREADS_ENV, value)
    assert thread_budget() == (os.cpu_count() or 1)


def test_a_lightgbm_fit_and_a_bootstrap_give_the_same_numbers_on_one_thread(monkeypatch):
    from triage.evaluation import bootstrap_intervals
    from triage.models.gbm import MonotoneLGBM

    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 4))
    y = (X[:, 0] + rng.normal(size=3000) > 0.5).astype(int)

    def run() -> tuple[np.ndarray, object]:
        model = MonotoneLGBM(n_estimators=30, feature_names=["a", "b", "c", "d"]).fit(X, y)
        p = model.predict_proba(X)[:, 1]
        return p, bootstrap_intervals(y, {"m": p}, n_boot=200, seed=1)

    monkeypatch.delenv(THREADS_ENV, raising=False)
    every_core = run()
    monkeypatch.setenv(THREADS_ENV, "1")
    one = run()
    np.testing.assert_array_equal(every_core[0], one[0])
    pd.testing.assert_frame_equal(every_core[1], one[1])
