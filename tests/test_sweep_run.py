"""A sweep's cells as MLflow child runs, on a real SQLite store in tmp_path: a failing cell is
recorded and the rest go on, ``--resume`` skips what finished, an existing cluster is refused a
store its workers cannot share, and a LocalCluster's processes share one SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from triage.experiment.config import find_config
from triage.sweep import tags
from triage.sweep.cell_run import ERROR_FILE, CellTask, run_cell
from triage.sweep.cells import plan_sweep
from triage.sweep.execute import run_sweep
from triage.sweep.overrides import with_overrides
from triage.sweep.parent_run import SweepRunning, finished_digests, latest_parent, open_parent
from triage.tracking import ensure_experiment

TRIAGE = str(Path(sys.executable).with_name("triage"))
SMALL = {  # the CI config made tiny: a cell is one quick pipeline run
    "evaluation.n_boot": 20,
    "explanations.enabled": False,
    "candidates.tree.enabled": False,
}


def _sweep_file(folder: Path, name: str, zipped: dict[str, list]) -> Path:
    """A sweep of the tiny CI config: the zipped settings, seed 1."""
    base = folder / "tiny.yaml"
    raw = yaml.safe_load(find_config("ci").read_text("utf-8"))
    base.write_text(yaml.safe_dump(with_overrides(raw, SMALL)), "utf-8")
    path = folder / f"{name}.yaml"
    sweep = {"name": name, "question": "Does a sweep run?", "base": str(base), "zip": zipped}
    path.write_text(yaml.safe_dump({**sweep, "seeds": [1]}), "utf-8")
    return path


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    return {**env, **extra}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A SQLite store as ``triage sweep`` finds it, and a client on it; made once (its tables
    take seconds), shared by tests whose sweeps have names of their own."""
    from mlflow import MlflowClient

    from triage.tracking import use_tracking

    folder = tmp_path_factory.mktemp("store")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        use_tracking()
        yield uri, MlflowClient(uri)


def test_a_cell_that_fails_before_its_pipeline_opens_a_run_is_a_failed_child(
    tmp_path, store, monkeypatch
):
    uri, client = store
    sweep = plan_sweep(
        _sweep_file(tmp_path, "fails", {"data.synthetic.spec": [str(tmp_path / "nope.yaml")]})
    )
    (cell,) = sweep.cells
    experiment_id = ensure_experiment(sweep.experiment, uri)
    parent = open_parent(client, experiment_id, sweep, earlier=None)
    parent.close("FINISHED")
    task = CellTask(
        tracking_uri=uri, experiment_id=experiment_id, parent_run_id=parent.run_id,
        sweep=sweep.name, cell_id=cell.id, overrides=cell.overrides, seed=cell.seed,
        config=cell.config.model_dump(mode="json"), config_digest=cell.digest,
        reports=str(tmp_path / "reports" / "cells" / cell.id),
    )  # fmt: skip
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///elsewhere.db")  # the caller's own
    outcome = run_cell(task)
    assert os.environ["MLFLOW_TRACKING_URI"] == "sqlite:///elsewhere.db"  # restored
    assert (outcome.status, outcome.cell_id) == ("FAILED", cell.id)
    run = client.get_run(outcome.run_id)
    assert run.info.status == "FAILED"
    assert run.info.run_name == cell.id
    assert run.data.tags[tags.PARENT] == parent.run_id
    assert run.data.tags[tags.CELL] == cell.id
    assert run.data.tags[tags.CONFIG_DIGEST] == cell.digest
    assert json.loads(run.data.tags[tags.OVERRIDES])["data.synthetic.spec"].endswith("nope.yaml")
    error = run.data.tags[tags.ERROR]
    assert "\n" not in error and "nope.yaml" in error and error == outcome.error
    text = Path(client.download_artifacts(run.info.run_id, ERROR_FILE, str(tmp_path))).read_text()
    assert "Traceback" in text
    assert finished_digests(client, experiment_id, parent.run_id) == set()


