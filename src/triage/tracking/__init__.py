"""MLflow: where runs go, what each run records, and how models are registered and promoted.

Embedded default: MLflow's own default store, ``./mlflow.db`` (SQLite) in the
working folder, with the artefacts in ``./mlruns`` beside it, unless
``MLFLOW_TRACKING_URI`` is set. Being MLflow's default, it is the store that
stock tools open with nothing set: ``mlflow run``, ``mlflow ui``, ``mlflow
models serve`` and ``mlflow.pyfunc.load_model("models:/...")`` started in the
same folder all see the runs and models of ``triage run``. A SQLite store is
created and migrated under a lock file beside it (``store_lock``), so first
runs started together do not collide.

A model version is registered only once it is complete (``register_version``):
its run has finished and the version is created with the tags scoring needs,
then the alias moves. Nothing is promoted automatically: a person promotes a
version with ``triage promote VERSION --reason ...``, which refuses an
incomplete version (``version_readiness``), and the reason is kept on it. A
run killed without a chance to close is marked ``FAILED`` by the next run
(``run_owner``); one stopped by SIGTERM or SIGINT ends ``KILLED``
(``interrupts``).

The mlflow imports stay in this module (tests/test_architecture.py lists where
mlflow is imported); the rules live in small mlflow-free modules beside it.

Layer: tracking, between the domain and analysis: audits, experiments, scoring and
reports all read or write runs and models. May import the domain, labels, notices and
contract.
"""

from __future__ import annotations

import getpass
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from triage.contract.errors import InvalidParameter, TriageError
from triage.contract.names import CHAMPION
from triage.tracking.fault_points import hold_for_fault_test
from triage.tracking.input_example import input_example, json_frame
from triage.tracking.model_file import MODEL_FILE, sha256_of, trusted_types
from triage.tracking.provenance import (
    CORE_PACKAGES,
    environment_tags,
    git_commit,
    package_versions,
    pip_requirements,
)
from triage.tracking.run_owner import STALE_NOTE_TAG, stale_reason
from triage.tracking.store_lock import sqlite_path, store_lock
from triage.tracking.version_readiness import MODEL_DIGEST_TAG, readiness_problem

LOCAL_STORE = Path("mlflow.db")
"""MLflow's default tracking store (``sqlite:///mlflow.db``), relative to the working folder."""
ARTIFACTS_DIR = "mlruns"
"""A SQLite store's artefacts: this folder beside the database file (MLflow's default name)."""


