"""Notices: the notice frame and its dtypes, date-times, reading, writing and validation.

Owns how a notice file becomes a typed frame (``read_notices_raw`` →
``validate_notices`` → ``ValidationResult``), how frames are written back
(``write_notices``, ``write_table``, ``write_records``), the RFC 3339 date-time
handling every layer shares, and the one test of a missing value (``is_missing``).
Nothing here prints: the command line formats results.

Layer: notices. May import ``triage.contract`` only.
"""

from triage.notices.missing import is_missing
from triage.notices.notice_io import (
    DATETIME_UNIT,
    NOTICE_SUFFIXES,
    RFC3339_DATETIME,
    RFC3339_DATETIME_ANYCASE,
    TIMEZONE,
    RawNotices,
    RowError,
    format_datetimes,
    gc_paused,
    notice_dtypes,
    parse_datetimes,
    read_notices_raw,
    rfc3339_instant,
    to_notice_frame,
    write_notices,
    write_records,
    write_table,
)
from triage.notices.validation import ValidationResult, validate_notices

__all__ = [
    "DATETIME_UNIT",
    "NOTICE_SUFFIXES",
    "RFC3339_DATETIME",
    "RFC3339_DATETIME_ANYCASE",
    "TIMEZONE",
    "RawNotices",
    "RowError",
    "ValidationResult",
    "format_datetimes",
    "gc_paused",
    "is_missing",
    "notice_dtypes",
    "parse_datetimes",
    "read_notices_raw",
    "rfc3339_instant",
    "to_notice_frame",
    "validate_notices",
    "write_notices",
    "write_records",
    "write_table",
]
