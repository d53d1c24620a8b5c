"""A run's test-period predictions, as the audit needs them (and nothing else).

The intake pipeline calls ``log_test_predictions`` after its MLflow run: it
stores the test period's sensitive attributes, labels, score and tier (no
notice content, no identifiers) as one Parquet artefact on that run, and a tag
saying whether the model used sensitive features. ``load_run_predictions``
reads them back for ``triage audit --run RUN_ID``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from triage.contract.columns import RECORDED_HARM, TRUE_HARM
from triage.features import SENSITIVE_FIELDS

from .errors import RUN_WITHOUT_PREDICTIONS

PREDICTIONS_PATH = "audit_inputs/test_predictions.parquet"
SENSITIVE_TAG = "audit.model_used_sensitive"
OF_RUN_TAG = "audit.of_run"
"""Tag of an audit run (``triage audit --run RUN_ID``) naming the run it audits."""
AUDIT_KIND = "fairness-audit"
"""Value of the ``kind`` tag of a fairness-audit run (``log_audit``)."""


def predictions_frame(notices, truth, *, scores, tiers=None) -> pd.DataFrame:
    """Sensitive columns, labels, score and tier of the test notices (row order kept)."""
    frame = notices[list(SENSITIVE_FIELDS)].reset_index(drop=True).copy()
    for col in (RECORDED_HARM, TRUE_HARM):
        if col in truth:
            frame[col] = truth[col].to_numpy().astype(np.int8)
    frame["score"] = np.asarray(scores, dtype=np.float64)
    if tiers is not None:
        frame["tier"] = pd.Series(np.asarray(tiers).astype(str))
    return frame


def log_test_predictions(
    run_id: str, *, notices, truth, scores, tiers=None, include_sensitive: bool = False
) -> None:
    """Attach the test predictions to the finished MLflow run ``run_id``."""
    from mlflow import MlflowClient

    frame = predictions_frame(notices, truth, scores=scores, tiers=tiers)
    client = MlflowClient()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(PREDICTIONS_PATH).name
        frame.to_parquet(path, index=False)
        client.log_artifact(run_id, str(path), artifact_path=str(Path(PREDICTIONS_PATH).parent))
    client.set_tag(run_id, SENSITIVE_TAG, str(bool(include_sensitive)).lower())


def load_run_predictions(run_id: str) -> tuple[pd.DataFrame, str]:
    """The run's test predictions and a sentence on what the model used."""
    import mlflow
    from mlflow import MlflowClient

    from triage.tracking import use_tracking

    use_tracking()
    client = MlflowClient()
    run = client.get_run(run_id)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            local = mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path=PREDICTIONS_PATH, dst_path=tmp
            )
        except Exception:  # noqa: BLE001 - MLflow raises several kinds for a missing file
            raise ValueError(
                RUN_WITHOUT_PREDICTIONS.format(run_id=run_id, path=PREDICTIONS_PATH)
            ) from None
        frame = pd.read_parquet(local)
    used = run.data.tags.get(SENSITIVE_TAG) or run.data.params.get("features.include_sensitive")
    if used is None:
        note = "not stated by the run"
    elif str(used).lower() == "true":
        note = "sensitive features were model inputs"
    else:
        note = "sensitive features were not model inputs"
    return frame, note
