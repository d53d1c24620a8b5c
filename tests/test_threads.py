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


def test_a_hold_is_released_once_however_often_it_is_released(monkeypatch):
    from triage.contract.threads import hold

    monkeypatch.setenv(THREADS_ENV, "4")
    first, second = hold(1), hold(2)
    assert thread_budget() == 1
    first()
    first()
    assert thread_budget() == 2
    second()
    assert thread_budget() == 4


def test_holds_never_take_the_budget_below_one_thread(monkeypatch):
    from triage.contract.threads import hold

    monkeypatch.setenv(THREADS_ENV, "3")
    release = hold(5)
    assert thread_budget() == 1
    release()
    assert thread_budget() == 3


def test_candidates_fitted_beside_each_other_are_those_fitted_one_after_another(monkeypatch):
    """The single-threaded fits run in the background while LightGBM scores the calibration
    window on the cores left; with one thread everything runs in turn. Same candidates."""
    from triage.experiment.config import find_config, load_config
    from triage.experiment.data import load_data
    from triage.experiment.training import TrainedCandidates, fit_candidates
    from triage.features import NoticeFeatures

    ci = load_config(find_config("ci"))
    raw = ci.model_dump(mode="json")
    raw["candidates"]["lightgbm"]["params"]["num_threads"] = 2  # the CI config's is 1: no overlap
    cfg = type(ci).model_validate(raw)
    assert {"lightgbm", "scorecard", "checklist"} <= set(cfg.enabled_candidates())
    data = load_data(cfg.data, seed=cfg.seed)
    features = NoticeFeatures().fit(data.notices)
    X = features.transform(data.notices)
    y = data.truth["recorded_harm_90d"].to_numpy(int)
    names = list(features.get_feature_names_out())
    third = len(X) // 3
    train, cal, test = slice(0, third), slice(third, 2 * third), slice(2 * third, None)

    def fitted() -> dict:
        return fit_candidates(
            cfg, X[train], y[train], X[cal], y[cal], names, X_test=X[test]
        )  # fmt: skip

    monkeypatch.setenv(THREADS_ENV, "2")
    beside = fitted()
    assert thread_budget() == 2  # the core held for the background fits is back
    monkeypatch.setenv(THREADS_ENV, "1")
    in_turn = fitted()
    assert list(beside) == list(in_turn) == list(cfg.enabled_candidates())
    for name in beside:
        np.testing.assert_array_equal(beside[name].raw_cal, in_turn[name].raw_cal)
        np.testing.assert_array_equal(beside[name].risk_cal, in_turn[name].risk_cal)
        np.testing.assert_array_equal(beside[name].raw_test, in_turn[name].raw_test)
    np.testing.assert_array_equal(
        beside["scorecard"].model.points_, in_turn["scorecard"].model.points_
    )
    assert thread_budget() == 1  # nothing left held
    # The test window scored while training is what the packaged models give on it.
    trained = TrainedCandidates(candidates=beside, chosen="lightgbm", selection={})
    by_model = trained.predict(X[test])
    for name, risks in trained.test_risks().items():
        np.testing.assert_array_equal(risks, by_model[name])


def test_test_risks_need_a_test_window_scored_while_training():
    from triage.experiment.training import Candidate, TrainedCandidates

    empty = np.zeros(0)
    cand = Candidate(name="m", model=None, calibrated=None, raw_cal=empty, risk_cal=empty)
    with pytest.raises(ValueError, match=r"no test window was scored while training: \['m'\]"):
        TrainedCandidates(candidates={"m": cand}, chosen="m", selection={}).test_risks()


def test_lightgbm_predicts_by_blocks_what_it_predicts_at_once(monkeypatch):
    import triage.models.gbm as gbm

    rng = np.random.default_rng(5)
    X = rng.normal(size=(500, 3))
    y = (X[:, 0] + rng.normal(size=500) > 0).astype(int)
    model = gbm.MonotoneLGBM(n_estimators=20, feature_names=["a", "b", "c"]).fit(X, y)
    monkeypatch.setattr(gbm, "PREDICT_ROWS", 7)
    np.testing.assert_array_equal(model.predict_proba(X)[:, 1], model.booster_.predict(X))


def test_lightgbm_calls_wait_for_each_other(monkeypatch):
    """LightGBM keeps the thread count of its latest call process-wide: two calls side by side
    with different counts crashed the suite once. Every fit and prediction takes one lock."""
    from concurrent.futures import ThreadPoolExecutor

    import triage.models.gbm as gbm

    rng = np.random.default_rng(6)
    X = rng.normal(size=(300, 2))
    y = (X[:, 0] > 0).astype(int)
    model = gbm.MonotoneLGBM(n_estimators=5, feature_names=["a", "b"]).fit(X, y)
    with ThreadPoolExecutor(2) as pool:
        with gbm.LIGHTGBM_CALLS:
            predicting = pool.submit(model.predict_proba, X)
            fitting = pool.submit(gbm.MonotoneLGBM(n_estimators=5, num_threads=1).fit, X, y)
            with pytest.raises(TimeoutError):
                predicting.result(timeout=0.5)
            assert not fitting.done()
        assert predicting.result(timeout=30).shape == (300, 2)
        assert fitting.result(timeout=30).booster_ is not None


def test_a_prediction_beside_a_busy_lightgbm_uses_the_bit_masks_built_already():
    """A background fit holds LightGBM's lock for seconds; a prediction of a model whose
    trees are bit masks already does not wait for it, and gets LightGBM's numbers."""
    from concurrent.futures import ThreadPoolExecutor

    import triage.models.gbm as gbm

    rng = np.random.default_rng(7)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] + rng.normal(size=400) > 0).astype(int)
    model = gbm.MonotoneLGBM(n_estimators=15, feature_names=["a", "b", "c"]).fit(X, y)
    other = gbm.MonotoneLGBM(n_estimators=15, feature_names=["a", "b", "c"]).fit(X, y + 0)
    want = model.booster_.predict(X)
    assert gbm.bitmask_forest(model.booster_) is not None  # built (other's is not)
    with ThreadPoolExecutor(2) as pool, gbm.LIGHTGBM_CALLS:
        got = pool.submit(model.predict_proba, X).result(timeout=10)[:, 1]
        waiting = pool.submit(other.predict_proba, X)
        with pytest.raises(TimeoutError):
            waiting.result(timeout=0.5)
    np.testing.assert_array_equal(got, want)
    assert waiting.result(timeout=30).shape == (400, 2)
