"""The registered model version: complete before its alias moves, promoted only when complete,
loaded only when its file is the registered one, and its input example made up.

One tiny intake-urgency run, in this process, into a SQLite store in tmp_path
(issue 16, findings 8 and 9 and the registered input example; issue 17 item 5).
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from triage.cli.app import app

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "synthetic" / "sample" / "notices.jsonl"
MODEL = "tiny-urgency"

pytestmark = pytest.mark.slow  # one tiny run into a fresh store: about 6-11 s, once

# The smallest run that has every step: 1,000 notices, one candidate, 10 resamples.
TINY = {
    "config_version": 1,
    "pipeline": "intake_urgency",
    "name": "tiny",
    "seed": 7,
    "target": "recorded",
    "data": {"source": "synthetic", "synthetic": {"n": 1000, "fiscal_year": 2023}},
    "split": {"calibration_months": 4, "test_months": 6, "gap_days": 90},
    "candidates": {"scorecard": {"params": {"C": 0.1}}},
    "tiers": {"mode": "capacity", "capacity": {"workers": 9}},
    "evaluation": {"n_boot": 10},
    "explanations": {"enabled": False},
    "mlflow": {"experiment": "tiny", "registered_model": MODEL, "alias": "candidate"},
}


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A store holding version 1 of ``MODEL`` (@candidate), made by one finished tiny run."""
    import mlflow

    from triage.experiment.config import parse_config
    from triage.pipelines import run_pipeline

    root = tmp_path_factory.mktemp("registry")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        mp.setenv("TRIAGE_CACHE_DIR", str(root / "cache"))
        mp.chdir(root)
        result = run_pipeline(parse_config(TINY), quiet=True, reports=root / "reports")
        yield {"uri": uri, "root": root, "result": result, "mp": mp}
    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)


@pytest.fixture
def client(registry):
    from mlflow import MlflowClient

    return MlflowClient(registry["uri"], registry_uri=registry["uri"])


def _notices(n: int = 50):
    from triage.notices import validate_notices

    lines = SAMPLE.read_text("utf-8").splitlines()[:n]
    return validate_notices([json.loads(line) for line in lines]).valid


# --- 1. registration is the run's last step --------------------------------------------------


def test_the_version_is_created_after_its_run_finished_with_every_tag_scoring_needs(
    registry, client
):
    mv = client.get_model_version_by_alias(MODEL, "candidate")
    run = client.get_run(mv.run_id)
    assert run.info.status == "FINISHED"
    assert mv.creation_timestamp >= run.info.end_time  # registered after the run closed
    assert {"tier.immediate", "tier.urgent", "model.sha256"} <= set(mv.tags)
    cards = {a.path for a in client.list_artifacts(run.info.run_id, "report")}
    assert "report/model_card.json" in cards  # the card is inside the finished run
    assert run.data.tags["triage.pid"].isdigit() and run.data.tags["triage.host"]


# --- 2. promote refuses an incomplete version --------------------------------------------------


def _register_incomplete(client, *, tags: dict[str, str], finish: bool) -> str:
    """A version of ``MODEL`` made outside ``triage run``: its run left RUNNING unless ``finish``."""
    import mlflow

    from triage.tracking import log_and_register

    pipeline = _loaded_pipeline(client)
    exp = client.get_experiment_by_name("tiny")
    with mlflow.start_run(experiment_id=exp.experiment_id) as run:
        version, _ = log_and_register(
            pipeline, registered_model=MODEL, alias="scratch", version_tags=tags
        )
    if not finish:  # left RUNNING, as a run killed with kill -9 is
        client.update_run(run.info.run_id, status="RUNNING")
    client.delete_registered_model_alias(MODEL, "scratch")
    return version


def _loaded_pipeline(client):
    from triage.scoring import load_model

    return load_model(f"models:/{MODEL}@candidate").pipeline


def _promote(*args: str):
    return CliRunner().invoke(app, ["promote", *args])


def test_promote_refuses_a_version_whose_run_did_not_finish(registry, client):
    complete = client.get_model_version_by_alias(MODEL, "candidate").tags
    cuts = {k: complete[k] for k in ("tier.immediate", "tier.urgent")}
    version = _register_incomplete(client, tags=cuts, finish=False)
    result = _promote(version, "--model", MODEL, "--reason", "looks fine")
    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: ") and "RUNNING" in line and f"version {version}" in line
    with pytest.raises(Exception, match="RESOURCE_DOES_NOT_EXIST|not found"):
        client.get_model_version_by_alias(MODEL, "champion")


def test_promote_refuses_a_version_without_cut_points(registry, client):
    version = _register_incomplete(client, tags={}, finish=True)
    result = _promote(version, "--model", MODEL, "--reason", "looks fine")
    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    assert "tier.immediate" in line and "cannot be promoted" in line


def test_promote_accepts_the_complete_version(registry, client):
    result = _promote("1", "--model", MODEL, "--reason", "read the card", "--alias", "reviewed")
    assert result.exit_code == 0, result.output
    assert str(client.get_model_version_by_alias(MODEL, "reviewed").version) == "1"


# --- 6. the model cache is checked against the registry ----------------------------------------


