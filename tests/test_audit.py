"""Fairness audit: layers reproduce independent computations, flags follow the rule,
label bias is told apart from model bias, planted bias is found, bad input is named."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from triage.audit import (
    LABEL_NOT_BINARY,
    MISSING_COLUMN,
    SCORE_OUT_OF_RANGE,
    AuditConfig,
    Band,
    audit,
    audit_against_truth,
    power_table,
    prepare,
    with_recording_bias,
    without_recording_bias,
)
from triage.audit.disparity import bootstrap_counts
from triage.audit.flags import flag_table
from triage.audit.groups import confusion_counts
from triage.audit.mitigation import GroupThresholds, synthetic_mitigation
from triage.cli.audit import audit_app
from triage.synth import generate, load_spec

FAST = AuditConfig(n_boot=200)


def scored_table(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male", "unknown"], n, p=[0.49, 0.49, 0.02])
    welfare = pd.array(rng.choice([True, False], n, p=[0.25, 0.75]), dtype="boolean")
    welfare[rng.random(n) < 0.1] = pd.NA
    tiny = np.where(rng.random(n) < 0.005, "rare", "common")  # a group under min_n
    score = np.clip(rng.beta(1.2, 6.0, n) + 0.08 * (welfare.fillna(False).to_numpy(bool)), 0, 1)
    y = (rng.random(n) < score).astype(int)
    return pd.DataFrame({"sex": sex, "welfare": welfare, "tiny": tiny, "score": score, "y": y})


def pandas_reference(df: pd.DataFrame, column: str, threshold: float) -> pd.DataFrame:
    """Group metrics written out with plain pandas, independently of the audit."""
    g = df.assign(
        group=df[column]
        .astype(object)
        .where(df[column].notna(), "unknown")
        .map(
            lambda v: {True: "yes", False: "no"}.get(v, v) if isinstance(v, bool | np.bool_) else v
        ),
        f=(df["score"] >= threshold).astype(int),
    )
    out = {}
    for name, d in g.groupby("group"):
        tp = ((d.y == 1) & (d.f == 1)).sum()
        fp = ((d.y == 0) & (d.f == 1)).sum()
        fn = ((d.y == 1) & (d.f == 0)).sum()
        tn = ((d.y == 0) & (d.f == 0)).sum()
        out[name] = {
            "n": len(d),
            "base_rate": d.y.mean(),
            "flag_rate": d.f.mean(),
            "fnr": fn / (fn + tp),
            "fpr": fp / (fp + tn),
            "for": fn / (fn + tn),
            "precision": tp / (tp + fp),
            "brier": ((d.score - d.y) ** 2).mean(),
        }
    return pd.DataFrame(out).T


def test_group_metrics_reproduce_pandas_and_metricframe_to_1e9():
    df = scored_table()
    result = audit(df, label="y", score="score", threshold=0.2, sensitive=["sex", "welfare"],
                   config=FAST, verify=True)  # fmt: skip
    assert result.settings["verified_with_metricframe"]
    for column in ("sex", "welfare"):
        ref = pandas_reference(df, column, 0.2)
        mine = result.groups[result.groups.feature == column].set_index("group")
        for metric in ref.columns:
            np.testing.assert_allclose(
                mine.loc[ref.index, metric].astype(float),
                ref[metric].astype(float),
                atol=1e-9,
                rtol=0,
            )
        mf = result.metric_frame(column).by_group
        np.testing.assert_allclose(
            mine.loc[mf.index, "fnr"].astype(float), mf["fnr"].astype(float), atol=1e-9, rtol=0
        )


def test_small_groups_are_suppressed_not_shown():
    df = scored_table()
    result = audit(df, label="y", score="score", threshold=0.2, sensitive=["tiny"], config=FAST)
    rare = result.groups.set_index("group").loc["rare"]
    assert rare["suppressed"] and rare[["n", "fnr", "flag_rate", "auc"]].isna().all()
    d = result.disparities.set_index("group").loc["rare"]
    assert d["suppressed"].all() and d["ratio"].isna().all() and not d["flag"].any()


def test_unknown_is_a_group_and_reference_is_largest_or_named():
    df = scored_table()
    result = audit(df, label="y", score="score", threshold=0.2, sensitive=["welfare"], config=FAST)
    assert set(result.groups.group) == {"yes", "no", "unknown"}
    assert result.references["welfare"] == "no"
    named = audit(df, label="y", score="score", threshold=0.2, sensitive=["welfare"],
                  reference="welfare=yes", config=FAST)  # fmt: skip
    assert named.references["welfare"] == "yes"
    assert set(named.disparities.group) == {"no", "unknown"}


def test_tier_rule_and_intersections():
    df = scored_table().assign(tier=lambda d: np.where(d.score >= 0.3, "urgent", "standard"))
    result = audit(df, label="y", tier="tier", flag_tiers=["urgent"], sensitive=["sex", "welfare"],
                   intersections=["sex:welfare"], config=FAST)  # fmt: skip
    assert "sex x welfare" in set(result.groups.feature)
    assert "female|yes" in set(result.groups.group)
    assert "auc" not in result.groups.columns


def test_bootstrap_counts_are_paired_resamples_of_the_confusion_counts():
    inputs = prepare(scored_table(500), label="y", score="score", threshold=0.2, sensitive=["sex"])
    reps = bootstrap_counts(inputs, n_boot=50, seed=3)["sex"]
    assert reps.shape == (50, 3, 4)
    assert np.all(reps.sum(axis=(1, 2)) == 500)  # every replicate resamples all notices
    again = bootstrap_counts(inputs, n_boot=50, seed=3, n_jobs=1)["sex"]
    np.testing.assert_array_equal(reps, again)
    assert abs(reps.mean(axis=0) - confusion_counts(inputs, "sex")).max() < 10


def test_flag_needs_interval_excluding_parity_and_point_outside_band():
    d = pd.DataFrame({
        "suppressed": [False] * 4,
        "ratio": [1.5, 1.5, 1.1, 0.5],
        "ratio_low": [1.2, 0.9, 1.05, 0.3],
        "ratio_high": [1.9, 2.5, 1.2, 0.7],
        "events": [5, 5, 5, 5],
        "reference_events": [9, 9, 9, 9],
    })  # fmt: skip
    flags = flag_table(d, Band())
    assert flags["flag"].tolist() == [True, False, False, True]


COLUMNS = "sex, welfare, tiny, score, y"


@pytest.mark.parametrize(
    ("change", "kwargs", "message", "column"),
    [
        (None, {"sensitive": ["nope"]},
         MISSING_COLUMN.format(role="sensitive", column="nope", available=COLUMNS), "nope"),
        ("y", {}, LABEL_NOT_BINARY.format(column="y", bad="1 row that does not, the first at row 4"), "y"),
        ("score", {}, SCORE_OUT_OF_RANGE.format(column="score", bad="1 row that does not, the first at row 6"), "score"),
    ],
)  # fmt: skip
def test_bad_input_names_the_column(change, kwargs, message, column):
    df = scored_table(200)
    if change == "y":
        df.loc[3, "y"] = 2
    if change == "score":
        df.loc[5, "score"] = 1.3
    args = {"label": "y", "score": "score", "threshold": 0.2, "sensitive": ["sex"], **kwargs}
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$") as err:
        audit(df, config=FAST, **args)
    assert repr(column) in str(err.value)


def _synthetic(spec, n=40_000, seed=11):
    data = generate(spec, n=n, seed=seed)
    return pd.concat([data.notices, data.truth.drop(columns="notice_id")], axis=1)


@pytest.mark.slow
def test_surveillance_bias_is_flagged_on_recorded_labels_and_traced_to_the_labels():
    base = without_recording_bias(load_spec())
    biased = with_recording_bias(base, mechanism="false_record", terms={"welfare_receipt": 3.0})
    cfg = AuditConfig(n_boot=200)
    args = {"score": "p_harm", "threshold": 0.15, "config": cfg, "verify": False}
    on = audit_against_truth(_synthetic(biased), **args)
    off = audit_against_truth(_synthetic(base), **args)

    def flagged(result, metric):
        d = result.disparities
        return d[(d.feature == "welfare_receipt") & (d.group == "yes") & (d.metric == metric)][
            "flag"
        ].item()

    assert flagged(on.recorded, "for")  # recorded labels: the model "misses" welfare families
    assert (
        not flagged(on.true, "for")
        or on.true.disparities.query(
            "feature == 'welfare_receipt' and group == 'yes' and metric == 'for'"
        )["ratio"].item()
        < on.recorded.disparities.query(
            "feature == 'welfare_receipt' and group == 'yes' and metric == 'for'"
        )["ratio"].item()
    )
    assert flagged(on.labels, "fpr")  # ...because harm is recorded that did not happen
    diff = on.differences.query("feature == 'welfare_receipt' and metric == 'base_rate'")
    by = diff.set_index("group")["difference"]
    assert by["yes"] > by["no"] + 0.05  # the label bias sits on welfare families
    # switched off: the labels audit flags no more than chance
    chance = power_table(base, effects=[0.0], sizes=[40_000], sims=2, n_boot=200, seed=5)
    comparisons = (~off.labels.disparities["suppressed"]).sum()
    assert off.labels.disparities["flag"].sum() <= max(
        2, 3 * chance["other_flag_rate"].item() * comparisons
    )
    assert not flagged(off.labels, "fpr")


@pytest.mark.slow
def test_power_table_grows_with_effect():
    table = power_table(load_spec(), effects=[0.0, 2.5], sizes=[20_000], sims=3, n_boot=100)
    assert (
        table.loc[table.effect == 2.5, "power"].item()
        >= table.loc[table.effect == 0, "power"].item()
    )
    assert table.loc[table.effect == 2.5, "ratio"].item() > 3
    assert set(table.columns) >= {"effect", "n", "power", "other_flag_rate", "ratio"}


@pytest.mark.slow
def test_mitigation_is_deterministic_and_audited():
    cfg = AuditConfig(n_boot=50)
    a = synthetic_mitigation(n=8000, seed=2, config=cfg, eg_max_iter=5)
    b = synthetic_mitigation(n=8000, seed=2, config=cfg, eg_max_iter=5)
    assert set(a) == {"baseline", "threshold_optimizer", "exponentiated_gradient"}
    for name in a:
        np.testing.assert_array_equal(a[name].flagged, b[name].flagged)
        assert "cost.accuracy" in a[name].accuracy
    to = a["threshold_optimizer"].details["thresholds"]
    assert set(to) == {"no", "yes", "unknown"}
    rule = GroupThresholds({"a": 0.3}, fallback=0.5)
    assert rule.predict([0.4, 0.4], ["a", "b"]).tolist() == [1, 0]


def test_cli_audits_a_table_and_names_a_bad_column(tmp_path):
    df = scored_table(1000)
    path = tmp_path / "scores.csv"
    df.to_csv(path, index=False)
    app = typer.Typer()
    app.add_typer(audit_app, name="audit")
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "--scores", str(path), "--label", "y", "--score", "score",
                             "--threshold", "0.2", "--sensitive", "sex,welfare", "--n-boot", "50",
                             "--out", str(tmp_path / "out"), "--no-mlflow"])  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "layer 1" in ok.output and (tmp_path / "out" / "audit_groups.csv").exists()
    bad = runner.invoke(app, ["audit", "--scores", str(path), "--label", "y", "--score", "score",
                              "--threshold", "0.2", "--sensitive", "missing_col", "--no-mlflow"])  # fmt: skip
    assert bad.exit_code == 2 and "missing_col" in bad.output


def test_audit_lands_in_mlflow(tmp_path, monkeypatch):
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.chdir(tmp_path)  # a new SQLite store's default artefact root is ./mlruns
    from triage.audit import log_audit

    df = scored_table(800).assign(y_true=lambda d: d.y)
    result = audit_against_truth(df, recorded_label="y", true_label="y_true", score="score",
                                 threshold=0.2, sensitive=["sex"], config=AuditConfig(n_boot=20))  # fmt: skip
    run_id = log_audit(result, experiment="audit-test")
    files = {f.path for f in mlflow.MlflowClient().list_artifacts(run_id, "audit/recorded")}
    assert {
        "audit/recorded/groups.csv",
        "audit/recorded/audit.json",
        "audit/recorded/disparities.png",
    } <= files


# `triage audit --run`: a wrong run id or an unreachable store is one `error:` line, exit 2.

UNKNOWN_RUN = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def temp_store(tmp_path, monkeypatch):
    """MLFLOW_TRACKING_URI to a SQLite file in tmp_path; MLflow's in-process URIs restored after."""
    import mlflow.tracking._model_registry.utils as registry_utils
    import mlflow.tracking._tracking_service.utils as tracking_utils

    monkeypatch.setattr(tracking_utils, "_tracking_uri", None)
    monkeypatch.setattr(registry_utils, "_registry_uri", None)
    monkeypatch.chdir(tmp_path)  # anything MLflow puts beside the working folder stays in tmp
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


