"""Global explanations, the truth check, one-notice pictures and text, and `triage explain`."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline

from triage.experiment.explanations import global_step
from triage.experiment.truth_check import true_effects, truth_check
from triage.explain import ask_next, explain
from triage.explain.figures import global_figures
from triage.explain.importance import global_explanation
from triage.explain.waterfall import explanation_text, waterfall_figure
from triage.features import NoticeFeatures
from triage.models import make_candidate
from triage.synth.generate import generate
from triage.synth.spec import load_spec
from triage.tiers import TierThresholds

pytestmark = pytest.mark.slow

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
N_TRAIN, N_CAL, N_TEST = 8000, 3000, 2000


@pytest.fixture(scope="module")
def spec():
    return load_spec()


@pytest.fixture(scope="module")
def fitted(spec):
    result = generate(spec, n=N_TRAIN + N_CAL + N_TEST, seed=5)
    notices, truth = result.notices, result.truth
    y = truth["harm_90d"].to_numpy(np.int64)
    features = NoticeFeatures().fit(notices)
    X = features.transform(notices)
    names = list(features.get_feature_names_out())
    model = make_candidate(
        "lightgbm", feature_names=names, n_estimators=60, num_leaves=15, num_threads=1
    ).fit(X[:N_TRAIN], y[:N_TRAIN])
    cal = slice(N_TRAIN, N_TRAIN + N_CAL)
    calibrated = CalibratedClassifierCV(FrozenEstimator(model), method="isotonic")
    calibrated.fit(X[cal], y[cal])
    test = slice(N_TRAIN + N_CAL, None)
    return {
        "pipeline": Pipeline([("features", features), ("model", calibrated)]),
        "notices_test": notices.iloc[test].reset_index(drop=True),
        "truth_test": truth.iloc[test].reset_index(drop=True),
        "X_train": X[:N_TRAIN],
        "y_train": y[:N_TRAIN],
    }


def test_generate_without_interventions_is_unchanged(spec):
    a = generate(spec, n=1500, seed=7)
    b = generate(spec, n=1500, seed=7, interventions=None)
    pd.testing.assert_frame_equal(a.notices, b.notices)
    pd.testing.assert_frame_equal(a.truth, b.truth)


def test_an_intervention_sets_the_node_and_common_random_numbers_pair_the_runs(spec):
    yes = generate(spec, n=1500, seed=7, interventions={"weapon_used": True})
    no = generate(spec, n=1500, seed=7, interventions={"weapon_used": False})
    assert yes.notices["weapon_used"].dropna().all()
    assert not no.notices["weapon_used"].dropna().any()
    # weapon_used enters the outcome directly (+0.9) and nothing else: the contrast is exact
    diff = np.log(yes.truth["p_harm"] / (1 - yes.truth["p_harm"])) - np.log(
        no.truth["p_harm"] / (1 - no.truth["p_harm"])
    )
    np.testing.assert_allclose(diff, 0.9, atol=1e-9)
    with pytest.raises(KeyError):
        generate(spec, n=10, seed=0, interventions={"no_such_node": True})


def test_global_data_is_aggregate_json_and_figures_draw_headless(fitted):
    g = global_explanation(fitted["pipeline"], fitted["notices_test"], sample=1500, seed=1)
    data = g.data()
    text = json.dumps(data, ensure_ascii=False)
    assert data["n_notices"] == 1500 and data["n_population"] == N_TEST
    assert [r["rank"] for r in data["importance"]] == list(range(1, len(g.fields) + 1))
    values = [r["mean_abs_contribution"] for r in data["importance"]]
    assert values == sorted(values, reverse=True)
    assert "SYN" not in text  # aggregates only: no notice ids
    for rows in data["by_value"].values():
        assert sum(r["n"] for r in rows) == 1500
    figures = global_figures(g)
    assert set(figures) == {"importance", "beeswarm", "dependence"}
    for fig in figures.values():
        fig.canvas.draw()


def test_truth_check_gives_a_rank_correlation_and_a_finite_overlap(spec, fitted):
    effects = true_effects(spec, seed=3, n=800)
    assert effects.effects["weapon_used"] > 0
    assert effects.effects["injury_head_face"] == pytest.approx(0.0, abs=1e-12)  # no causal path
    g = global_explanation(fitted["pipeline"], fitted["notices_test"], sample=1000)
    from triage.experiment.truth_check import refit_importances

    others = refit_importances(
        fitted["pipeline"],
        fitted["notices_test"].iloc[:500],
        fitted["X_train"],
        fitted["y_train"],
        seed=1,
        refit_rows=4000,
    )
    check = truth_check(g.importance, effects, other_importances=others)
    assert -1.0 <= check.spearman <= 1.0
    assert math.isfinite(check.top5_overlap) and 0.0 <= check.top5_overlap <= 1.0
    assert len(check.top5) == 3
    json.dumps(check.data())


def test_refits_started_in_the_background_give_what_the_step_computes_itself(spec, fitted):
    from triage.experiment.explanations import compute_global_step, start_refits

    kw = {"spec": spec, "seed": 1, "truth_n": 800, "sample": 1000}
    inline = compute_global_step(
        fitted["pipeline"], fitted["notices_test"], fitted["truth_test"],
        X_train=fitted["X_train"], y_train=fitted["y_train"], refit_rows=4000, **kw,
    )  # fmt: skip
    refits = start_refits(
        fitted["pipeline"], fitted["notices_test"], fitted["X_train"], fitted["y_train"],
        seed=1, sample=1000, refit_rows=4000,
    )  # fmt: skip
    background = compute_global_step(
        fitted["pipeline"], fitted["notices_test"], fitted["truth_test"], refits=refits, **kw
    )
    assert refits.done()
    assert background.check.top5 == inline.check.top5
    assert background.check.top5_overlap == inline.check.top5_overlap


def test_prefetched_true_effects_equal_computed_ones_and_are_taken_once(spec):
    from triage.experiment import truth_check as truth

    computed = true_effects(spec, seed=11, n=500)
    key = next(k for k in truth._EFFECTS if k[3:5] == (11, 500))
    del truth._EFFECTS[key]
    truth.prefetch_true_effects(spec, seed=11, n=500)
    pending = truth._EFFECTS[key]
    fetched = true_effects(spec, seed=11, n=500)  # waits for the background thread
    assert fetched.effects == computed.effects and fetched.means == computed.means
    truth.prefetch_true_effects(spec, seed=11, n=500)  # already there: nothing new starts
    assert truth._EFFECTS[key] is pending
    assert true_effects(spec, seed=11, n=500) is fetched


def test_global_step_logs_figures_json_and_truth_metrics(spec, fitted, tmp_path, monkeypatch):
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.chdir(tmp_path)  # a new SQLite store's default artefact root is ./mlruns
    mlflow.set_tracking_uri(uri)
    with mlflow.start_run() as run:
        data = global_step(
            fitted["pipeline"],
            fitted["notices_test"],
            fitted["truth_test"],
            spec=spec,
            seed=1,
            X_train=fitted["X_train"],
            y_train=fitted["y_train"],
            truth_n=800,
            refit_rows=4000,
        )
    mlflow.set_tracking_uri(None)
    client = mlflow.MlflowClient(uri)
    logged = client.get_run(run.info.run_id)
    assert {"truth.spearman", "truth.top5_overlap", "truth.margin_spearman"} <= set(
        logged.data.metrics
    )
    names = {a.path for a in client.list_artifacts(run.info.run_id, "explanations")}
    assert {
        "explanations/global.json",
        "explanations/importance.png",
        "explanations/beeswarm.png",
        "explanations/dependence.png",
        "explanations/truth_check.png",
    } <= names
    assert -1 <= data["truth"]["truth.spearman"] <= 1


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_waterfall_and_text_for_one_notice_speak_plainly(fitted, lang):
    pipeline, notice = fitted["pipeline"], fitted["notices_test"].iloc[[0]]
    e = explain(pipeline, notice, lang=lang)
    thresholds = TierThresholds(immediate=0.4, urgent=0.15, basis="test")
    risk = float(pipeline.predict_proba(notice)[0, 1])
    asks = ask_next(pipeline, thresholds, notice, lang=lang)[0]
    text = explanation_text(
        e, 0, lang=lang, risk=risk, tier=str(thresholds.assign(np.array([risk]))[0]), ask=asks
    )
    assert "=" not in text  # no raw one-hot column name reaches a user
    assert notice["notice_id"].iloc[0] in text
    if lang == "ja":
        assert JAPANESE.search(text) and "安全を示すものではありません" in text
    else:
        assert "not evidence that the child is safe" in text
    waterfall_figure(e, 0).canvas.draw()
