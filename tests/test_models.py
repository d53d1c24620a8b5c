"""Candidate models: sklearn contract, checklist questions, scorecard points, monotone GBM."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from frames import make_notice_frame
from triage.contract import TIERS
from triage.features import MONOTONE_INCREASING, NoticeFeatures
from triage.models import (
    CANDIDATES,
    CHECKLIST,
    ChecklistBaseline,
    MonotoneLGBM,
    Question,
    Scorecard,
    ShallowTree,
    make_candidate,
)
from triage.models.scorecard import BASE_ROW

# Settings that keep the generic checks fast. One thread: the checks fit
# hundreds of tiny models, where OpenMP start-up dominates and, on a busy
# 2-core machine, a second thread can make each fit 100x slower.
CHECK_QUESTIONS = (
    Question("x0_high", "Is column 0 non-negative?", "immediate", ((0, ">=", 0.0),)),
)
CHECKED = [
    ChecklistBaseline(questions=CHECK_QUESTIONS),
    Scorecard(),
    Scorecard(penalty="l1"),
    MonotoneLGBM(n_estimators=20, min_child_samples=2, num_threads=1),
    ShallowTree(min_samples_leaf=1),
]


@parametrize_with_checks(CHECKED)
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def data():
    train, y = make_notice_frame(2000, seed=0)
    test, y_test = make_notice_frame(2000, seed=1)
    nf = NoticeFeatures().fit(train)
    names = list(nf.get_feature_names_out())
    return {
        "frame": train,
        "X": nf.transform(train),
        "y": y,
        "X_test": nf.transform(test),
        "y_test": y_test,
        "names": names,
    }


FAST = {
    "checklist": {},
    "scorecard": {},
    "lightgbm": {"n_estimators": 100, "min_child_samples": 20, "num_threads": 1},
    "tree": {},
}


@pytest.fixture(scope="module")
def fitted(data):
    return {
        name: make_candidate(name, feature_names=data["names"], **FAST[name]).fit(
            data["X"], data["y"]
        )
        for name in CANDIDATES
    }


@pytest.mark.parametrize("name", sorted(CANDIDATES))
def test_each_candidate_beats_chance_on_the_planted_signal(data, fitted, name):
    proba = fitted[name].predict_proba(data["X_test"])
    assert proba.shape == (len(data["y_test"]), 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert list(fitted[name].classes_) == [0, 1]
    assert roc_auc_score(data["y_test"], proba[:, 1]) > 0.6


def test_registry_builds_unfitted_candidates_and_refuses_unknown_names():
    assert set(CANDIDATES) == {"checklist", "scorecard", "lightgbm", "tree"}
    assert isinstance(make_candidate("scorecard", C=0.5), Scorecard)
    assert make_candidate("lightgbm").get_params()["num_threads"] == 2
    assert not hasattr(make_candidate("tree"), "classes_")
    with pytest.raises(ValueError, match="unknown candidate"):
        make_candidate("neural_net")


def test_feature_names_come_from_a_pandas_pipeline(data):
    frame = data["frame"]
    pipe = make_pipeline(NoticeFeatures().set_output(transform="pandas"), Scorecard())
    pipe.fit(frame, data["y"])
    assert list(pipe[-1].feature_names_) == data["names"]
    direct = Scorecard(feature_names=data["names"]).fit(data["X"], data["y"])
    assert np.allclose(pipe.predict_proba(frame), direct.predict_proba(data["X"]))


def test_feature_names_of_the_wrong_length_are_refused(data):
    with pytest.raises(ValueError, match="feature_names"):
        Scorecard(feature_names=data["names"][:-1]).fit(data["X"], data["y"])


# --- checklist ---------------------------------------------------------------


def _expected_answers(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each default question written out independently, on the raw notice frame."""

    def yes(*fields: str) -> np.ndarray:
        return np.logical_or.reduce([frame[f].fillna(False).to_numpy(dtype=bool) for f in fields])

    injury = frame["injury"].astype(str).to_numpy()
    return {
        "protection_request": yes("child_requests_protection", "sexual_abuse_disclosure"),
        "serious_injury": (injury == "serious") | yes("injury_head_face"),
        "weapon": yes("weapon_used"),
        "infant_injured": (frame["child_age_years"].to_numpy() <= 2) & (injury != "none"),
        "dv_lethal": yes("dv_strangulation", "dv_weapon", "dv_child_injured"),
        "prior_protection": yes("prior_protection", "returning_home_after_protection"),
        "repeat_notices": frame["prior_notices"].fillna(0).to_numpy() >= 2,
        "contact_refused": yes("contact_refused"),
        "child_fears_home": yes("child_fears_home"),
        "child_unseen": yes("missed_health_checks", "not_enrolled", "no_service_use"),
        "caregiver_risk": yes("caregiver_substance_use", "caregiver_mental_illness"),
        "dv_in_home": yes("dv_in_home", "dv_physical_assault"),
        "isolation": yes("socially_isolated", "young_caregiver"),
    }