class _Planted:
    """Unpickling this creates ``path``: the marker that a cached file was executed."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def _cached_model_files(root: Path) -> list[Path]:
    cache = root / "cache"
    return [p for p in cache.rglob("*") if p.suffix in (".joblib", ".skops", ".pkl")]


def test_a_crafted_file_in_the_cache_is_never_unpickled(registry, tmp_path):
    from triage.scoring import load_model

    notices = _notices()
    uri = f"models:/{MODEL}/1"
    expected = load_model(uri).risk(notices)
    load_model(uri)  # the cache is filled by now, whatever its layout
    files = _cached_model_files(registry["root"])
    assert files
    marker = tmp_path / "executed"
    for path in files:
        path.write_bytes(pickle.dumps(_Planted(marker)))
    again = load_model(uri).risk(notices)
    assert not marker.exists(), "a file from the cache was unpickled"
    np.testing.assert_array_equal(again, expected)  # downloaded again from the registry


def test_a_valid_but_different_model_swapped_into_the_cache_is_detected(registry):
    import skops.io as sio
    from sklearn.isotonic import IsotonicRegression

    from triage.scoring import load_model
    from triage.tracking.model_file import load_checked

    notices = _notices()
    uri = f"models:/{MODEL}/1"
    expected = load_model(uri).risk(notices)
    files = _cached_model_files(registry["root"])
    assert files
    for path in files:  # the same model, its calibration replaced: a risk of 0.9 for all
        model = sio.load(path, trusted=sio.get_untrusted_types(file=path))
        flat = IsotonicRegression(out_of_bounds="clip").fit([0.0, 1.0], [0.9, 0.9])
        model.steps[-1][1].calibrator_ = flat
        sio.dump(model, path)
        unchecked = load_checked(path, expected_sha256=None).predict_proba(notices)[:, 1]
        assert not np.array_equal(unchecked, expected)  # the swap would change the scores
    again = load_model(uri).risk(notices)
    np.testing.assert_array_equal(again, expected)


def test_a_model_file_changed_in_the_registry_is_refused_in_one_line(registry, client, tmp_path):
    import mlflow

    from triage.scoring import ModelUnavailable, load_model
    from triage.tracking import log_and_register

    exp = client.get_experiment_by_name("tiny")
    with mlflow.start_run(experiment_id=exp.experiment_id):
        cuts = {"tier.immediate": "0.5", "tier.urgent": "0.2"}
        version, _ = log_and_register(
            _loaded_pipeline(client), registered_model=MODEL, alias="tampered", version_tags=cuts
        )
    source = Path(mlflow.artifacts.download_artifacts(
        artifact_uri=client.get_model_version(MODEL, version).source, dst_path=str(tmp_path)
    ))  # fmt: skip
    stored = [
        p for p in registry["root"].rglob("model.skops")
        if "cache" not in p.parts and p.read_bytes() == (source / "model.skops").read_bytes()
    ]  # fmt: skip
    assert stored
    for path in stored:
        path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ModelUnavailable, match="changed after registration") as caught:
        load_model(f"models:/{MODEL}@tampered")
    assert "\n" not in str(caught.value)


# --- 7. the input example is a made-up template ----------------------------------------------


def test_the_registered_input_example_is_the_made_up_template_and_predicts(registry, client):
    import mlflow

    from triage.tracking.input_example import example_notices

    mv = client.get_model_version(MODEL, "1")
    model = mlflow.pyfunc.load_model(f"models:/{MODEL}/1")
    example = model.input_example
    assert len(example) == 3
    template = example_notices()
    for column in example.columns:
        for row, notice in zip(example[column].tolist(), template, strict=True):
            want = notice.get(column)
            assert (
                row == want
                or (want is None and row != row)
                or (isinstance(row, (list, np.ndarray)) and list(row) == want)
            ), column
    assert "notice_id" not in example.columns and "received_at" not in example.columns
    p = model.predict(example)
    assert p.shape == (3, 2) and np.allclose(p.sum(axis=1), 1.0)
    assert mv.tags["model.sha256"]


def test_the_template_is_a_valid_notice_of_each_kind_with_example_ids():
    from triage.notices import validate_notices
    from triage.tracking.input_example import example_notices

    notices = example_notices()
    result = validate_notices(notices)
    assert not result.errors
    assert [n["notice_id"] for n in notices] == ["EXAMPLE-0001", "EXAMPLE-0002", "EXAMPLE-0003"]
    assert {n["notice_kind"] for n in notices} == {"general", "dv_witness"}


# --- 5. the CI configs never take the production models' names ---------------------------------


@pytest.mark.parametrize(
    ("config", "expected"),
    [("ci.yaml", "intake-urgency-ci"), ("ci_dv.yaml", "dv-witness-routing-ci")],
)
def test_the_ci_configs_register_under_their_own_model_names(config, expected):
    from triage.contract.names import ROUTING_MODEL, URGENCY_MODEL

    for folder in (REPO / "configs", REPO / "src" / "triage" / "experiment" / "configs"):
        raw = yaml.safe_load((folder / config).read_text("utf-8"))
        assert raw["mlflow"]["registered_model"] == expected
        assert raw["mlflow"]["registered_model"] not in (URGENCY_MODEL, ROUTING_MODEL)