@pytest.fixture
def logged_runs(temp_store, tmp_path):
    """Two runs in the temporary store: an intake run with test predictions, a DV run without."""
    import mlflow

    from triage.audit.runs import log_test_predictions

    client = mlflow.MlflowClient(temp_store)
    exp = client.create_experiment("audit-cli", artifact_location=(tmp_path / "art").as_uri())
    data = generate(load_spec(), n=1500, seed=3)
    rng = np.random.default_rng(0)
    scores = rng.random(len(data.notices))
    tiers = np.where(scores > 0.9, "immediate", np.where(scores > 0.7, "urgent", "standard"))
    intake = client.create_run(exp, tags={"pipeline": "intake_urgency"}).info.run_id
    log_test_predictions(intake, notices=data.notices, truth=data.truth, scores=scores, tiers=tiers)
    dv = client.create_run(exp, tags={"pipeline": "dv_witness_sorting"}).info.run_id
    return {"intake": intake, "dv": dv}


def invoke_audit(*args: str):
    from triage.cli import app as triage_app

    return CliRunner().invoke(triage_app, ["audit", *args])


def one_error_line(result, *expected: str) -> str:
    """The command stopped with exit 2 and one `error:` line on stderr naming ``expected``."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # nothing escaped
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def test_audit_of_a_run_with_test_predictions_works(logged_runs):
    res = invoke_audit("--run", logged_runs["intake"], "--n-boot", "20", "--no-mlflow")
    assert res.exit_code == 0, res.output
    assert "layer 1" in res.output


def test_audit_of_an_unknown_run_names_it_and_the_store(logged_runs, temp_store):
    line = one_error_line(
        invoke_audit("--run", UNKNOWN_RUN), f"--run: no MLflow run '{UNKNOWN_RUN}'"
    )
    assert temp_store in line and "`triage run`" in line


def test_audit_of_a_run_without_predictions_says_what_run_it_is(logged_runs):
    dv = logged_runs["dv"]
    one_error_line(
        invoke_audit("--run", dv),
        f"--run: run '{dv}' (a dv_witness_sorting run) has no logged test predictions",
        "audit_inputs/test_predictions.parquet",
        "expected the id of a model run of `triage run` that logged them",
    )


@pytest.mark.parametrize("bad_id", ["not a run!", ""])
def test_audit_of_a_malformed_run_id_says_what_an_id_looks_like(logged_runs, bad_id):
    one_error_line(
        invoke_audit("--run", bad_id),
        f"--run: {bad_id!r} is not an MLflow run id",
        "32-character hexadecimal",
    )


def test_audit_in_a_store_that_does_not_exist_says_so_and_makes_none(temp_store, tmp_path):
    one_error_line(
        invoke_audit("--run", UNKNOWN_RUN),
        f"--run: the tracking store {temp_store} does not exist",
        "MLFLOW_TRACKING_URI",
    )
    assert not (tmp_path / "mlflow.db").exists()


def test_audit_with_a_store_that_is_not_a_database(temp_store, tmp_path, monkeypatch):
    (tmp_path / "garbage.db").write_text("not a database")
    uri = f"sqlite:///{tmp_path / 'garbage.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    one_error_line(
        invoke_audit("--run", UNKNOWN_RUN),
        f"cannot look up run '{UNKNOWN_RUN}': the MLflow tracking store {uri} cannot be read",
        "expected a running MLflow server or an MLflow database",
    )


def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_audit_with_an_unreachable_server_is_one_line_at_once(temp_store, tmp_path):
    """In a real process: MLflow alone would retry a refused connection for minutes."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    uri = f"http://127.0.0.1:{closed_port()}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
    triage = Path(sys.executable).parent / "triage"
    start = time.monotonic()
    done = subprocess.run([str(triage), "audit", "--run", UNKNOWN_RUN], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert time.monotonic() - start < 60
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"error: cannot look up run '{UNKNOWN_RUN}': ")
    assert f"the MLflow tracking store {uri} cannot be read (no answer: " in lines[0]