def test_each_checklist_question_fires_exactly_on_its_condition(data, fitted):
    model = fitted["checklist"]
    answers = model.answers(data["X"])
    expected = _expected_answers(data["frame"])
    assert [q.id for q in CHECKLIST] == list(expected)
    for k, q in enumerate(CHECKLIST):
        assert 0 < expected[q.id].sum() < len(expected[q.id]), q.id  # the test can tell
        assert np.array_equal(answers[:, k], expected[q.id]), q.id


def test_checklist_counts_unknown_as_no(data, fitted):
    frame = data["frame"].iloc[:50].copy()
    for field in ("weapon_used", "child_requests_protection", "sexual_abuse_disclosure"):
        frame[field] = pd.array([pd.NA] * len(frame), dtype="boolean")
    frame["prior_notices"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    X = NoticeFeatures().fit(frame).transform(frame)
    answers = fitted["checklist"].answers(X)
    ids = [q.id for q in CHECKLIST]
    for qid in ("weapon", "protection_request", "repeat_notices"):
        assert not answers[:, ids.index(qid)].any()


def test_checklist_tier_is_the_highest_tier_of_a_yes(data, fitted):
    model = fitted["checklist"]
    answers = model.answers(data["X_test"])
    tiers = model.predict_tier(data["X_test"])
    q_rank = np.array([TIERS.index(q.tier) for q in CHECKLIST])
    expected = np.where(answers, q_rank, len(TIERS) - 1).min(axis=1)
    assert list(tiers) == [TIERS[i] for i in expected]
    assert set(tiers) == set(TIERS)


def test_checklist_risk_never_falls_as_the_level_rises(data, fitted):
    model = fitted["checklist"]
    assert np.all(np.diff(model.level_risk_) >= 0)
    level = model.checklist_level(data["X_test"])
    p = model.predict_proba(data["X_test"])[:, 1]
    order = np.argsort(level, kind="stable")
    assert np.all(np.diff(p[order]) >= 0)


def test_checklist_refuses_a_question_about_a_missing_column(data):
    q = (Question("nope", "?", "urgent", (("no_such_column=yes", ">=", 1.0),)),)
    with pytest.raises(ValueError, match="no_such_column"):
        ChecklistBaseline(questions=q, feature_names=data["names"]).fit(data["X"], data["y"])


# --- scorecard ---------------------------------------------------------------


@pytest.mark.parametrize("penalty", ["l2", "l1"])
def test_scorecard_hand_sum_equals_model_total(data, penalty):
    model = Scorecard(penalty=penalty, feature_names=data["names"]).fit(data["X"], data["y"])
    table = model.points_table()
    assert table["feature"].iloc[0] == BASE_ROW
    assert (table["points"].iloc[1:] != 0).all()
    assert table["points"].map(type).eq(int).all()
    X = pd.DataFrame(data["X_test"][:200], columns=data["names"])
    totals = model.total_points(data["X_test"][:200])
    for i in range(len(X)):
        row = X.iloc[i]
        by_hand = sum(
            pts * (1 if feat == BASE_ROW else int(row[feat]))
            for feat, pts in zip(table["feature"], table["points"], strict=True)
        )
        assert by_hand == totals[i]


def test_scorecard_probability_is_monotone_in_points(data, fitted):
    model = fitted["scorecard"]
    totals = model.total_points(data["X_test"])
    p = model.predict_proba(data["X_test"])[:, 1]
    order = np.argsort(totals, kind="stable")
    assert np.all(np.diff(p[order]) >= 0)
    assert len(np.unique(totals)) > 10
    same = totals == totals[0]
    assert np.allclose(p[same], p[same][0])  # same points, same probability
    assert model.mapping_[1] > 0


def test_scorecard_points_follow_the_planted_direction(fitted):
    pts = fitted["scorecard"].points_table().set_index("feature")["points"]
    for col in ("sexual_abuse_disclosure=yes", "child_requests_protection=yes", "weapon_used=yes"):
        assert pts[col] > 0


# --- LightGBM -----------------------------------------------------------------


def test_lightgbm_raising_prior_notices_never_lowers_risk(data, fitted):
    model = fitted["lightgbm"]
    j = data["names"].index("prior_notices")
    X = np.array(data["X_test"][:500])
    base = model.predict_proba(X)[:, 1]
    for step in (1, 2, 5, 20):
        raised = X.copy()
        raised[:, j] += step
        assert np.all(model.predict_proba(raised)[:, 1] >= base - 1e-12)


def test_lightgbm_turning_a_monotone_factor_on_never_lowers_risk(data, fitted):
    model = fitted["lightgbm"]
    names = data["names"]
    X = np.array(data["X_test"][:300])
    for col in MONOTONE_INCREASING:
        if "=" not in col:
            continue
        j = names.index(col)
        off, on = X.copy(), X.copy()
        off[:, j], on[:, j] = 0.0, 1.0
        unknown = col.replace("=yes", "=unknown")
        if unknown in names:  # compare known-no with known-yes
            off[:, names.index(unknown)] = on[:, names.index(unknown)] = 0.0
        gain = model.predict_proba(on)[:, 1] - model.predict_proba(off)[:, 1]
        assert np.all(gain >= -1e-12), col


def test_lightgbm_is_deterministic_and_exposes_a_named_booster(data, fitted):
    model = fitted["lightgbm"]
    again = clone(model).fit(data["X"], data["y"])
    assert np.array_equal(model.predict_proba(data["X_test"]), again.predict_proba(data["X_test"]))
    assert model.booster_.feature_name() == data["names"]
    cst = dict(zip(data["names"], model.monotone_constraints_, strict=True))
    assert cst["prior_notices"] == 1 and cst["route=police"] == 0
    contrib = model.booster_.predict(data["X_test"][:5], pred_contrib=True)
    assert contrib.shape == (5, len(data["names"]) + 1)


# --- tree ---------------------------------------------------------------------


def test_shallow_tree_stays_shallow_and_prints_named_rules(fitted):
    tree = fitted["tree"]
    assert tree.estimator_.get_depth() <= 4
    assert "=yes" in tree.rules() or "injury=" in tree.rules()


def _calibration_data():
    rng = np.random.default_rng(0)
    X = rng.random((3000, 4))
    y = (rng.random(3000) < 1 / (1 + np.exp(-3 * (X[:, 0] - 0.5)))).astype(int)
    model = make_candidate("scorecard", feature_names=["a", "b", "c", "d"]).fit(X, y)
    return X, y, model


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_calibration_from_cached_scores_equals_fitting_and_predicting_again(method):
    from triage.models.calibrated import CalibratedModel

    X, y, model = _calibration_data()
    raw = model.predict_proba(X)[:, 1]
    from_scores = CalibratedModel(model, method=method).fit_scores(raw, y)
    from_rows = CalibratedModel(model, method=method).fit(X, y)
    p = from_rows.predict_proba(X)
    np.testing.assert_array_equal(from_scores.calibrate(raw), p[:, 1])
    np.testing.assert_array_equal(from_scores.predict_proba(X), p)
    np.testing.assert_array_equal(p.sum(axis=1), 1.0)
    assert from_rows.estimator is model  # calibrating never refits the candidate
    assert set(from_rows.predict(X)) <= set(model.classes_)


def test_isotonic_calibration_matches_scikit_learn_on_a_frozen_candidate():
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    from triage.models.calibrated import CalibratedModel

    X, y, model = _calibration_data()
    ours = CalibratedModel(model, method="isotonic").fit(X, y).predict_proba(X)
    sk = CalibratedClassifierCV(FrozenEstimator(model), method="isotonic").fit(X, y)
    np.testing.assert_allclose(ours, sk.predict_proba(X), atol=1e-12)


def test_sigmoid_calibration_is_close_to_platt_scaling_in_scikit_learn():
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    from triage.models.calibrated import CalibratedModel

    X, y, model = _calibration_data()
    ours = CalibratedModel(model, method="sigmoid").fit(X, y).predict_proba(X)[:, 1]
    sk = CalibratedClassifierCV(FrozenEstimator(model), method="sigmoid").fit(X, y)
    # Platt's smoothed targets are the only difference: a few thousandths at most.
    np.testing.assert_allclose(ours, sk.predict_proba(X)[:, 1], atol=5e-3)


def test_calibration_refuses_what_it_cannot_calibrate():
    from triage.models.calibrated import CalibratedModel

    X, y, model = _calibration_data()
    raw = model.predict_proba(X)[:, 1]
    unfitted = make_candidate("scorecard", feature_names=["a", "b", "c", "d"])
    with pytest.raises(TypeError, match="fitted candidate"):
        CalibratedModel(unfitted).fit(X, y)
    with pytest.raises(ValueError, match="3000 scores, 10 outcomes"):
        CalibratedModel(model).fit_scores(raw, y[:10])
    with pytest.raises(ValueError, match="both outcomes"):
        CalibratedModel(model).fit_scores(raw, np.zeros_like(y))
    with pytest.raises(ValueError, match="method"):
        CalibratedModel(model, method="beta").fit_scores(raw, y)


def test_scorecard_solves_in_float64_where_float32_sums_lose_the_penalty():
    # Six one-hot groups that each add up to one and a weak penalty: only the penalty
    # holds the directions along them, and float32 sums over 20,000 rows cannot.
    import warnings

    from scipy.linalg import LinAlgWarning

    rng = np.random.default_rng(0)
    groups = [np.eye(k, dtype=np.float32)[rng.integers(0, k, 20_000)] for k in (3, 4, 3, 5, 3, 3)]
    X = np.hstack(groups)
    y = (rng.random(20_000) < 1 / (1 + np.exp(-(X[:, 0] - X[:, 4] + X[:, 8] - 2)))).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LinAlgWarning)
        model = make_candidate("scorecard", C=1000.0).fit(X, y)
        with pytest.raises(LinAlgWarning):  # what the same fit on the float32 rows meets
            from sklearn.linear_model import LogisticRegression

            LogisticRegression(C=1000.0, l1_ratio=0.0, solver="newton-cholesky").fit(X, y)
    assert model.n_iter_ < 20  # Newton's few steps, not the lbfgs fallback


