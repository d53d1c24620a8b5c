"""A run's test-period predictions, as the audit needs them (and nothing else).

A pipeline logs its test period's sensitive attributes, labels, score and
decision (no notice content, no identifiers) as one Parquet artefact on its
MLflow run (``log_predictions``), with tags saying which columns the audit
reads (``AuditRoles``: the intake run's tier against harm, the DV run's route
against the CGC route) and whether the model used sensitive features. The
intake pipeline calls ``log_test_predictions``, which builds its frame with
``predictions_frame``. ``load_logged_predictions`` reads them back for ``triage
audit --run RUN_ID``, and says in one ``TriageError`` (``errors``) what is wrong
when it cannot: a malformed or unknown run id, a run without predictions, a
tracking store that does not answer (``tracking_client``).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from triage.contract.columns import RECORDED_HARM, TRUE_HARM
from triage.features import SENSITIVE_FIELDS

from .errors import (
    NO_STORE,
    PREDICTIONS_UNREADABLE,
    RUN_ID_MALFORMED,
    RUN_NOT_FOUND,
    RUN_WITHOUT_PREDICTIONS,
    RunUnavailable,
    TrackingUnavailable,
)

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

PREDICTIONS_PATH = "audit_inputs/test_predictions.parquet"
SENSITIVE_TAG = "audit.model_used_sensitive"
OF_RUN_TAG = "audit.of_run"
"""Tag of an audit run (``triage audit --run RUN_ID``) naming the run it audits."""
AUDIT_KIND = "fairness-audit"
"""Value of the ``kind`` tag of a fairness-audit run (``log_audit``)."""
PROBE_SECONDS = 5.0
"""How long a tracking server may take to answer at all before it counts as unreachable."""
REASON_CHARS = 160
"""A store's error, cut to one short clause of the one-line message."""


ROLE_TAGS = {
    "label": "audit_inputs.label",
    "truth": "audit_inputs.truth",
    "decision": "audit_inputs.decision",
    "flagged": "audit_inputs.flagged",
}
"""Tags of a run with test predictions naming the columns the audit reads (``AuditRoles``)."""


@dataclass(frozen=True)
class AuditRoles:
    """Which logged columns ``triage audit --run`` reads, and which decision counts as flagged.

    ``label``: the recorded outcome (0/1); ``truth``: the true outcome (0/1, synthetic
    data only, else None); ``decision``: the column of the decision audited;
    ``flagged``: its values that count as flagged (``()``: the audit config's flag tiers).
    """

    label: str
    truth: str | None
    decision: str
    flagged: tuple[str, ...] = ()

    def tags(self) -> dict[str, str]:
        """``ROLE_TAGS`` with their values; a role without one (no truth, config's tiers) left out."""
        values = {**vars(self), "flagged": ",".join(self.flagged)}
        return {tag: values[role] for role, tag in ROLE_TAGS.items() if values[role]}

    @classmethod
    def from_tags(cls, tags: dict[str, str]) -> AuditRoles:
        """The roles a run's tags name; an intake run's when it names none (runs logged before)."""
        if ROLE_TAGS["label"] not in tags:
            return INTAKE_ROLES
        flagged = tags.get(ROLE_TAGS["flagged"], "")
        return cls(
            label=tags[ROLE_TAGS["label"]],
            truth=tags.get(ROLE_TAGS["truth"]) or None,
            decision=tags.get(ROLE_TAGS["decision"], INTAKE_ROLES.decision),
            flagged=tuple(v for v in flagged.split(",") if v),
        )


INTAKE_ROLES = AuditRoles(label=RECORDED_HARM, truth=TRUE_HARM, decision="tier")
"""An intake run: its suggested tier against recorded and true harm; flagged tiers per config."""


@dataclass(frozen=True)
class LoggedPredictions:
    """A run's test predictions as ``triage audit --run`` reads them."""

    frame: pd.DataFrame
    model_inputs: str
    """Whether the model used sensitive features, in words (the audit repeats it)."""
    roles: AuditRoles


