"""MLflow: where runs go, what each run records, and how models are registered and promoted.

Embedded default: a SQLite tracking store and an artefact folder under
``./mlruns`` in the working folder, unless ``MLFLOW_TRACKING_URI`` is set.
Nothing is promoted automatically: a person promotes a version with
``triage promote VERSION --reason ...``, and the reason is kept on it.

Layer: tracking, between the domain and analysis: audits, experiments, scoring and
reports all read or write runs and models. May import the domain, labels, notices and
contract.
"""

from __future__ import annotations

import getpass
import importlib.metadata as md
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from triage.contract.errors import InvalidParameter
from triage.contract.names import CHAMPION

LOCAL_DIR = Path("mlruns")
CORE_PACKAGES = (
    "urgency-triage",
    "numpy",
    "pandas",
    "scikit-learn",
    "lightgbm",
    "shap",
    "fairlearn",
    "mlflow",
    "pyarrow",
    "pydantic",
)


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` if set, else the embedded SQLite store in ./mlruns."""
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    LOCAL_DIR.mkdir(exist_ok=True)
    return f"sqlite:///{(LOCAL_DIR / 'mlflow.db').resolve()}"


def ui_hint(uri: str) -> str:
    if uri.startswith("sqlite:"):
        return f"mlflow ui --backend-store-uri {uri}"
    return f"open {uri} in a browser (the MLflow server)"


def use_tracking() -> str:
    import mlflow

    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def ensure_experiment(name: str, uri: str) -> str:
    """The experiment's id; a new local experiment keeps its artefacts in ./mlruns/artifacts."""
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    exp = client.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    location = None
    if uri.startswith("sqlite:") and not os.environ.get("MLFLOW_TRACKING_URI"):
        location = (LOCAL_DIR / "artifacts").resolve().as_uri()
    return client.create_experiment(name, artifact_location=location)


def package_versions() -> dict[str, str]:
    out = {}
    for name in CORE_PACKAGES:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit(cwd: Path | None = None) -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return sha + ("+dirty" if dirty else "")


def environment_tags() -> dict[str, str]:
    tags = {f"version.{k}": v for k, v in package_versions().items()}
    tags["python"] = platform.python_version()
    tags["platform"] = platform.platform()
    tags["git_commit"] = git_commit(Path(__file__).resolve().parent)
    tags["mlflow.source.git.commit"] = tags["git_commit"].removesuffix("+dirty")
    return tags


def pip_requirements() -> list[str]:
    """Pinned requirements for the logged model, given so MLflow need not infer them (slow)."""
    wanted = ("urgency-triage", "numpy", "pandas", "scikit-learn", "lightgbm", "pyarrow", "skops")
    reqs = []
    for name in wanted:
        try:
            reqs.append(f"{name}=={md.version(name)}")
        except md.PackageNotFoundError:
            continue
    return reqs


def trusted_types(model: Any) -> list[str]:
    """Types skops may load for this model: ours and our dependencies', nothing else."""
    import skops.io as sio

    allowed = ("triage.", "sklearn.", "lightgbm.", "numpy.", "scipy.", "collections.", "builtins.")
    found = sio.get_untrusted_types(data=sio.dumps(model))
    strange = [t for t in found if not t.startswith(allowed)]
    if strange:
        raise TypeError(f"model holds types that should not be serialised: {strange}")
    return found


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


def json_frame(notices, columns: list[str] | None = None):
    """Notices as JSON would carry them: the pyfunc model's input form.

    With ``columns``, only those of them the JSON holds (a field a JSON line
    leaves out, such as a DV detail of a general notice, is left out here too).
    """
    import json
    import tempfile

    import pandas as pd

    from triage.notices import write_notices

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "n.jsonl"
        write_notices(notices, path)
        records = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    frame = pd.DataFrame(records)
    if columns is not None:
        frame = frame[[c for c in columns if c in frame.columns]]
    return frame


def log_and_register(
    pipeline: Any,
    *,
    example_notices,
    registered_model: str,
    alias: str,
    description: str | None = None,
    version_tags: dict[str, str] | None = None,
) -> tuple[str, str]:
    """Log the scoring pipeline to the active run, register it, set the alias. Returns (version, uri).

    Without ``description`` the version gets none yet (a caller adds it once its figures are in).
    """
    import mlflow
    from mlflow import MlflowClient

    signature = notice_signature(pipeline)
    info = mlflow.sklearn.log_model(
        pipeline,
        name="model",
        signature=signature,
        input_example=json_frame(example_notices, columns=signature.inputs.input_names()),
        pip_requirements=pip_requirements(),
        pyfunc_predict_fn="predict_proba",
        skops_trusted_types=trusted_types(pipeline),
        registered_model_name=registered_model,
    )
    client = MlflowClient()
    version = str(info.registered_model_version)
    client.set_registered_model_alias(registered_model, alias, version)
    if description is not None:
        client.update_model_version(registered_model, version, description=description)
    for key, value in (version_tags or {}).items():
        client.set_model_version_tag(registered_model, version, key, str(value))
    return version, f"models:/{registered_model}/{version}"


def promote(name: str, version: str, *, reason: str, alias: str = CHAMPION) -> dict[str, str]:
    """A person's decision: point ``alias`` at ``version`` and record who, when and why."""
    from mlflow import MlflowClient

    if not reason.strip():
        raise InvalidParameter(
            "reason: say why this version should be the champion; it is kept on the version",
            param="reason",
        )
    use_tracking()
    client = MlflowClient()
    client.get_model_version(name, version)  # raises a clear MlflowException if absent
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
