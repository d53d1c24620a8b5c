"""Why a review of the decisions cannot be made: one line naming the input at fault."""

from __future__ import annotations

from triage.contract.errors import TriageError

NO_DECISIONS = "store: {path} holds no decisions yet; a review needs at least one recorded decision"
BROKEN = "refusing to analyse: {problem}. Run `triage decisions verify` and restore the store"
CONFIG_MISSING = "config: {path} does not exist; expected an audit config (configs/audit.yaml)"
CONFIG_INVALID = "config: {path} is not a valid audit config ({detail})"
UNKNOWN_FEATURE = "config: sensitive feature {feature!r} is not a field of the notice contract (e.g. welfare_receipt)"
BAD_FLAG_TIERS = "config: flag_tiers {bad} are not tiers; expected some of {tiers}"
TRUTH_MISSING = "truth: {path} does not exist; expected the truth.parquet `triage synth` writes"
TRUTH_UNREADABLE = "truth: cannot read {path} ({why}); expected a .parquet, .csv or .jsonl table"
TRUTH_COLUMNS = "truth: {path} has no column {column!r}; expected notice_id and true_tier"
TRUTH_TIERS = (
    "truth: column true_tier of {path} holds {bad!r} in row {row}; expected one of {tiers}"
)
NOTICE_MISSING = "notice_version: decision {decision_id} names version {version} of a notice the store does not hold"
OUT_UNWRITABLE = "out: cannot write {path} ({why})"


class ReviewError(TriageError, ValueError):
    """A review that cannot be made; ``param`` names the input (store, config, truth, out)."""


class StoreTampered(ReviewError):
    """``verify`` finds the decision record altered: its numbers would not be evidence."""


class NoDecisions(ReviewError):
    """The store holds no decision yet: there is nothing to review."""