def sensitive_frame(notices: pd.DataFrame) -> pd.DataFrame:
    """The audit's sensitive columns of ``notices``, row order kept, on a fresh index."""
    return notices[list(SENSITIVE_FIELDS)].reset_index(drop=True).copy()


def predictions_frame(notices, truth, *, scores, tiers=None) -> pd.DataFrame:
    """Sensitive columns, labels, score and tier of the test notices (row order kept)."""
    frame = sensitive_frame(notices)
    for col in (RECORDED_HARM, TRUE_HARM):
        if col in truth:
            frame[col] = truth[col].to_numpy().astype(np.int8)
    frame["score"] = np.asarray(scores, dtype=np.float64)
    if tiers is not None:
        frame["tier"] = pd.Series(np.asarray(tiers).astype(str))
    return frame


def log_predictions(
    run_id: str, frame: pd.DataFrame, *, roles: AuditRoles, include_sensitive: bool = False
) -> None:
    """Attach ``frame`` (the audit's columns only) to the MLflow run ``run_id``, with its roles.

    A ``roles.truth`` the frame lacks (data without ground truth) is not named.
    """
    from mlflow import MlflowClient
    from mlflow.entities import RunTag

    if roles.truth is not None and roles.truth not in frame:
        roles = dataclasses.replace(roles, truth=None)
    client = MlflowClient()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(PREDICTIONS_PATH).name
        frame.to_parquet(path, index=False)
        client.log_artifact(run_id, str(path), artifact_path=str(Path(PREDICTIONS_PATH).parent))
    tags = {**roles.tags(), SENSITIVE_TAG: str(bool(include_sensitive)).lower()}
    client.log_batch(run_id, tags=[RunTag(k, v) for k, v in tags.items()])


def log_test_predictions(
    run_id: str, *, notices, truth, scores, tiers=None, include_sensitive: bool = False
) -> None:
    """Attach an intake run's test predictions (``predictions_frame``) to the MLflow run ``run_id``."""
    frame = predictions_frame(notices, truth, scores=scores, tiers=tiers)
    log_predictions(run_id, frame, roles=INTAKE_ROLES, include_sensitive=include_sensitive)