def test_audit_of_a_table_checks_the_store_before_the_work(temp_store, tmp_path, monkeypatch):
    path = tmp_path / "scores.csv"
    scored_table(300).to_csv(path, index=False)
    uri = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    res = invoke_audit("--scores", str(path), "--label", "y", "--score", "score",
                       "--threshold", "0.2", "--sensitive", "sex", "--n-boot", "20")  # fmt: skip
    one_error_line(res, f"the MLflow tracking store {uri} cannot be read", "--no-mlflow")
    assert "layer 1" not in res.stdout


def test_a_group_without_positives_has_an_undefined_fnr_and_the_fairlearn_check_agrees():
    # The cross-check against fairlearn once failed here: fairlearn answers FNR 0 for a
    # group with no positives, where the audit (rightly) says undefined.
    df = pd.DataFrame(
        {
            "y": [0] * 30 + [1, 0] * 15,
            "score": np.linspace(0.05, 0.95, 60),
            "sex": ["a"] * 30 + ["b"] * 30,
        }
    )
    result = audit(
        df, label="y", score="score", threshold=0.2, sensitive=["sex"], config=FAST, verify=True
    )
    groups = result.groups.set_index("group")
    assert np.isnan(groups.loc["a", "fnr"]) and groups.loc["b", "fnr"] >= 0
