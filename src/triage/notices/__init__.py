"""Notices: the notice frame and its dtypes, date-times, reading, writing and validation.

Owns how a notice file becomes a typed frame (``read_notices_raw`` →
``validate_notices`` → ``ValidationResult``), how frames are written back
(``write_notices``, ``write_table``, ``write_records``), the RFC 3339 date-time
handling every layer shares, and the one test of a missing value (``is_missing``).
Nothing here prints: the command line formats results.

Modules, lowest first: ``missing``, ``datetimes``, ``frame`` (dtypes and
normalising), ``gc_pause``, ``kinds`` (what each value is), ``messages`` (the
wording of every problem), ``read``, ``write`` and ``write_tables``, ``checks``
(per-field rules), ``batch`` (a table or records to check) and ``validation``
(the driver). Other packages import from ``triage.notices`` only.

Layer: notices. May import ``triage.contract`` only.
"""

from triage.notices.datetimes import (
    DATETIME_UNIT,
    RFC3339_DATETIME,
    RFC3339_DATETIME_ANYCASE,
    TIMEZONE,
    days_in_month,
    format_datetimes,
    is_rfc3339,
    parse_datetimes,
    rfc3339_instant,
)
from triage.notices.frame import enum_positions, notice_dtypes, to_notice_frame
from triage.notices.gc_pause import gc_paused
from triage.notices.messages import (
    DUPLICATE_ID,
    IDENTIFIER_VALUE,
    MISSING_FIELD,
    NOT_AN_OBJECT,
    NOT_AN_OBJECT_ROW,
    NOT_JSON,
    REFUSED_COLUMN,
    UNKNOWN_FIELD,
    WRONG_VALUE,
    refused_column_message,
    shorten,
)
from triage.notices.missing import is_missing
from triage.notices.read import NOTICE_SUFFIXES, RawNotices, RowError, read_notices_raw
from triage.notices.validation import ValidationResult, validate_notices
from triage.notices.write import write_notices
from triage.notices.write_tables import write_records, write_table

__all__ = [
    "enum_positions",
    "DATETIME_UNIT",
    "DUPLICATE_ID",
    "IDENTIFIER_VALUE",
    "MISSING_FIELD",
    "NOTICE_SUFFIXES",
    "NOT_AN_OBJECT",
    "NOT_AN_OBJECT_ROW",
    "NOT_JSON",
    "REFUSED_COLUMN",
    "RFC3339_DATETIME",
    "RFC3339_DATETIME_ANYCASE",
    "TIMEZONE",
    "UNKNOWN_FIELD",
    "WRONG_VALUE",
    "RawNotices",
    "RowError",
    "ValidationResult",
    "days_in_month",
    "format_datetimes",
    "gc_paused",
    "is_missing",
    "is_rfc3339",
    "notice_dtypes",
    "parse_datetimes",
    "read_notices_raw",
    "refused_column_message",
    "rfc3339_instant",
    "shorten",
    "to_notice_frame",
    "validate_notices",
    "write_notices",
    "write_records",
    "write_table",
]
