"""Local explanations are exact, grouped by contract field and readable; ask_next is what the model says."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline

from notice_factory import make_frame, make_records
from triage.contract import notice_fields
from triage.explain import MARGIN_EPS, ask_next, explain, notice_row, unwrap
from triage.explain._rows import first_notice
from triage.features import EXCLUDED_FIELDS, NoticeFeatures, feature_groups
from triage.models import CANDIDATES, make_candidate
from triage.notices import to_notice_frame
from triage.synth.generate import generate
from triage.synth.spec import load_spec
from triage.tiers import TierThresholds

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
CONTRACT_FIELDS = set(notice_fields().all) - set(EXCLUDED_FIELDS)
FAST = {
    "checklist": {},
    "scorecard": {},
    "lightgbm": {"n_estimators": 60, "num_leaves": 15, "num_threads": 1},
    "tree": {},
}
N_TRAIN, N_CAL, N_TEST = 8000, 4000, 3000


@pytest.fixture(scope="module")
def data():
    result = generate(load_spec(), n=N_TRAIN + N_CAL + N_TEST, seed=11)
    notices = result.notices
    y = result.truth["harm_90d"].to_numpy().astype(np.int64)
    features = NoticeFeatures().fit(notices)
    X = features.transform(notices)
    return {"notices": notices, "y": y, "X": X, "features": features}


@pytest.fixture(scope="module")
def pipelines(data):
    """Every candidate, wrapped as training.scoring_pipeline registers it."""
    X, y, features = data["X"], data["y"], data["features"]
    names = list(features.get_feature_names_out())
    train, cal = slice(0, N_TRAIN), slice(N_TRAIN, N_TRAIN + N_CAL)
    out = {}
    for name in CANDIDATES:
        model = make_candidate(name, feature_names=names, **FAST[name]).fit(X[train], y[train])
        calibrated = CalibratedClassifierCV(FrozenEstimator(model), method="isotonic")
        calibrated.fit(X[cal], y[cal])
        out[name] = Pipeline([("features", features), ("model", calibrated)])
    return out


@pytest.fixture(scope="module")
def test_notices(data):
    return data["notices"].iloc[N_TRAIN + N_CAL :].reset_index(drop=True)


@pytest.fixture(scope="module")
def explanations(pipelines, test_notices):
    return {name: explain(p, test_notices, lang="en") for name, p in pipelines.items()}


@pytest.mark.parametrize("name", list(CANDIDATES))
def test_base_plus_contributions_equals_the_margin_for_every_notice(explanations, name):
    e = explanations[name]
    assert len(e) == N_TEST
    np.testing.assert_allclose(e.base + e.contributions.sum(axis=1), e.margin, rtol=0, atol=1e-6)
    for i in (0, 1, N_TEST - 1):  # the same through .data()
        d = e.data(i)
        total = d["base"] + sum(f["contribution"] for f in d["factors"]) + d["others"]
        assert total == pytest.approx(d["margin"], abs=1e-6)


@pytest.mark.parametrize("name", list(CANDIDATES))
def test_the_margin_is_the_uncalibrated_candidates_log_odds(pipelines, explanations, data, name):
    candidate = unwrap(pipelines[name]).candidate
    p = candidate.predict_proba(data["X"][N_TRAIN + N_CAL :])[:, 1]
    expected = np.clip(p, MARGIN_EPS, 1 - MARGIN_EPS) if name in ("tree", "checklist") else p
    np.testing.assert_allclose(expit(explanations[name].margin), expected, rtol=0, atol=1e-9)


def test_lightgbm_pred_contrib_agrees_with_shap_tree_explainer(pipelines, data):
    import shap  # tests and benchmarks only: never on the scoring path

    booster = unwrap(pipelines["lightgbm"]).candidate.booster_
    X = data["X"][N_TRAIN + N_CAL :]
    ours = booster.predict(X, pred_contrib=True)
    explainer = shap.TreeExplainer(booster)
    theirs = np.asarray(explainer.shap_values(X))
    np.testing.assert_allclose(ours[:, :-1], theirs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours[:, -1], explainer.expected_value, rtol=0, atol=1e-9)


def test_lightgbm_explanation_is_shap_summed_over_each_fields_columns(
    pipelines, data, explanations
):
    booster = unwrap(pipelines["lightgbm"]).candidate.booster_
    X = data["X"][N_TRAIN + N_CAL :]
    shap_values = booster.predict(X, pred_contrib=True)[:, :-1]
    names = list(data["features"].get_feature_names_out())
    groups = feature_groups(names)
    e = explanations["lightgbm"]
    dv_only = set(notice_fields().dv_only)
    general = X[:, names.index("notice_kind=general")] == 1
    for k, field in enumerate(e.fields):
        cols = [j for j, n in enumerate(names) if groups[n] == field]
        expected = shap_values[:, cols].sum(axis=1)
        if field in dv_only:  # not applicable on a general notice: folded into notice_kind
            expected = np.where(general, 0.0, expected)
        if field == "notice_kind":
            dv_cols = [j for j, n in enumerate(names) if groups[n] in dv_only]
            expected = expected + np.where(general, shap_values[:, dv_cols].sum(axis=1), 0.0)
        np.testing.assert_allclose(e.contributions[:, k], expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", list(CANDIDATES))
def test_factors_are_contract_fields_with_readable_labels_largest_first(explanations, name):
    e = explanations[name]
    data = e.data()
    json.dumps(data, ensure_ascii=False)  # plain, serialisable
    for d in data[:300]:
        sizes = [abs(f["contribution"]) for f in d["factors"]]
        assert sizes == sorted(sizes, reverse=True)
        for f in d["factors"]:
            assert f["feature"] in CONTRACT_FIELDS and "=" not in f["feature"]
            for key in ("label_en", "label_ja", "sentence"):
                assert f[key].strip() and "=" not in f[key]
            assert JAPANESE.search(f["label_ja"])
            assert f["direction"] == ("up" if f["contribution"] > 0 else "down")


def test_a_general_notice_is_never_explained_by_dv_details(explanations, test_notices):
    general = (test_notices["notice_kind"] == "general").to_numpy()
    dv_only = set(notice_fields().dv_only)
    for e in explanations.values():
        for i in np.flatnonzero(general)[:200]:
            assert not {f["feature"] for f in e.factors(int(i))} & dv_only


def test_factor_values_are_the_notices_own_values_as_json(explanations, test_notices):
    e = explanations["lightgbm"]
    d = e.data(0)
    row = first_notice(test_notices.iloc[[0]])
    for f in d["factors"]:
        raw = row[f["feature"]]
        if f["feature"] == "alleged_types":
            assert f["value"] == list(raw)
        elif pd.isna(raw):
            assert f["value"] is None
        else:
            assert f["value"] == (raw.item() if hasattr(raw, "item") else raw)
            assert type(f["value"]) in (bool, int, str)
    assert d["notice_id"] == test_notices["notice_id"].iloc[0]


def test_top_keeps_the_largest_factors_and_accounts_for_the_rest(pipelines, test_notices):
    full = explain(pipelines["scorecard"], test_notices.iloc[:50])
    short = explain(pipelines["scorecard"], test_notices.iloc[:50], top=3)
    for i in range(50):
        a, b = full.data(i), short.data(i)
        assert b["factors"] == a["factors"][:3]
        total = b["base"] + sum(f["contribution"] for f in b["factors"]) + b["others"]
        assert total == pytest.approx(b["margin"], abs=1e-9)


@pytest.mark.parametrize("name", list(CANDIDATES))
def test_one_notice_explained_alone_equals_its_row_in_a_batch(
    pipelines, explanations, test_notices, name
):
    for i in (0, 7, 123):
        one = explain(pipelines[name], test_notices.iloc[[i]], lang="en")
        np.testing.assert_allclose(
            one.contributions[0], explanations[name].contributions[i], atol=1e-12
        )
        assert one.data(0) == explanations[name].data(i)
        as_dict = explain(pipelines[name], first_notice(test_notices.iloc[[i]]), lang="en")
        assert as_dict.data(0) == one.data(0)


def test_the_one_notice_fast_path_equals_notice_features_transform(data):
    features = data["features"]
    typed = data["notices"].iloc[:500]
    X = features.transform(typed)
    for i in range(len(typed)):
        np.testing.assert_array_equal(notice_row(features, first_notice(typed.iloc[[i]])), X[[i]])
    records = make_records(
        300, seed=5
    )  # JSON dicts: absent keys, nulls, DV fields on general notices
    records[0]["dv_weapon"] = True
    records[0]["notice_kind"] = "general"
    X_json = features.transform(to_notice_frame(pd.DataFrame(records)))
    for i, record in enumerate(records):
        row = notice_row(features, record)
        assert row.dtype == X_json.dtype
        np.testing.assert_array_equal(row, X_json[[i]])
    raw = make_frame(20, seed=6)
    np.testing.assert_array_equal(
        notice_row(features, first_notice(raw)), features.transform(to_notice_frame(raw))[[0]]
    )


def test_the_fast_path_refuses_what_transform_refuses(data):
    features = data["features"]
    record = make_records(1, seed=1)[0]
    with pytest.raises(ValueError, match="route"):
        notice_row(features, {**record, "route": "helicopter"})
    with pytest.raises(ValueError, match="required"):
        notice_row(features, {k: v for k, v in record.items() if k != "injury"})


# ---------------------------------------------------------------- ask_next


@pytest.fixture(scope="module")
def thresholds(pipelines, data):
    risk = pipelines["lightgbm"].predict_proba(data["notices"].iloc[N_TRAIN : N_TRAIN + N_CAL])[
        :, 1
    ]
    return TierThresholds(
        immediate=float(np.quantile(risk, 0.97)),
        urgent=float(np.quantile(risk, 0.85)),
        basis="test",
    )


def _known(notice: dict) -> dict:
    out = dict(notice)
    for f in notice_fields().booleans:
        if out.get(f) is None or pd.isna(out.get(f)):
            out[f] = False
    return out


def test_ask_next_is_empty_for_a_fully_known_notice(pipelines, thresholds, test_notices):
    for i in range(20):
        notice = _known(first_notice(test_notices.iloc[[i]]))
        for pipe in pipelines.values():
            assert ask_next(pipe, thresholds, notice, lang="ja") == [[]]


def _brute_force(pipe, thresholds, notice: dict) -> dict[str, str]:
    """Every unknown boolean answered both ways through the whole pipeline, on edited notices."""
    f = notice_fields()
    sensitive = ("child_disability", "welfare_receipt", "foreign_national_household")
    asked = [
        b
        for b in f.booleans
        if notice.get(b) is None
        and b not in sensitive  # not features of the default model
        and not (b in f.dv_only and notice["notice_kind"] == "general")  # not applicable
    ]
    edited = [notice] + [{**notice, b: answer} for b in asked for answer in (True, False)]
    tiers = thresholds.assign(pipe.predict_proba(to_notice_frame(pd.DataFrame(edited)))[:, 1])
    now, out = tiers[0], {}
    for k, b in enumerate(asked):
        moved = [t for t in tiers[1 + 2 * k : 3 + 2 * k] if t != now]
        if moved:
            out[b] = min(moved, key=["immediate", "urgent", "standard"].index)
    return out


def _json_notice(frame: pd.DataFrame, i: int) -> dict:
    notice = {
        k: (None if not isinstance(v, tuple) and pd.isna(v) else v)
        for k, v in first_notice(frame.iloc[[i]]).items()
    }
    for k in ("received_at", "safety_confirmed_at"):
        notice[k] = None if notice[k] is None else notice[k].isoformat()
    notice["alleged_types"] = list(notice["alleged_types"])
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in notice.items()}


@pytest.mark.parametrize("name", ["lightgbm", "checklist"])
def test_ask_next_names_injury_head_face_on_a_borderline_notice(pipelines, test_notices, name):
    """An injured child, head/face injury not known, risk just under the urgent cut."""
    pipe = pipelines[name]
    unknown_head = test_notices["injury_head_face"].isna() & (test_notices["injury"] != "none")
    candidates = [_json_notice(test_notices, int(i)) for i in np.flatnonzero(unknown_head)]
    assert candidates
    frame = to_notice_frame(
        pd.DataFrame([n for c in candidates for n in (c, {**c, "injury_head_face": True})])
    )
    risk = pipe.predict_proba(frame)[:, 1].reshape(-1, 2)  # now, if yes
    k = int(np.argmax(risk[:, 1] - risk[:, 0]))
    now, if_yes = risk[k]
    assert if_yes > now, "the model gives a head or face injury no weight"
    borderline = TierThresholds(immediate=1.0, urgent=float(now + if_yes) / 2, basis="borderline")
    notice = candidates[k]
    expected = _brute_force(pipe, borderline, notice)  # independent: edited notices, whole pipeline
    assert expected["injury_head_face"] == "urgent"
    (items,) = ask_next(pipe, borderline, notice, lang="en")
    assert {d["feature"]: d["could_change_tier_to"] for d in items} == expected
    changes = [abs(d["risk_change"]) for d in items]
    assert changes == sorted(changes, reverse=True)
    head = next(d for d in items if d["feature"] == "injury_head_face")
    assert head["if_answer"] is True
    assert head["risk_change"] == pytest.approx(if_yes - now, abs=1e-12)
    assert head["label_en"] == "Injury to the head or face" and JAPANESE.search(head["label_ja"])


@pytest.mark.parametrize("name", ["lightgbm", "scorecard", "tree", "checklist"])
def test_ask_next_matches_the_pipeline_on_edited_notices(pipelines, thresholds, test_notices, name):
    pipe = pipelines[name]
    got = ask_next(pipe, thresholds, test_notices, lang="ja")
    some = [i for i, items in enumerate(got) if items][:6] + list(range(6))
    notices = [_json_notice(test_notices, i) for i in some]
    got = [got[i] for i in some]
    for notice, items in zip(notices, got, strict=True):
        assert {d["feature"]: d["could_change_tier_to"] for d in items} == _brute_force(
            pipe, thresholds, notice
        )