def test_scorecard_warm_start_from_a_sample_reaches_the_same_points(monkeypatch):
    import triage.models.scorecard as scorecard

    rng = np.random.default_rng(3)
    X = np.hstack(
        [np.eye(k)[rng.integers(0, k, 6000)] for k in (3, 4, 5)] + [rng.integers(0, 6, (6000, 2))]
    )
    y = (rng.random(6000) < 1 / (1 + np.exp(-(X[:, 0] - X[:, 5] + 0.3 * X[:, -1] - 2)))).astype(int)
    fits = {}
    for rows in (500, 10**9):  # a warm start from 500 sampled rows; none
        monkeypatch.setattr(scorecard, "WARM_START_ROWS", rows)
        fits[rows] = make_candidate("scorecard", C=0.1).fit(X, y)
    warm, cold = fits[500], fits[10**9]
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-3)
    assert np.array_equal(warm.points_, cold.points_) and warm.base_points_ == cold.base_points_
    assert warm.n_iter_ < cold.n_iter_


def test_scorecard_design_is_the_matrix_in_float64_and_fits_as_the_dense_one():
    from sklearn.linear_model import LogisticRegression

    from triage.models.scorecard import _design

    rng = np.random.default_rng(4)
    X = np.hstack([np.eye(4)[rng.integers(0, 4, 3000)], rng.integers(0, 5, (3000, 2))])
    X = X.astype(np.float32)
    y = (rng.random(3000) < 1 / (1 + np.exp(-(X[:, 0] + 0.4 * X[:, -1] - 2)))).astype(int)
    for order in ("C", "F"):
        design = _design(np.asarray(X, order=order))
        np.testing.assert_array_equal(design.toarray(), X.astype(np.float64))
        assert design.indices.dtype == np.int32  # liblinear's requirement
    card = make_candidate("scorecard", C=0.1).fit(X, y)
    dense = LogisticRegression(C=0.1, l1_ratio=0.0, solver="newton-cholesky").fit(
        X.astype(np.float64), y
    )
    np.testing.assert_allclose(card.coef_, dense.coef_[0], atol=1e-8)


def test_every_checklist_question_reads_in_japanese_and_english():
    from triage.models.checklist import CHECKLIST
    from triage.models.dv_checklist import DV_CHECKLIST

    for q in CHECKLIST + DV_CHECKLIST:
        assert q.text_ja and q.text_in("ja") == q.text_ja, q.id
        assert q.text_in("en") == q.text
