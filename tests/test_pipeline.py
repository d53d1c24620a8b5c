"""The intake-urgency pipeline end to end: real data, real models, a real MLflow store."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loopback import free_port

REPO = Path(__file__).resolve().parents[1]
CI_CONFIG = REPO / "configs" / "ci.yaml"
TRIAGE = str(Path(sys.executable).with_name("triage"))

pytestmark = pytest.mark.slow


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(extra)
    return env


MODEL = "intake-urgency-ci"  # the CI config's own name, never the production model's


def _run(
    args: list[str], cwd: Path, env: dict[str, str], timeout: int = 300
) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """``triage run configs/ci.yaml`` in an empty folder: the embedded SQLite store appears there."""
    work = tmp_path_factory.mktemp("local")
    proc = _run([TRIAGE, "run", str(CI_CONFIG), "--quiet"], work, _env())
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return work, proc


def _client(work: Path):
    from mlflow import MlflowClient

    uri = f"sqlite:///{work / 'mlflow.db'}"
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _only_run(client, experiment: str = "intake-urgency-ci"):
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id])
    return runs


def test_run_prints_every_candidate_and_the_oracle_and_where_to_look(local_run):
    work, proc = local_run
    out = proc.stdout
    for name in ("checklist", "scorecard", "lightgbm", "tree", "oracle"):
        assert name in out
    for column in ("AUC", "Brier", "under-triage", "recall at capacity"):
        assert column in out
    assert "mlflow ui --backend-store-uri sqlite:" in out
    assert (work / "mlflow.db").is_file()


def test_run_logs_params_tags_metrics_artefacts(local_run):
    work, _ = local_run
    client = _client(work)
    (run,) = _only_run(client)
    params, tags, metrics = run.data.params, run.data.tags, run.data.metrics
    assert params["tiers.capacity.workers"] == "9.0" or params["tiers.capacity.workers"] == "9"
    assert params["config_version"] == "1"
    for tag in (
        "data.fingerprint",
        "synth.spec_version",
        "synth.seed",
        "git_commit",
        "version.lightgbm",
    ):
        assert tags.get(tag), tag
    for key in ("true.lightgbm.auc", "recorded.lightgbm.auc", "true.oracle.auc", "true.lightgbm.auc_ratio",
                "true.lightgbm.auc_low", "true.lightgbm.auc_high", "true.scorecard.under_triage",
                "true.lightgbm.recall_at_k_worst", "true.lightgbm.ece"):  # fmt: skip
        assert key in metrics, key
    assert (
        metrics["true.lightgbm.auc_low"]
        <= metrics["true.lightgbm.auc"]
        <= metrics["true.lightgbm.auc_high"]
    )
    assert -1.0 <= metrics["truth.spearman"] <= 1.0  # the truth check, logged with every run
    explanations = {a.path for a in client.list_artifacts(run.info.run_id, "explanations")}
    assert "explanations/global.json" in explanations
    artefacts = {a.path for a in client.list_artifacts(run.info.run_id, "evaluation")}
    assert "evaluation/metrics.json" in artefacts
    assert "evaluation/reliability_true_outcome.png" in artefacts
    cards = {a.path for a in client.list_artifacts(run.info.run_id, "report")}
    assert "report/model_card.html" in cards and "report/model_card.json" in cards
    assert (work / "reports" / "intake-urgency-ci" / "model_card.html").is_file()
    config = {a.path for a in client.list_artifacts(run.info.run_id, "config")}
    assert config == {"config/experiment.yaml"}


def test_model_is_registered_as_candidate_never_champion(local_run):
    from mlflow.exceptions import MlflowException

    work, _ = local_run
    client = _client(work)
    version = client.get_model_version_by_alias(MODEL, "candidate")
    assert str(version.version) == "1"
    with pytest.raises(MlflowException):
        client.get_model_version_by_alias(MODEL, "champion")
    with pytest.raises(MlflowException):  # the production model is not touched
        client.get_registered_model("intake-urgency")


def test_registered_model_loads_with_stock_pyfunc_in_a_fresh_process(local_run):
    work, _ = local_run
    sample = REPO / "synthetic" / "sample" / "notices.jsonl"
    code = f"""
import json, mlflow, pandas as pd
model = mlflow.pyfunc.load_model("models:/{MODEL}@candidate")
rows = [json.loads(l) for l in open({str(sample)!r}, encoding="utf-8").read().splitlines()[:200]]
p = model.predict(pd.DataFrame(rows))
print(json.dumps({{"shape": list(p.shape), "min": float(p.min()), "max": float(p.max()),
                   "rowsum": float(abs(p.sum(axis=1) - 1).max())}}))
