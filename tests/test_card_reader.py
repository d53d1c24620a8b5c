"""The card reads a local store's artefacts from its folder: what MLflow's client would give."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlflow import MlflowClient

from triage.report.reader import read_card_inputs


@pytest.fixture
def logged_run(tmp_path, monkeypatch):
    """A run in a SQLite store in tmp_path whose artefacts sit in a local folder."""
    import mlflow.tracking._model_registry.utils as registry_utils
    import mlflow.tracking._tracking_service.utils as tracking_utils

    monkeypatch.setattr(tracking_utils, "_tracking_uri", None)
    monkeypatch.setattr(registry_utils, "_registry_uri", None)
    monkeypatch.chdir(tmp_path)
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.create_experiment("card-reader", artifact_location=str(tmp_path / "art"))
    run_id = client.create_run(experiment).info.run_id
    files = tmp_path / "files"
    (files / "evaluation").mkdir(parents=True)
    (files / "global.json").write_text(json.dumps({"a": 1}), encoding="utf-8")
    (files / "evaluation" / "tiers.csv").write_text("tier,n\r\nA,1\n", encoding="utf-8")
    client.log_artifact(run_id, str(files / "global.json"))
    client.log_artifact(run_id, str(files / "evaluation" / "tiers.csv"), "evaluation")
    client.set_terminated(run_id)
    return client, run_id, tmp_path


def test_listing_and_files_are_what_the_client_gives(logged_run, tmp_path):
    client, run_id, _ = logged_run
    run = read_card_inputs(client, run_id).run
    for folder in ("", "evaluation"):
        assert run.list_folder is not None
        assert run.list_folder(folder) == sorted(
            f.path for f in client.list_artifacts(run_id, folder or None)
        )
    for path in ("global.json", "evaluation/tiers.csv"):
        copied = Path(client.download_artifacts(run_id, path, str(tmp_path)))
        assert run.file(path) == copied.read_bytes()
    assert run.json("global.json") == {"a": 1}
    assert run.csv("evaluation/tiers.csv") == [{"tier": "A", "n": "1"}]
    assert run.file("evaluation/none.csv") is None and run.file("none/x.csv") is None


def test_the_files_are_read_in_place_not_downloaded(logged_run, monkeypatch):
    client, run_id, _ = logged_run

    def refuse(*args, **kwargs):
        raise AssertionError("downloaded through the client")

    monkeypatch.setattr(client, "download_artifacts", refuse)
    run = read_card_inputs(client, run_id).run
    assert run.json("global.json") == {"a": 1}


def test_a_path_out_of_the_runs_folder_reads_nothing(logged_run):
    client, run_id, tmp_path = logged_run
    (tmp_path / "art" / "outside.txt").write_text("not the run's", encoding="utf-8")
    run = read_card_inputs(client, run_id).run
    artifacts = Path(client.get_run(run_id).info.artifact_uri.removeprefix("file://"))
    assert (artifacts / ".." / ".." / "outside.txt").is_file()
    for path in ("../../outside.txt", "../outside.txt", "evaluation/../../../outside.txt"):
        assert run.file(path) is None, path


def test_a_folder_not_on_disk_is_asked_of_the_client_once(logged_run, monkeypatch):
    client, run_id, _ = logged_run
    asked = []
    listed = client.list_artifacts

    def counted(run, folder=None):
        asked.append(folder)
        return listed(run, folder)

    monkeypatch.setattr(client, "list_artifacts", counted)
    run = read_card_inputs(client, run_id).run  # looks for an audit folder: none
    for _ in range(3):
        assert run.file("audit/groups.csv") is None
    assert asked.count("audit") == 1
