"""The DV-witness sorting pipeline end to end, its config checks, and the DV checklist questions."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from notice_factory import make_notice
from triage.contract import notice_fields
from triage.experiment.config import ConfigError, parse_config
from triage.features import NoticeFeatures
from triage.models import DV_CHECKLIST, DVChecklistBaseline, make_candidate
from triage.notices import to_notice_frame

REPO = Path(__file__).resolve().parents[1]
CI_DV = REPO / "configs" / "ci_dv.yaml"
CI_INTAKE = REPO / "configs" / "ci.yaml"
TRIAGE = str(Path(sys.executable).with_name("triage"))
MODEL = "dv-witness-routing-ci"  # the CI config's own name, never the production model's
NAMES = ("dv_checklist", "scorecard", "lightgbm", "oracle", "oracle_cut")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def dv_run(tmp_path_factory):
    """``triage run configs/ci_dv.yaml`` in an empty folder, with the embedded SQLite store."""
    work = tmp_path_factory.mktemp("dv")
    proc = subprocess.run(
        [TRIAGE, "run", str(CI_DV), "--quiet"],
        cwd=work,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return work, proc


def _client(work: Path):
    from mlflow import MlflowClient

    uri = f"sqlite:///{work / 'mlflow.db'}"
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _run_of(client):
    exp = client.get_experiment_by_name("dv-witness-routing-ci")
    (run,) = client.search_runs([exp.experiment_id])
    return run


@pytest.mark.slow
def test_run_prints_routing_table_for_checklist_model_and_oracle(dv_run):
    _, proc = dv_run
    out = proc.stdout
    for column in ("share to municipality", "under-routing", "over-routing", "AUC (cgc)"):
        assert column in out, column
    for name in (*NAMES, "dv_checklist_rule"):
        assert name in out, name
    assert "57%" in out  # the 2023 survey reference
    assert f"models:/{MODEL}/1 (alias @candidate)" in out


@pytest.mark.slow
def test_run_logs_routing_metrics_with_intervals_and_artefacts(dv_run):
    work, _ = dv_run
    client = _client(work)
    run = _run_of(client)
    metrics, tags, params = run.data.metrics, run.data.tags, run.data.params
    for name in NAMES:
        for metric in ("share_municipality", "under_routing", "over_routing", "auc"):
            key = f"true.{name}.{metric}"
            assert key in metrics and f"{key}_low" in metrics and f"{key}_high" in metrics, key
            assert metrics[f"{key}_low"] <= metrics[key] <= metrics[f"{key}_high"], key
        assert f"recorded.{name}.under_routing" in metrics
    # The oracle at its natural cut routes every notice as the truth does.
    assert metrics["true.oracle_cut.under_routing"] == 0.0
    assert metrics["true.oracle_cut.over_routing"] == 0.0
    assert metrics["true.oracle.under_routing"] <= metrics["true.dv_checklist.under_routing"]
    assert metrics["routing.cgc_per_day"] == 1.5
    assert tags["pipeline"] == "dv_witness_sorting"
    assert int(tags["data.dv_witness_n"]) < int(tags["data.n"])
    assert params["routing.cgc_per_day"] == "1.5"
    artefacts = {a.path for a in client.list_artifacts(run.info.run_id, "evaluation")}
    assert "evaluation/routing_metrics.json" in artefacts
    local = client.download_artifacts(run.info.run_id, "evaluation/routing_metrics.json", str(work))
    report = json.loads(Path(local).read_text("utf-8"))
    assert report["survey_municipality_share"] == 0.57
    assert set(report["metrics"]["true"]) >= set(NAMES)
    config = {a.path for a in client.list_artifacts(run.info.run_id, "config")}
    assert config == {"config/experiment.yaml"}
    models = {a.path for a in client.list_artifacts(run.info.run_id, "models")}
    assert "models/dv_checklist_questions.json" in models


@pytest.mark.slow
def test_run_leaves_its_model_card_with_the_routing_figures(dv_run):
    work, _ = dv_run
    client = _client(work)
    run = _run_of(client)
    kept = work / "reports" / "dv-witness-sorting-ci"
    for name in ("model_card.html", "model_card.md", "model_card.json"):
        assert (kept / name).is_file(), name
    logged = {a.path for a in client.list_artifacts(run.info.run_id, "report")}
    assert "report/model_card.json" in logged
    card = json.loads((kept / "model_card.json").read_text("utf-8"))
    assert card["run"]["run_id"] == run.info.run_id
    (routing,) = [section for section in card["sections"] if section["id"] == "routing"]
    assert routing["available"] and routing["tables"]


@pytest.mark.slow
def test_run_logs_its_test_predictions_and_a_capacity_curve(dv_run):
    from triage.experiment.routing_log import ROUTE_AUDIT, ROUTE_LABELS
    from triage.features import SENSITIVE_FIELDS

    work, _ = dv_run
    client = _client(work)
    run = _run_of(client)
    run_id, metrics = run.info.run_id, run.data.metrics
    local = client.download_artifacts(run_id, "audit_inputs/test_predictions.parquet", str(work))
    frame = pd.read_parquet(local)
    labels = [ROUTE_LABELS["recorded"], ROUTE_LABELS["true"]]
    assert list(frame.columns) == [*SENSITIVE_FIELDS, *labels, "score", "route"]
    assert set(frame["route"]) == {"cgc", "municipality"}
    chosen = run.data.tags["chosen_candidate"]
    under = frame.loc[frame[ROUTE_LABELS["true"]] == 1, "route"].eq("municipality").mean()
    assert under == pytest.approx(metrics[f"true.{chosen}.under_routing"], abs=1e-12)
    assert {k: run.data.tags[k] for k in ROUTE_AUDIT.tags()} == ROUTE_AUDIT.tags()
    local = client.download_artifacts(run_id, "evaluation/capacity_curve.json", str(work))
    curve = json.loads(Path(local).read_text("utf-8"))
    assert curve["configured_per_day"] == 1.5 and 1.5 in curve["per_day"]
    assert set(curve["outcomes"]) == {"true", "recorded"}
    assert set(curve["outcomes"]["true"]) == {"dv_checklist", "scorecard", "lightgbm", "oracle"}
    at = curve["per_day"].index(1.5)  # the configured capacity: the run's own recall at k
    assert curve["k"][at] == metrics["capacity.k"]
    recall = curve["outcomes"]["true"][chosen]["recall_at_k_worst"][at]
    assert recall == pytest.approx(metrics[f"true.{chosen}.recall_at_k_worst"], abs=1e-12)
    figures = {a.path for a in client.list_artifacts(run_id, "evaluation")}
    assert {"evaluation/capacity_curve.png", "evaluation/reliability_true_outcome.png"} <= figures
    assert {f"true.{chosen}.cal_slope", f"true.{chosen}.cal_intercept"} <= set(metrics)


@pytest.mark.slow
def test_the_japanese_card_draws_the_runs_reliability_diagram_in_japanese(dv_run):
    from triage.explain.fonts import cjk_family
    from triage.report import build_card
    from triage.report._text import TEXT

    work, _ = dv_run
    client = _client(work)
    run_id = _run_of(client).info.run_id
    local = client.download_artifacts(run_id, "evaluation/reliability_true_outcome.json", str(work))
    data = json.loads(Path(local).read_text("utf-8"))
    assert set(data["candidates"]) >= set(NAMES) - {"oracle_cut"} and data["bins"] > 0
    card = build_card(run_id, lang="ja", client=client)
    calibration = next(s for s in card["sections"] if s["id"] == "calibration")
    (figure,) = calibration["figures"]
    assert card["figures"][figure["key"]]["artifact"] == "evaluation/reliability_true_outcome.json"
    assert TEXT["figure_in_english"][1] not in calibration["notes"]
    if cjk_family() is not None:
        assert TEXT["figure_no_cjk_font"][1] not in calibration["notes"]


def test_intake_and_dv_runs_log_their_capacity_curve_through_one_function(tmp_path, monkeypatch):
    import mlflow

    from triage.experiment import capacity_log, routing_log, urgency_log

    assert routing_log.log_capacity_curve is capacity_log.log_capacity_curve
    # the intake run draws it in a thread of its own, with the pieces log_capacity_curve joins
    assert urgency_log.draw_capacity_curve is capacity_log.draw_capacity_curve
    assert urgency_log.log_capacity_drawing is capacity_log.log_capacity_drawing
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.chdir(tmp_path)  # a new SQLite store's default artefact root is ./mlruns
    rng = np.random.default_rng(3)
    y = rng.random(400) < 0.2
    scores = {"lightgbm": y + rng.random(400), "oracle": y + 0.1 * rng.random(400)}
    mlflow.set_tracking_uri(uri)
    try:
        with mlflow.start_run() as run:
            capacity_log.log_capacity_curve(
                {"true": y, "recorded": y}, scores, per_day=2.0, days=50.0, outcome="true"
            )
    finally:
        mlflow.set_tracking_uri(None)
    client = mlflow.MlflowClient(uri)
    listed = {a.path for a in client.list_artifacts(run.info.run_id, "evaluation")}
    assert listed == {capacity_log.CURVE_DATA, capacity_log.CURVE_FIGURE}
    local = client.download_artifacts(run.info.run_id, capacity_log.CURVE_DATA, str(tmp_path))
    curve = json.loads(Path(local).read_text("utf-8"))
    at = curve["per_day"].index(2.0)
    assert curve["configured_per_day"] == 2.0 and curve["k"][at] == 100
    assert curve["outcomes"]["true"]["oracle"]["recall_at_k_worst"][at] == 1.0


@pytest.mark.slow
def test_the_audit_of_the_run_works_and_its_card_then_shows_audit_and_capacity(dv_run, tmp_path):
    from triage.report import build_card, write_card

    work, _ = dv_run
    run_id = _run_of(_client(work)).info.run_id
    shutil.copy2(work / "mlflow.db", tmp_path / "mlflow.db")  # the other tests see no audit
    quick = tmp_path / "audit.yaml"  # fairlearn's cross-check is tested in test_audit.py
    quick.write_text("verify_max_rows: 0\nn_boot: 50\n", "utf-8")
    audited = subprocess.run(
        [TRIAGE, "audit", "--run", run_id, "--config", str(quick), "--sensitive",
         "child_sex,welfare_receipt"],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert audited.returncode == 0, audited.stderr
    assert "route in {cgc}" in " ".join(audited.stdout.split())
    for lang, missing in (
        ("en", ("No capacity curve", "No fairness audit", "?")),
        # the audit's settings in Japanese too, not as the audit logged them
        ("ja", ("対応能力曲線が記録されていない", "公平性監査が記録されていない", "?",
                "route in {cgc}", "sensitive features")),
    ):  # fmt: skip
        card = build_card(run_id, lang=lang, client=_client(tmp_path))
        sections = {s["id"]: s for s in card["sections"]}
        assert sections["capacity"]["available"] and sections["fairness"]["available"]
        assert sections["fairness"]["data"]["audit_runs"] == 1
        assert sections["calibration"]["figures"]  # the reliability diagram
        write_card(card, tmp_path / lang)
        text = (tmp_path / lang / "model_card.md").read_text("utf-8")
        for words in (*missing, "tiers.capacity"):  # its routes hang on routing.cgc_per_day
            assert words not in text, (lang, words)
        assert "routing.cgc_per_day" in text


@pytest.mark.slow
def test_chosen_model_is_registered_as_candidate_and_scores_dv_notices(dv_run):
    import mlflow
    from mlflow.exceptions import MlflowException

    work, _ = dv_run
    client = _client(work)
    version = client.get_model_version_by_alias(MODEL, "candidate")
    run = _run_of(client)
    assert version.run_id == run.info.run_id
    chosen = run.data.tags["chosen_candidate"]
    assert float(version.tags["route.cgc_cut"]) == run.data.metrics[f"routing.{chosen}.cut"]
    with pytest.raises(MlflowException):
        client.get_model_version_by_alias(MODEL, "champion")
    uri = f"sqlite:///{work / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)  # else MLflow's default, ./mlflow.db of the checkout, appears
    mlflow.set_registry_uri(uri)
    try:
        model = mlflow.sklearn.load_model(f"models:/{MODEL}@candidate")
    finally:
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)
    frame = to_notice_frame(
        pd.DataFrame([make_notice(dv=True), make_notice(dv=True, dv_strangulation=True)])
    )
    p = model.predict_proba(frame)
    assert p.shape == (2, 2) and np.all((p >= 0) & (p <= 1))


@pytest.mark.slow
def test_the_printed_promote_command_promotes_the_routing_model_as_printed(dv_run, tmp_path):
    from mlflow.exceptions import MlflowException

    work, proc = dv_run
    (line,) = [line for line in proc.stdout.splitlines() if "triage promote" in line]
    printed = line[line.index("triage promote") :]
    assert printed == f"triage promote 1 --model {MODEL} --reason '...'"
    # A copy of the store: the other tests read it without a champion.
    shutil.copytree(work / "mlruns", tmp_path / "mlruns")
    shutil.copy2(work / "mlflow.db", tmp_path / "mlflow.db")
    words = shlex.split(printed.replace("'...'", "'reviewed the routing table'"))
    done = subprocess.run(
        [TRIAGE, *words[1:]], cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    client = _client(tmp_path)
    assert str(client.get_model_version_by_alias(MODEL, "champion").version) == "1"
    with pytest.raises(MlflowException):  # the urgency model is not touched (not even there)
        client.get_model_version_by_alias("intake-urgency", "champion")


def test_promote_hints_name_the_model_unless_it_is_the_commands_default():
    from triage.cli.run import promote_command

    assert promote_command("3", "intake-urgency") == "triage promote 3 --reason '...'"
    assert promote_command("2", MODEL) == f"triage promote 2 --model {MODEL} --reason '...'"


# --- config ------------------------------------------------------------------------


def _raw(path: Path) -> dict:
    return yaml.safe_load(path.read_text("utf-8"))


def test_dv_config_refuses_an_intake_only_candidate_naming_the_key():
    raw = _raw(CI_DV)
    raw["candidates"]["checklist"] = {}
    with pytest.raises(ConfigError, match=r"candidates\.checklist: not a candidate of pipeline"):
        parse_config(raw)


def test_intake_config_refuses_the_dv_checklist_naming_the_key():
    raw = _raw(CI_INTAKE)
    raw["candidates"]["dv_checklist"] = {}
    with pytest.raises(ConfigError, match=r"candidates\.dv_checklist: not a candidate"):
        parse_config(raw)


def test_sections_belong_to_their_pipeline_and_defaults_follow_it():
    intake = _raw(CI_INTAKE)
    intake["routing"] = {"cgc_per_day": 3}
    with pytest.raises(ConfigError, match="routing: only pipeline dv_witness_sorting"):
        parse_config(intake)
    dv = _raw(CI_DV)
    dv["tiers"] = {"mode": "capacity"}
    with pytest.raises(ConfigError, match="tiers: not used by pipeline dv_witness_sorting"):
        parse_config(dv)
    dv = _raw(CI_DV)
    dv["routing"] = {"cgc_per_day": -1}
    with pytest.raises(ConfigError, match="routing.cgc_per_day"):
        parse_config(dv)
    bare = parse_config({"config_version": 1, "pipeline": "dv_witness_sorting", "name": "x"})
    assert list(bare.candidates) == ["dv_checklist", "scorecard", "lightgbm", "tree"]
    assert bare.routing.cgc_per_day > 0
    intake = parse_config(_raw(CI_INTAKE))
    assert intake.routing is None and not any(k.startswith("routing") for k in intake.flat())


def test_shipped_dv_configs_are_valid():
    for path in (CI_DV, REPO / "configs" / "dv_witness_sorting.yaml"):
        cfg = parse_config(_raw(path), source=str(path))
        assert cfg.pipeline == "dv_witness_sorting" and "dv_checklist" in cfg.candidates


# --- the DV checklist ----------------------------------------------------------------

QUIET = {  # a DV-witness notice on which no question fires
    "child_age_years": 7,
    "injury": "none",
    "prior_notices": 0,
    "caregiver_substance_use": False,
    "child_requests_protection": False,
    "child_fears_home": False,
    "dv_physical_assault": False,
    "dv_weapon": False,
    "dv_strangulation": False,
    "dv_child_intervened": False,
    "dv_child_injured": False,
    "dv_repeat_count": 0,
    "dv_arrest": False,
    "dv_alcohol": False,
    "dv_victim_pregnant": False,
}

TRIGGERS = {  # question id → each single change that must make it (and only it) fire
    "dv_lethal_violence": [{"dv_strangulation": True}, {"dv_weapon": True}],
    "dv_physical_violence": [{"dv_physical_assault": True}, {"dv_arrest": True}],
    "child_harmed": [
        {"dv_child_injured": True},
        {"injury": "minor"},
        {"injury": "serious"},
        {"child_requests_protection": True},
    ],
    "child_distressed": [{"child_fears_home": True}, {"dv_child_intervened": True}],
    "earlier_notices": [{"prior_notices": 1}, {"prior_notices": 4}],
    "repeated_dv": [{"dv_repeat_count": 2}, {"dv_repeat_count": 5}],
    "infant_in_family": [
        {"child_age_years": 0},
        {"child_age_years": 2},
        {"dv_victim_pregnant": True},
    ],
    "alcohol": [{"dv_alcohol": True}, {"caregiver_substance_use": True}],
}


def _fitted_checklist(rows: list[dict]) -> tuple[DVChecklistBaseline, np.ndarray]:
    frame = to_notice_frame(pd.DataFrame([make_notice(dv=True, **r) for r in rows]))
    nf = NoticeFeatures().fit(frame)
    X = nf.transform(frame)
    y = np.arange(len(rows)) % 2  # both classes; the questions learn nothing from y
    model = make_candidate("dv_checklist", feature_names=list(nf.get_feature_names_out()))
    return model.fit(X, y), X


def test_every_guidance_factor_has_a_question_and_ids_are_unique():
    assert set(TRIGGERS) == {q.id for q in DV_CHECKLIST}
    assert len({q.id for q in DV_CHECKLIST}) == len(DV_CHECKLIST)
    text = " ".join(q.text for q in DV_CHECKLIST).lower()
    for factor in ("family composition", "earlier notices", "degree of violence", "child's state", "alcohol"):  # fmt: skip
        assert factor in text, factor


def test_each_dv_question_fires_on_its_condition_and_only_then():
    cases = [(qid, change) for qid, changes in TRIGGERS.items() for change in changes]
    model, X = _fitted_checklist([QUIET] + [{**QUIET, **change} for _, change in cases])
    answers = model.answers(X)
    ids = [q.id for q in model.questions_]
    assert not answers[0].any(), "the quiet notice fires a question"
    for row, (qid, change) in enumerate(cases, start=1):
        fired = {ids[k] for k in np.flatnonzero(answers[row])}
        assert fired == {qid}, (change, fired)
    below = _fitted_checklist([QUIET, {**QUIET, "dv_repeat_count": 1, "child_age_years": 3}])
    assert not below[0].answers(below[1]).any()


def test_unknown_answers_count_as_no_and_route_to_the_municipality():
    unknown = {f: None for f in QUIET if f in notice_fields().booleans}
    unknown.update(dv_repeat_count=None, prior_notices=None)
    model, X = _fitted_checklist([QUIET, {**QUIET, **unknown}, {**QUIET, "dv_strangulation": True}])
    assert not model.answers(X)[:2].any()
    assert list(model.predict_route(X)) == ["municipality", "municipality", "cgc"]
