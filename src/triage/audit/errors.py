"""Error messages of the audit, as module-level constants: the same sentence everywhere.

Each names the column (or parameter) at fault, so a reviewer can fix the input.
"""

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
    "run {run_id} has no logged test predictions ({path}); the intake pipeline must call "
    "triage.audit.log_test_predictions(...)"
)
