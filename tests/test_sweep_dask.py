"""Issue 18's Done-when: a real Dask scheduler and two workers (the ``dask`` command-line
tools) and a real ``mlflow server`` on loopback; a 4-cell sweep of the CI config with one cell
made to fail ends with 3 finished child runs, 1 failed with its error, and the summary; once
the failing cell's cause is gone ``--resume`` runs only that cell, and then nothing."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from loopback import free_port
from triage.experiment.config import find_config
from triage.sweep import tags
from triage.sweep.overrides import with_overrides

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
SPEC = Path(__file__).resolve().parents[1] / "synthetic" / "spec.yaml"
SMALL = {  # the CI config made tiny: a cell is one quick pipeline run
    "evaluation.n_boot": 20,
    "explanations.enabled": False,
    "candidates.tree.enabled": False,
}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "DASK_"))}
    return {**env, **extra}


def _start(args: list[str], cwd: Path, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(args, cwd=cwd, env=_env(), stdout=out, stderr=subprocess.STDOUT)


def _wait_for(ready, what: str, procs: list[subprocess.Popen], seconds: float = 90.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = ready()
        if value:
            return value
        if any(p.poll() is not None for p in procs):
            pytest.fail(f"{what}: a process it needs ended early")
        time.sleep(0.2)
    pytest.fail(f"{what}: not ready within {seconds:.0f} s")


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def cluster(tmp_path):
    """(scheduler address, tracking URI): a Dask scheduler with two single-threaded workers,
    and an MLflow server with a SQLite backend and its artefacts, all under tmp_path."""
    logs, workdir = tmp_path / "logs", tmp_path / "workers"
    logs.mkdir()
    workdir.mkdir()  # the workers run in a folder of their own, as on another machine
    port = free_port()
    scheduler_file = tmp_path / "scheduler.json"
    procs = [
        _start(
            [str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
             "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}",
             "--artifacts-destination", str(tmp_path / "artifacts"), "--workers", "1"],
            tmp_path, logs / "mlflow.log",
        ),
        _start(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", str(scheduler_file)],
            tmp_path, logs / "scheduler.log",
        ),
    ]  # fmt: skip
    try:
        address = _wait_for(
            lambda: scheduler_file.is_file()
            and json.loads(scheduler_file.read_text() or "{}").get("address"),
            "dask scheduler",
            procs,
        )
        for n in (1, 2):
            procs.append(
                _start(
                    [str(BIN / "dask"), "worker", "--scheduler-file", str(scheduler_file),
                     "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1",
                     "--name", f"w{n}"],
                    workdir, logs / f"worker{n}.log",
                )  # fmt: skip
            )
        _wait_for(lambda: _listening(port), "mlflow server", procs)
        yield address, f"http://127.0.0.1:{port}"
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _sweep(tmp_path: Path, spec: Path) -> Path:
    """4 cells of the tiny CI config; the 4th reads a generator spec that is not there yet."""
    base = tmp_path / "tiny.yaml"
    raw = yaml.safe_load(find_config("ci").read_text("utf-8"))
    base.write_text(yaml.safe_dump(with_overrides(raw, SMALL)), "utf-8")
    path = tmp_path / "sweep.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "ci-on-dask",
                "question": "Does a sweep run on a Dask cluster against a tracking server?",
                "base": str(base),
                "zip": {
                    "data.synthetic.n": [6000, 6500, 7000, 6000],
                    "data.synthetic.spec": [None, None, None, str(spec)],
                },
                "seeds": [3],
            }
        ),
        "utf-8",
    )
    return path


def _children(client, parent):
    return client.search_runs(
        [parent.info.experiment_id],
        filter_string=f"tags.`{tags.PARENT}` = '{parent.info.run_id}'",
    )


def test_a_sweep_on_an_existing_cluster_records_each_cell_and_resumes(tmp_path, cluster):
    from mlflow import MlflowClient

    address, uri = cluster
    spec = tmp_path / "later" / "spec.yaml"  # made only after the first run
    command = [str(BIN / "triage"), "sweep", str(_sweep(tmp_path, spec)), "--scheduler", address]
    env = _env(MLFLOW_TRACKING_URI=uri)

    def sweep(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*command, *extra, "--quiet"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240,
        )  # fmt: skip

    first = sweep()
    assert first.returncode == 1, first.stderr + first.stdout  # one cell failed
    assert "sweep ci-on-dask: 4 cells run: 3 finished, 1 failed" in first.stdout
    assert "failed c004-s3: SpecError: cannot read spec" in first.stdout
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("intake-urgency-ci")
    (parent,) = client.search_runs(
        [experiment.experiment_id], filter_string=f"tags.`{tags.SWEEP}` = 'ci-on-dask' "
        f"and tags.`{tags.KEYS}` LIKE '%'",
    )  # fmt: skip
    assert f"parent run: {parent.info.run_id}" in first.stdout
    assert parent.info.status == "FINISHED"
    assert json.loads(parent.data.tags[tags.KEYS]) == ["data.synthetic.n", "data.synthetic.spec"]
    runs = {c.data.tags[tags.CELL]: c for c in _children(client, parent)}
    assert {cell: run.info.status for cell, run in runs.items()} == {
        "c001-s3": "FINISHED", "c002-s3": "FINISHED", "c003-s3": "FINISHED", "c004-s3": "FAILED"
    }  # fmt: skip
    failed = runs["c004-s3"]
    assert str(spec) in failed.data.tags[tags.ERROR]
    assert "error.txt" in {a.path for a in client.list_artifacts(failed.info.run_id)}
    assert json.loads(runs["c002-s3"].data.tags[tags.OVERRIDES]) == {
        "data.synthetic.n": 6500, "data.synthetic.spec": None
    }  # fmt: skip
    assert runs["c002-s3"].data.tags[tags.SEED] == "3"
    assert "true.oracle.auc" in runs["c002-s3"].data.metrics
    assert client.search_registered_models() == []
    # A worker may be another machine: each cell's card is kept in its run only.
    card = {a.path for a in client.list_artifacts(runs["c002-s3"].info.run_id, "report")}
    assert "report/model_card.html" in card
    assert not (tmp_path / "reports" / "ci-on-dask" / "cells").exists()
    # The workers' own folder holds nothing: every run and artefact went to the server.
    assert not {p.name for p in (tmp_path / "workers").iterdir()} & {"mlruns", "mlflow.db"}
    summary = next(line for line in first.stdout.splitlines() if line.startswith("summary: "))
    assert (tmp_path / summary.removeprefix("summary: ")).is_file()
    resume = f"next: triage sweep {command[2]} --resume --scheduler {address}"
    assert resume in first.stdout

    spec.parent.mkdir()
    shutil.copy(SPEC, spec)  # the failing cell's cause is gone: --resume runs it alone
    second = sweep("--resume")
    assert second.returncode == 0, second.stderr + second.stdout
    assert "1 cells run: 1 finished, 0 failed; 3 already finished (skipped)" in second.stdout
    third = sweep("--resume")
    assert third.returncode == 0, third.stderr + third.stdout
    assert "0 cells run: 0 finished, 0 failed; 4 already finished (skipped)" in third.stdout
    statuses = sorted(c.info.status for c in _children(client, parent))
    assert statuses == ["FAILED"] + ["FINISHED"] * 4  # the failed attempt stays on record
