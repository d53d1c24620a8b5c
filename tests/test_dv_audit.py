"""`triage audit --run` of a DV-witness routing run: its routes audited by group.

A DV run logs its test predictions with the columns the audit reads (``AuditRoles``):
"flagged" is sent to the CGC, so under-routing (a truly-CGC notice sent to the
municipality, the harmful error) is the audit's false-negative rate. Small synthetic
notices and a real SQLite store in tmp_path; the pipeline end to end is in
``test_dv_pipeline.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from triage.audit import AuditConfig, audit_against_truth
from triage.audit.runs import (
    INTAKE_ROLES,
    OF_RUN_TAG,
    AuditRoles,
    load_logged_predictions,
    log_test_predictions,
)
from triage.contract.columns import P_HARM, RECORDED_HARM, TRUE_HARM
from triage.experiment.routing import CGC, MUNICIPALITY, route_target
from triage.experiment.routing_assessment import assess_routing
from triage.experiment.routing_log import (
    ROUTE_AUDIT,
    ROUTE_LABELS,
    log_route_predictions,
    route_predictions_frame,
)
from triage.features import SENSITIVE_FIELDS
from triage.synth import generate, load_spec

NO_BOOTSTRAP = AuditConfig(n_boot=0, min_n=1)


@pytest.fixture(scope="module")
def dv_test_period():
    """DV-witness notices with their truth, a noisy P(cgc) and routes at a capacity cut."""
    data = generate(load_spec(), n=6000, seed=5)
    keep = (data.notices["notice_kind"].astype(object) == "dv_witness").to_numpy()
    notices = data.notices.loc[keep].reset_index(drop=True)
    truth = data.truth.loc[keep].reset_index(drop=True)
    rng = np.random.default_rng(0)
    risk = np.clip(truth[P_HARM].to_numpy() + rng.normal(0, 0.05, len(truth)), 0, 1)
    routes = np.where(risk >= np.quantile(risk, 0.85), CGC, MUNICIPALITY).astype(object)
    return notices, truth, risk, routes


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """MLFLOW_TRACKING_URI to a SQLite file in a temporary folder (made once: ~4 s), and that
    folder; MLflow's in-process URIs restored after. Each test writes its own runs."""
    import mlflow.tracking._model_registry.utils as registry_utils
    import mlflow.tracking._tracking_service.utils as tracking_utils

    folder = tmp_path_factory.mktemp("dv-audit-store")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tracking_utils, "_tracking_uri", None)
        mp.setattr(registry_utils, "_registry_uri", None)
        mp.chdir(folder)
        mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{folder / 'mlflow.db'}")
        yield folder


def new_run(store, **tags: str) -> str:
    """A new run in an experiment of its own (artefacts in the store's folder)."""
    import uuid

    import mlflow

    client = mlflow.MlflowClient()
    name = uuid.uuid4().hex
    exp = client.create_experiment(name, artifact_location=(store / name).as_uri())
    return client.create_run(exp, tags=tags).info.run_id


@pytest.fixture
def dv_run(store, dv_test_period):
    """A run tagged as a DV run, holding the test predictions a DV pipeline logs."""
    notices, truth, risk, routes = dv_test_period
    run_id = new_run(store, pipeline="dv_witness_sorting")
    log_route_predictions(
        run_id, notices=notices, truth=truth, risk=risk, routes=routes, include_sensitive=False
    )
    return run_id


def test_route_predictions_hold_the_audits_columns_and_no_notice_content(dv_test_period):
    notices, truth, risk, routes = dv_test_period
    frame = route_predictions_frame(notices, truth, risk=risk, routes=routes)
    labels = [ROUTE_LABELS["recorded"], ROUTE_LABELS["true"]]
    assert list(frame.columns) == [*SENSITIVE_FIELDS, *labels, "score", "route"]
    for outcome, column in ROUTE_LABELS.items():
        assert frame[column].tolist() == route_target(truth, outcome).tolist()
    assert frame["route"].tolist() == list(routes)
    assert np.array_equal(frame["score"].to_numpy(), risk)


