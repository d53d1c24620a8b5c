"""Features: notice frame → numeric matrix with stable, schema-derived column names.

Owns ``NoticeFeatures`` (the transformer every candidate is fit on), the column
plan it follows (``column_plan``), which fields are sensitive or excluded, and the
monotone directions of the risk factors.

Layer: domain. May import ``triage.contract``, ``triage.notices`` and ``triage.labels``.
"""

from triage.features.notice_features import (
    ALLEGED_FIELD,
    ALLEGED_PREFIXES,
    EXCLUDED_FIELDS,
    MONOTONE_INCREASING,
    SENSITIVE_FIELDS,
    ColumnBlock,
    NoticeFeatures,
    column_plan,
    feature_groups,
    feature_names,
    monotone_constraints,
)

__all__ = [
    "ALLEGED_FIELD",
    "ALLEGED_PREFIXES",
    "EXCLUDED_FIELDS",
    "MONOTONE_INCREASING",
    "SENSITIVE_FIELDS",
    "ColumnBlock",
    "NoticeFeatures",
    "column_plan",
    "feature_groups",
    "feature_names",
    "monotone_constraints",
]
