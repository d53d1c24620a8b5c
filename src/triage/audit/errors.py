"""Error messages of the audit, as module-level constants: the same sentence everywhere.

Each names the column (or parameter) at fault, so a reviewer can fix the input. The
errors about runs and the tracking store are ``TriageError``s; ``triage.cli`` turns
their ``run_id:`` into ``--run:`` and prints them as one ``error:`` line.
"""

from __future__ import annotations

from triage.contract.errors import TriageError

MISSING_COLUMN = "{role} column {column!r} is not in the table; columns are: {available}"
LABEL_NOT_BINARY = (
    "label column {column!r} must hold only 0/1 (or true/false) without missing values; found {bad}"
)
SCORE_OUT_OF_RANGE = (
    "score column {column!r} must hold probabilities in [0, 1] without missing values; found {bad}"
)
BAD_THRESHOLD = "threshold: expected a value in [0, 1], got {value}"
FLAG_RULE = "threshold, flag_tiers: give either a score column with a threshold, or a tier column with the tiers to flag"
UNKNOWN_TIERS = "tier column {column!r}: flag tier(s) {bad} do not occur among its values {known}"
TIER_MISSING = "tier column {column!r} has {count} missing value(s)"
BAD_REFERENCE = "reference: expected 'largest' or FEATURE=GROUP[,FEATURE=GROUP...]; got {value!r}"
REFERENCE_UNKNOWN = "reference group {group!r} of {feature!r} is not among its groups {known}"
REFERENCE_SUPPRESSED = (
    "reference group {group!r} of {feature!r} has fewer than min_n = {min_n} notices; "
    "choose a larger group"
)
NO_REFERENCE = "{feature!r} has no group with at least min_n = {min_n} notices to compare against"
BAD_INTERSECTION = "intersection {value!r}: expected two or more sensitive columns joined by ':'"
BAD_BAND = "band must satisfy 0 < low < 1 < high; got low={low}, high={high}"
RUN_WITHOUT_PREDICTIONS = (
    "run_id: run {run_id!r} ({what}) has no logged test predictions ({path}); expected the id "
    "of a model run of `triage run` that logged them (intake_urgency or dv_witness_sorting; "
    "a run made before its pipeline logged them must be made again)"
)
RUN_NOT_FOUND = (
    "run_id: no MLflow run {run_id!r} in the tracking store {uri}; expected the id of a "
    "model run of `triage run` (it prints the id; `mlflow ui` lists them)"
)
RUN_ID_MALFORMED = (
    "run_id: {run_id!r} is not an MLflow run id; expected letters, digits, '_' and '-' "
    "(`triage run` prints a 32-character hexadecimal id)"
)
NO_STORE = (
    "run_id: the tracking store {uri} does not exist, so it holds no run {run_id!r}; "
    "run `triage run` first, or set MLFLOW_TRACKING_URI to the store that holds the run"
)
STORE_UNREACHABLE = (
    "{doing}the MLflow tracking store {uri} cannot be read ({reason}); expected a running "
    "MLflow server or an MLflow database: check MLFLOW_TRACKING_URI"
)
PREDICTIONS_UNREADABLE = "run_id: the test predictions of run {run_id!r} ({path}) could not be read from {uri} ({reason})"


class AuditConfigMissing(TriageError, FileNotFoundError):
    """The audit config named does not exist (``param`` is ``config``)."""

    def __init__(self, path: object) -> None:
        super().__init__(f"config: audit config {path} does not exist", param="config")


class RunUnavailable(TriageError, LookupError):
    """``triage audit --run``: the run id is malformed, unknown, or the run logged no predictions.

    ``param`` is ``run_id``; ``run_id`` is the id as given.
    """

    def __init__(self, message: str, *, run_id: str) -> None:
        super().__init__(message, param="run_id")
        self.run_id = run_id


class TrackingUnavailable(TriageError, ConnectionError):
    """The MLflow tracking store cannot be read or written; ``uri`` names it.

    ``run_id``, when given, is the run that was being looked up (said first in the message).
    """

    def __init__(self, uri: str, reason: str, *, run_id: str | None = None) -> None:
        doing = f"cannot look up run {run_id!r}: " if run_id is not None else ""
        super().__init__(STORE_UNREACHABLE.format(doing=doing, uri=uri, reason=reason))
        self.uri = uri
        self.reason = reason
        self.run_id = run_id