class VersionNotReady(TriageError, ValueError):
    """A model version that is not complete may not be promoted; the message says why."""


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` if set, else MLflow's default store ./mlflow.db (absolute)."""
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    return f"sqlite:///{LOCAL_STORE.resolve()}"


def has_local_store() -> bool:
    """Whether a store is set or exists here (reading commands never create one)."""
    return bool(os.environ.get("MLFLOW_TRACKING_URI")) or LOCAL_STORE.is_file()


def ui_hint(uri: str) -> str:
    if uri.startswith("sqlite:"):
        return f"mlflow ui --backend-store-uri {uri}"
    return f"open {uri} in a browser (the MLflow server)"


_prepared: set[str] = set()


def _prepare_store(uri: str) -> None:
    """Create or migrate a SQLite store's tables under its lock, once per process."""
    database = sqlite_path(uri)
    if database is None or uri in _prepared:
        return
    from mlflow import MlflowClient

    with store_lock(database):
        try:
            client = MlflowClient(uri, registry_uri=uri)
            client.search_experiments(max_results=1)  # opening the stores creates their tables
            client.search_registered_models(max_results=1)
        except Exception:  # noqa: BLE001 - not a store (a corrupt or foreign file): the
            return  # caller's first real call fails the same way, and says so in its words
    _prepared.add(uri)


def use_tracking() -> str:
    import mlflow

    uri = tracking_uri()
    _prepare_store(uri)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def ensure_experiment(name: str, uri: str) -> str:
    """The experiment's id; a new experiment of a SQLite store keeps its artefacts beside it.

    ``mlruns/artifacts`` next to the database file, wherever the process runs:
    ``mlflow run`` starts the pipeline inside ``pipelines/``, and MLflow's own
    default (``./mlruns`` of the working folder) would then scatter one store's
    artefacts over several folders.

    Looked up and created under the store's lock: two first runs must not both create it.
    """
    from contextlib import nullcontext

    from mlflow import MlflowClient

    client = MlflowClient(uri)
    exp = client.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    database = sqlite_path(uri)
    with store_lock(database) if database is not None else nullcontext():
        exp = client.get_experiment_by_name(name)
        if exp is not None:
            return exp.experiment_id
        location = None
        if database is not None:
            location = (database.resolve().parent / ARTIFACTS_DIR / "artifacts").as_uri()
        return client.create_experiment(name, artifact_location=location)


def mark_stale_runs(uri: str) -> list[str]:
    """Mark ``FAILED`` (with a note tag) every RUNNING run of the store whose process is gone.

    Called when a run starts: a run killed with ``kill -9`` cannot close
    itself. Returns the ids of the runs marked.
    """
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    client = MlflowClient(uri)
    ids = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
    marked = []
    for start in range(0, len(ids), 100):
        for run in client.search_runs(
            ids[start : start + 100],
            filter_string="attributes.status = 'RUNNING'",
            run_view_type=ViewType.ALL,
            max_results=1000,
        ):
            reason = stale_reason(run.data.tags)
            if reason is None:
                continue
            note = f"marked FAILED by the next run on {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC: {reason}"
            client.set_tag(run.info.run_id, STALE_NOTE_TAG, note)
            client.set_terminated(run.info.run_id, "FAILED")
            marked.append(run.info.run_id)
    return marked


def notice_features_step(pipeline: Any):
    """The ``NoticeFeatures`` that reads a registered pipeline's notices (its first step)."""
    from sklearn.pipeline import Pipeline

    from triage.features import NoticeFeatures

    step = pipeline.steps[0][1] if isinstance(pipeline, Pipeline) else pipeline
    if not isinstance(step, NoticeFeatures):
        raise TypeError(
            "a registered model reads notices through NoticeFeatures as its first step; "
            f"got {type(step).__name__}"
        )
    return step


def notice_signature(pipeline: Any):
    """The model's input: the notice fields its ``NoticeFeatures`` reads, nothing else.

    Derived from the features step's column plan, so the signature says what
    the model really needs: identifiers and timestamps (``notice_id``,
    ``received_at``, ``safety_confirmed_at``, ``region_code``) and, unless the
    model was fit with ``include_sensitive=True``, the sensitive attributes
    are not inputs. Stock MLflow ignores such extra columns (it logs that it
    does), so a whole notice is accepted in every form the toolkit writes:
    Parquet read by pandas (timestamps as tz-aware ``datetime64``, lists as
    numpy arrays, optional counts as float with NaN), JSON Lines read by
    pandas, and the JSON body of ``mlflow models serve``. MLflow's own
    ``datetime`` type would not do for the timestamps in any case: it refuses
    tz-aware values.

    A field is required exactly when ``NoticeFeatures`` refuses a frame
    without it. Enums are strings, ``alleged_types`` an array of strings, a
    required count a long; nullable booleans and optional counts may be null
    (or absent), so they are declared ``Any`` rather than a type MLflow would
    refuse nulls for.
    """
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, DataType, Schema
    from mlflow.types.schema import AnyType, Array

    from triage.features import column_plan

    plan = column_plan(notice_features_step(pipeline).include_sensitive)
    cols: list[Any] = []
    for block in plan:
        required = block.unknown_at is None  # NoticeFeatures refuses a frame without it
        kind: DataType | Array | AnyType
        if block.kind == "alleged":
            kind = Array(DataType.string)
        elif block.kind == "enum":
            kind = DataType.string
        elif block.kind == "int" and required:
            kind = DataType.long
        elif block.kind in ("int", "bool"):
            kind = AnyType()
        else:
            raise NotImplementedError(f"no signature type for a {block.kind!r} field")
        cols.append(ColSpec(kind, block.field, required=required))
    outputs = Schema([ColSpec(DataType.double, "p_no_harm"), ColSpec(DataType.double, "p_harm")])
    return ModelSignature(inputs=Schema(cols), outputs=outputs)


@dataclass(frozen=True)
class LoggedModel:
    """A model logged to a run but not registered yet: where it is and its file's digest."""

    uri: str  # models:/m-... (MLflow's logged-model id)
    sha256: str  # of model.skops, recorded on the version it becomes


def preload_model_logging() -> None:
    """Import what logging a model loads on first use (MLflow's scikit-learn flavour; skops,
    whose import walks every scikit-learn estimator): for processes forked from this one."""
    import mlflow.sklearn  # noqa: F401
    import skops.io  # noqa: F401


def log_png(image: bytes, artifact_file: str) -> None:
    """PNG bytes into the active run at ``artifact_file`` (what ``mlflow.log_figure`` writes
    for a figure, for one drawn elsewhere, in a thread of its own)."""
    import mlflow

    folder, _, name = artifact_file.rpartition("/")
    with tempfile.TemporaryDirectory(prefix="triage-figure-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(image)
        mlflow.log_artifact(str(path), folder or None)


def log_model(pipeline: Any) -> LoggedModel:
    """Log the scoring pipeline to the active run (skops format, signature, a made-up example).

    Not registered: ``register_version`` does that once the run is complete.
    """
    import mlflow

    signature = notice_signature(pipeline)
    info = mlflow.sklearn.log_model(
        pipeline,
        name="model",
        signature=signature,
        input_example=input_example(signature.inputs.input_names()),
        pip_requirements=pip_requirements(),
        pyfunc_predict_fn="predict_proba",
        skops_trusted_types=trusted_types(pipeline),
    )
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # stderr stays readable
    with tempfile.TemporaryDirectory(prefix="triage-model-") as tmp:
        # The digest of the file as stored, read back from the artefact store.
        local = mlflow.artifacts.download_artifacts(artifact_uri=info.model_uri, dst_path=tmp)
        digest = sha256_of(Path(local) / MODEL_FILE)
    return LoggedModel(uri=info.model_uri, sha256=digest)


def register_version(
    model: LoggedModel,
    *,
    registered_model: str,
    alias: str,
    tags: dict[str, str],
    description: str | None = None,
) -> str:
    """Register a logged model as a new version with ``tags``, then move ``alias`` to it.

    The last step of a run, after the run has finished: the version is created
    with its tags (the cut points scoring needs, the model file's digest) in
    one call, and only then does the alias move, so an alias never points at
    a version that is missing something. Returns the version.
    """
    import mlflow
    from mlflow import MlflowClient

    all_tags = {**{k: str(v) for k, v in tags.items()}, MODEL_DIGEST_TAG: model.sha256}
    mv = mlflow.register_model(model.uri, registered_model, tags=all_tags)
    version = str(mv.version)
    client = MlflowClient()
    if description is not None:
        client.update_model_version(registered_model, version, description=description)
    hold_for_fault_test("version_created")
    client.set_registered_model_alias(registered_model, alias, version)
    return version


def log_and_register(
    pipeline: Any,
    *,
    example_notices=None,
    registered_model: str,
    alias: str,
    description: str | None = None,
    version_tags: dict[str, str] | None = None,
) -> tuple[str, str]:
    """Log the pipeline to the active run and register it at once. Returns (version, uri).

    For models built outside ``triage run`` (tests, notebooks), whose run is
    still open. ``example_notices`` is accepted for callers of the old
    signature and ignored: the input example is always the made-up template.
    """
    logged = log_model(pipeline)
    version = register_version(
        logged,
        registered_model=registered_model,
        alias=alias,
        tags=version_tags or {},
        description=description,
    )
    return version, f"models:/{registered_model}/{version}"


def check_ready(client: Any, name: str, version: str) -> None:
    """``VersionNotReady`` unless ``name`` version ``version`` is complete (see ``version_readiness``)."""
    mv = client.get_model_version(name, version)
    status = client.get_run(mv.run_id).info.status if mv.run_id else None
    problem = readiness_problem(dict(mv.tags or {}), status)
    if problem is not None:
        raise VersionNotReady(
            f"version: {name} version {version} cannot be promoted: {problem}; "
            "promote a version whose run finished (see `triage run`)",
            param="version",
        )


def promote(name: str, version: str, *, reason: str, alias: str = CHAMPION) -> dict[str, str]:
    """A person's decision: point ``alias`` at ``version`` and record who, when and why.

    Refused (``VersionNotReady``) for a version whose run did not finish or
    that lacks the cut points scoring needs: promoting it would stop all scoring.
    """
    from mlflow import MlflowClient

    if not reason.strip():
        raise InvalidParameter(
            "reason: say why this version should be the champion; it is kept on the version",
            param="reason",
        )
    use_tracking()
    client = MlflowClient()
    client.get_model_version(name, version)  # raises a clear MlflowException if absent
    check_ready(client, name, version)
    record = {
        f"{alias}.reason": reason.strip(),
        f"{alias}.promoted_by": getpass.getuser(),
        f"{alias}.promoted_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    previous = None
    try:
        previous = client.get_model_version_by_alias(name, alias).version
    except Exception:  # noqa: BLE001 - no current holder of the alias
        previous = None
    if previous:
        record[f"{alias}.replaced_version"] = str(previous)
    for key, value in record.items():
        client.set_model_version_tag(name, version, key, value)
    client.set_registered_model_alias(name, alias, version)
    return record


__all__ = [
    "CORE_PACKAGES",
    "LOCAL_STORE",
    "has_local_store",
    "LoggedModel",
    "VersionNotReady",
    "check_ready",
    "ensure_experiment",
    "environment_tags",
    "git_commit",
    "json_frame",
    "log_and_register",
    "log_model",
    "preload_model_logging",
    "mark_stale_runs",
    "notice_features_step",
    "notice_signature",
    "package_versions",
    "pip_requirements",
    "promote",
    "register_version",
    "tracking_uri",
    "trusted_types",
    "ui_hint",
    "use_tracking",
]