"""
    env = _env(MLFLOW_TRACKING_URI=f"sqlite:///{work / 'mlflow.db'}")
    proc = _run([sys.executable, "-c", code], work, env)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["shape"] == [200, 2]
    assert out["min"] >= 0.0 and out["max"] <= 1.0
    assert out["rowsum"] < 1e-9


def test_same_config_and_seed_give_the_same_metrics(local_run, tmp_path):
    work, _ = local_run
    proc = _run([TRIAGE, "run", str(CI_CONFIG), "--quiet"], tmp_path, _env())
    assert proc.returncode == 0, proc.stderr
    (first,) = _only_run(_client(work))
    (second,) = _only_run(_client(tmp_path))
    assert first.data.metrics == second.data.metrics
    assert first.data.tags["data.fingerprint"] == second.data.tags["data.fingerprint"]


def test_promotion_needs_a_reason_and_records_it(local_run):
    work, _ = local_run
    env = _env(MLFLOW_TRACKING_URI=f"sqlite:///{work / 'mlflow.db'}")
    refused = _run([TRIAGE, "promote", "1", "--model", MODEL, "--reason", "  "], work, env)
    assert refused.returncode == 2 and "reason" in refused.stderr
    ok = _run(
        [
            TRIAGE,
            "promote",
            "1",
            "--model",
            MODEL,
            "--reason",
            "reviewed the model card on 2026-11-26",
        ],
        work,
        env,
    )
    assert ok.returncode == 0, ok.stderr
    client = _client(work)
    version = client.get_model_version_by_alias(MODEL, "champion")
    assert str(version.version) == "1"
    assert version.tags["champion.reason"] == "reviewed the model card on 2026-11-26"
    missing = _run([TRIAGE, "promote", "99", "--model", MODEL, "--reason", "x"], work, env)
    assert missing.returncode == 2  # no such version: the user's mistake, one error line


def test_bad_config_fails_before_anything_runs(tmp_path):
    bad = tmp_path / "bad.yaml"
    text = (
        CI_CONFIG.read_text("utf-8")
        .replace("workers: 9,", "workers: -9,")
        .replace("n_boot:", "n_bot:")
    )
    bad.write_text(text, "utf-8")
    proc = _run([TRIAGE, "run", str(bad)], tmp_path, _env())
    assert proc.returncode == 1
    assert "tiers.capacity.workers" in proc.stderr
    assert "evaluation.n_bot" in proc.stderr
    assert not (tmp_path / "mlflow.db").exists()


def test_run_against_a_real_mlflow_server(tmp_path):
    port = free_port()
    mlflow_bin = str(Path(sys.executable).with_name("mlflow"))
    server = subprocess.Popen(
        [
            mlflow_bin,
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--backend-store-uri",
            f"sqlite:///{tmp_path / 'server.db'}",
            "--artifacts-destination",
            str(tmp_path / "artifacts"),
            "--workers",
            "1",
        ],  # fmt: skip
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("mlflow server did not start within 90 s")
        proc = _run(
            [TRIAGE, "run", str(CI_CONFIG), "--quiet"], tmp_path, _env(MLFLOW_TRACKING_URI=uri)
        )
        assert proc.returncode == 0, proc.stderr
        assert not (tmp_path / "mlflow.db").exists()  # nothing went to the embedded store

        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        (run,) = client.search_runs(
            [client.get_experiment_by_name("intake-urgency-ci").experiment_id]
        )
        assert run.data.metrics["true.oracle.auc"] > 0.7
        assert client.get_model_version_by_alias(MODEL, "candidate").run_id == run.info.run_id
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_mlflow_run_tracks_into_triage_runs_store_and_the_configs_experiment(tmp_path):
    """Nothing set: ``mlflow run`` and ``triage run`` share MLflow's default store here
    (./mlflow.db) and the config's experiment; MLflow's own run points to the pipeline's."""
    env = _env(PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    env.pop("MLFLOW_TRACKING_URI", None)
    mlflow_bin = str(Path(sys.executable).with_name("mlflow"))
    proc = _run(
        [
            mlflow_bin, "run", str(REPO / "pipelines"), "--env-manager", "local",
            "-P", f"config={CI_CONFIG}", "-P", f"reports={tmp_path / 'reports'}",
        ],  # fmt: skip
        tmp_path,
        env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    (run,) = _only_run(client)
    assert run.info.status == "FINISHED"
    assert "true.lightgbm.auc" in run.data.metrics
    (launcher,) = client.search_runs([client.get_experiment_by_name("Default").experiment_id])
    assert launcher.data.tags["triage.pipeline_run"] == run.info.run_id
    assert f"its run is {run.info.run_id} in experiment 'intake-urgency-ci'" in proc.stdout
    printed = f"MLflow run {run.info.run_id} in experiment {run.info.experiment_id} at {uri}"
    assert printed in proc.stdout.replace("\n", " ")
    assert client.get_model_version_by_alias(MODEL, "candidate").run_id == run.info.run_id
    assert run.info.artifact_uri.startswith((tmp_path / "mlruns").as_uri())
    assert (tmp_path / "reports" / "intake-urgency-ci" / "model_card.html").is_file()
    assert not (REPO / "pipelines" / "reports").exists()  # nothing written inside the project
    assert not list((REPO / "pipelines").glob("mlflow.db*"))


def test_audit_reads_a_runs_test_period_back(local_run):
    work, _ = local_run
    (run,) = _only_run(_client(work))
    env = _env(MLFLOW_TRACKING_URI=f"sqlite:///{work / 'mlflow.db'}")
    proc = _run(
        [TRIAGE, "audit", "--run", run.info.run_id, "--n-boot", "50", "--no-mlflow"], work, env
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "welfare_receipt" in proc.stdout
    assert "label bias" in proc.stdout