def test_resume_reopens_the_latest_parent_and_finds_what_finished(tmp_path, store):
    uri, client = store
    sweep = plan_sweep(_sweep_file(tmp_path, "again", {"data.synthetic.n": [6000, 6500]}))
    experiment_id = ensure_experiment(sweep.experiment, uri)
    first = open_parent(client, experiment_id, sweep, earlier=None)
    done = client.create_run(
        experiment_id,
        tags={tags.PARENT: first.run_id, tags.CONFIG_DIGEST: sweep.cells[0].digest},
    )
    client.set_terminated(done.info.run_id, "FINISHED")
    with pytest.raises(SweepRunning, match=rf"parent run {first.run_id} is still running"):
        run_sweep(sweep, resume=True)  # this process owns it and lives: refused, nothing run
    first.close("KILLED")
    assert latest_parent(client, experiment_id, "again") == first.run_id
    assert latest_parent(client, experiment_id, "other") is None
    assert finished_digests(client, experiment_id, first.run_id) == {sweep.cells[0].digest}
    reopened = open_parent(client, experiment_id, sweep, earlier=first.run_id)
    assert client.get_run(first.run_id).info.status == "RUNNING"
    reopened.close("FINISHED")
    assert client.get_run(first.run_id).info.status == "FINISHED"
    assert client.get_run(first.run_id).data.tags[tags.SWEEP_DIGEST] == sweep.digest


def test_resume_of_a_finished_sweep_runs_nothing(tmp_path, store):
    uri, client = store
    sweep = plan_sweep(_sweep_file(tmp_path, "done", {"data.synthetic.n": [6000, 6500]}))
    experiment_id = ensure_experiment(sweep.experiment, uri)
    parent = open_parent(client, experiment_id, sweep, earlier=None)
    for cell in sweep.cells:
        run = client.create_run(
            experiment_id, tags={tags.PARENT: parent.run_id, tags.CONFIG_DIGEST: cell.digest}
        )
        client.set_terminated(run.info.run_id, "FINISHED")
    parent.close("FINISHED")
    result = run_sweep(sweep, resume=True, reports=tmp_path / "reports")
    assert (result.parent_run_id, result.resumed, result.outcomes) == (parent.run_id, True, ())
    assert result.skipped == tuple(c.id for c in sweep.cells)


def test_an_existing_cluster_with_a_local_store_is_refused_in_one_line(tmp_path):
    path = _sweep_file(tmp_path, "remote", {"data.synthetic.n": [6000]})
    proc = subprocess.run(
        [TRIAGE, "sweep", str(path), "--scheduler", "tcp://127.0.0.1:9"],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("error: --scheduler: the workers of tcp://127.0.0.1:9 ")
    assert "cannot share the local tracking store sqlite:///" in line
    assert "MLFLOW_TRACKING_URI=http://HOST:5000" in line
    assert not (tmp_path / "mlflow.db").exists()  # refused before anything was written


@pytest.mark.slow
def test_a_local_cluster_runs_cells_into_one_sqlite_store_without_registering(tmp_path):
    """Two worker processes write the same SQLite file at once; a cell registers no model."""
    from mlflow import MlflowClient

    path = _sweep_file(tmp_path, "local", {"data.synthetic.n": [6000, 6500]})
    proc = subprocess.run(
        [TRIAGE, "sweep", str(path), "--workers", "2", "--quiet"],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "sweep local: 2 cells run: 2 finished, 0 failed" in proc.stdout
    assert "next:" not in proc.stdout  # nothing to resume
    assert "summary: reports/local/" in proc.stdout
    assert f"look at it with: mlflow ui --backend-store-uri sqlite:///{tmp_path}" in proc.stdout
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    (parent,) = client.search_runs(
        [client.get_experiment_by_name("intake-urgency-ci").experiment_id],
        filter_string=f"tags.`{tags.SWEEP}` = 'local' and tags.`{tags.KEYS}` LIKE '%'",
    )
    assert parent.info.status == "FINISHED"
    children = client.search_runs(
        [parent.info.experiment_id], filter_string=f"tags.`{tags.PARENT}` = '{parent.info.run_id}'"
    )
    assert sorted((c.info.run_name, c.info.status) for c in children) == [
        ("c001-s1", "FINISHED"), ("c002-s1", "FINISHED")
    ]  # fmt: skip
    assert all("recorded.scorecard.auc" in c.data.metrics for c in children)
    # each worker's cell threads: its share of the cores, never all of them twice over
    share = str(max(1, (os.cpu_count() or 1) // 2))
    assert {c.data.tags[tags.THREADS] for c in children} == {share}
    assert client.search_registered_models() == []  # @candidate of no model moved
    cards = tmp_path / "reports" / "local" / "cells"
    assert (cards / "c001-s1" / "intake-urgency-ci" / "model_card.html").is_file()
    assert not (tmp_path / "reports" / "intake-urgency-ci").exists()