def test_a_dv_run_names_its_audit_columns_and_an_older_run_reads_as_intake(dv_run, store):
    logged = load_logged_predictions(dv_run)
    assert logged.roles == ROUTE_AUDIT
    assert logged.roles.decision == "route" and logged.roles.flagged == (CGC,)
    assert logged.model_inputs == "sensitive features were not model inputs"
    assert AuditRoles.from_tags({}) == INTAKE_ROLES  # a run logged before runs named them
    # An intake run without ground truth names no true outcome.
    intake = new_run(store, pipeline="intake_urgency")
    data = generate(load_spec(), n=1200, seed=2)
    scores = np.random.default_rng(1).random(len(data.notices))
    recorded_only = data.truth.drop(columns=[TRUE_HARM])
    log_test_predictions(intake, notices=data.notices, truth=recorded_only, scores=scores)
    roles = load_logged_predictions(intake).roles
    assert roles == AuditRoles(label=RECORDED_HARM, truth=None, decision="tier")


def test_under_routing_is_the_audits_false_negative_rate(dv_test_period):
    notices, truth, risk, routes = dv_test_period
    frame = route_predictions_frame(notices, truth, risk=risk, routes=routes)
    roles = ROUTE_AUDIT
    result = audit_against_truth(
        frame, recorded_label=roles.label, true_label=roles.truth, tier=roles.decision,
        flag_tiers=roles.flagged, sensitive=["child_sex"], config=NO_BOOTSTRAP,
    )  # fmt: skip
    assessed = assess_routing(
        truth, {"model": risk}, {"model": routes}, oracle_routes={}, n_boot=0, seed=0, level=0.95
    )
    for outcome, part in (("true", result.true), ("recorded", result.recorded)):
        groups = part.groups  # every group of child_sex: all notices, split by sex
        missed, found = groups["fn"].sum(), groups["tp"].sum()
        under = assessed.metrics[outcome]["model"]["under_routing"]
        assert missed / (missed + found) == pytest.approx(under, abs=1e-12), outcome
        assert 0 < under < 1


def invoke_audit(*args: str):
    from triage.cli import app as triage_app

    return CliRunner().invoke(triage_app, ["audit", *args])


def test_cli_audits_a_dv_run_by_route_and_logs_the_audit_naming_it(dv_run, tmp_path):
    import mlflow

    quick = tmp_path / "audit.yaml"  # fairlearn's cross-check is tested in test_audit.py
    quick.write_text("verify_max_rows: 0\nn_boot: 20\n", "utf-8")
    res = invoke_audit("--run", dv_run, "--config", str(quick), "--sensitive", "child_sex")
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())  # the console wraps long lines
    assert "flagged when route in {cgc}" in text
    for label in ROUTE_LABELS.values():
        assert f"label {label}" in text
    client = mlflow.MlflowClient()
    (audit_run,) = client.search_runs(
        [e.experiment_id for e in client.search_experiments()],
        filter_string=f"tags.`{OF_RUN_TAG}` = '{dv_run}'",
    )
    assert audit_run.data.tags["kind"] == "fairness-audit"
    assert audit_run.data.params["audit.flag_rule"] == "route in {cgc}"
    parts = {a.path for a in client.list_artifacts(audit_run.info.run_id, "audit")}
    assert {"audit/true", "audit/recorded", "audit/labels"} <= parts
    # A miss of a route is under-routing, in the terminal, the logged settings and the card
    # (issue 17: it said under-triage); the labels' own misses are outcomes never recorded.
    assert text.count("fnr: false-negative rate (under-routing)") == 2
    assert "fnr: false-negative rate (never recorded)" in text
    assert "under-triage" not in text
    assert audit_run.data.params["audit.decision"] == "route"
    _the_card_names_a_missed_route_under_routing(client, dv_run)


def _the_card_names_a_missed_route_under_routing(client, run_id: str) -> None:
    from triage.report.reader import read_card_inputs
    from triage.report.sections.fairness import fairness_section

    inputs = read_card_inputs(client, run_id)
    for lang, routing, triage in (
        ("en", "under-routing", "under-triage"),
        ("ja", "過小振り分け", "過小トリアージ"),
    ):
        section = fairness_section(inputs.run, inputs.audit, lang, {})
        headers = [c for table in section["tables"] for c in table["columns"]]
        assert sum(routing in c for c in headers) == 2, (lang, headers)  # true and recorded
        assert not any(triage in c for c in headers), (lang, headers)