def _reason(exc: BaseException) -> str:
    """An exception as a short clause: its type and the first line of its message."""
    first = (str(exc).strip().splitlines() or [""])[0].strip()
    if len(first) > REASON_CHARS:
        first = first[: REASON_CHARS - 1] + "…"
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _sqlite_file(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` store (None for other stores and in-memory ones)."""
    if not uri.startswith("sqlite:///"):
        return None
    path = uri.removeprefix("sqlite:///").split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def _probe_http(uri: str, run_id: str | None) -> None:
    """Raise ``TrackingUnavailable`` unless something answers at ``uri`` within a few seconds.

    MLflow's own client retries a refused connection for minutes (7 retries with
    back-off); a user who mistyped the server's address should hear so at once. Any
    HTTP answer, even an error status, means the server is there.
    """
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=PROBE_SECONDS):
            return
    except urllib.error.HTTPError:
        return
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TrackingUnavailable(uri, f"no answer: {reason}", run_id=run_id) from None


def tracking_client(*, run_id: str | None = None) -> tuple[MlflowClient, str]:
    """A client of the tracking store ``triage.tracking`` resolves, and its URI, checked to answer.

    Raises ``TrackingUnavailable`` (naming the URI and why, and ``run_id`` when the client
    is for looking that run up) when the store cannot be read: a server that does not
    answer, a file that is not a tracking database, a URI MLflow does not know. Call it
    before work whose result goes to MLflow.
    """
    from mlflow import MlflowClient

    from triage.tracking import use_tracking

    uri = use_tracking()
    if uri.startswith(("http://", "https://")):
        _probe_http(uri, run_id)
    try:
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        client.search_experiments(max_results=1)
    except Exception as exc:  # noqa: BLE001 - MLflow, SQLAlchemy and HTTP raise their own kinds
        raise TrackingUnavailable(uri, _reason(exc), run_id=run_id) from None
    return client, uri


def _what_run(run: Run) -> str:
    """What kind of run this is, from its tags: ``a fairness-audit run``, ``a dv_witness_sorting run``."""
    tags = run.data.tags
    if tags.get("kind"):
        of = tags.get(OF_RUN_TAG)
        return f"a {tags['kind']} run" + (f" of run {of}" if of else "")
    if tags.get("pipeline"):
        return f"a {tags['pipeline']} run"
    return "a run without a pipeline tag"


def load_run_predictions(run_id: str) -> tuple[pd.DataFrame, str]:
    """The run's test predictions and a sentence on what the model used (``load_logged_predictions``)."""
    logged = load_logged_predictions(run_id)
    return logged.frame, logged.model_inputs


def load_logged_predictions(run_id: str) -> LoggedPredictions:
    """The run's test predictions, a sentence on what the model used, and the columns to audit.

    Raises ``RunUnavailable`` (``param`` ``run_id``) for a malformed id, a run the store
    does not hold or a run without logged test predictions, and ``TrackingUnavailable``
    when the tracking store cannot be read. Each says the run id and what was expected.
    """
    from mlflow.exceptions import MlflowException

    from triage.tracking import tracking_uri

    uri = tracking_uri()
    db = _sqlite_file(uri)
    # MLflow would make an empty store there and then say "not found"; say what is wrong
    if db is not None and not db.exists():
        raise RunUnavailable(NO_STORE.format(uri=uri, run_id=run_id), run_id=run_id)
    client, uri = tracking_client(run_id=run_id)
    try:
        run = client.get_run(run_id)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            message = RUN_NOT_FOUND.format(run_id=run_id, uri=uri)
            raise RunUnavailable(message, run_id=run_id) from None
        if exc.error_code == "INVALID_PARAMETER_VALUE":  # the store answered above: the id is bad
            raise RunUnavailable(RUN_ID_MALFORMED.format(run_id=run_id), run_id=run_id) from None
        raise TrackingUnavailable(uri, _reason(exc), run_id=run_id) from None
    except Exception as exc:  # noqa: BLE001 - a store that failed between the probe and now
        raise TrackingUnavailable(uri, _reason(exc), run_id=run_id) from None
    folder = str(Path(PREDICTIONS_PATH).parent)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # one file: no bar
    with tempfile.TemporaryDirectory() as tmp:
        try:
            listed = {f.path for f in client.list_artifacts(run_id, folder)}
            if PREDICTIONS_PATH not in listed:
                message = RUN_WITHOUT_PREDICTIONS.format(
                    run_id=run_id, what=_what_run(run), path=PREDICTIONS_PATH
                )
                raise RunUnavailable(message, run_id=run_id)
            local = client.download_artifacts(run_id, PREDICTIONS_PATH, tmp)
            frame = pd.read_parquet(local)
        except RunUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - artefact stores raise many kinds
            message = PREDICTIONS_UNREADABLE.format(
                run_id=run_id, path=PREDICTIONS_PATH, uri=run.info.artifact_uri, reason=_reason(exc)
            )
            raise RunUnavailable(message, run_id=run_id) from None
    used = run.data.tags.get(SENSITIVE_TAG) or run.data.params.get("features.include_sensitive")
    if used is None:
        note = "not stated by the run"
    elif str(used).lower() == "true":
        note = "sensitive features were model inputs"
    else:
        note = "sensitive features were not model inputs"
    roles = AuditRoles.from_tags(run.data.tags)
    if roles.truth is not None and roles.truth not in frame:  # a run without ground truth
        roles = dataclasses.replace(roles, truth=None)
    return LoggedPredictions(frame=frame, model_inputs=note, roles=roles)
