"""Notices: the notice frame and its dtypes, date-times, reading, writing and validation.

Owns how a notice file becomes a typed frame (``read_notices_raw`` →
``validate_notices`` → ``ValidationResult``), how frames are written back
(``write_notices``, ``write_table``, ``write_records``), the RFC 3339 date-time
handling every layer shares, and the one test of a missing value (``is_missing``).
Nothing here prints: the command line formats results.

Modules, lowest first: ``missing``, ``datetimes``, ``frame`` (dtypes and
normalising), ``gc_pause``, ``kinds`` (what each value is), ``messages`` (the
wording of every problem, never quoting a value), ``file_errors`` (a file that
cannot be read at all), ``json_lines`` (one line, within bounds), ``read``,
``json_text`` (strict JSON out), ``write`` and ``write_tables``, ``checks``
(per-field rules), ``time_order`` (confirmed at or after received), ``batch``
(a table or records to check), ``validation`` (the driver) and ``as_of`` (a
moment of scoring far before the notices). Other packages import from
``triage.notices`` only.

Layer: notices. May import ``triage.contract`` only.
"""

from triage.notices.as_of import AS_OF_SLACK, refuse_as_of_long_before
from triage.notices.datetimes import (
    DATETIME_UNIT,
    RFC3339_DATETIME,
    RFC3339_DATETIME_ANYCASE,
    TIMEZONE,
    days_in_month,
    epoch_micro,
    epoch_micros,
    format_datetimes,
    is_rfc3339,
    parse_datetimes,
    rfc3339_instant,
)
from triage.notices.file_errors import NoticeFileError, NoticeFileMissing
from triage.notices.frame import enum_positions, notice_dtypes, to_notice_frame
from triage.notices.gc_pause import gc_paused
from triage.notices.json_lines import MAX_DEPTH, MAX_LINE_BYTES
from triage.notices.messages import (
    CONFIRMED_BEFORE_RECEIVED,
    DUPLICATE_ID,
    IDENTIFIER_VALUE,
    MISSING_FIELD,
    NOT_AN_OBJECT,
    NOT_AN_OBJECT_ROW,
    NOT_JSON,
    REFUSED_COLUMN,
    UNKNOWN_FIELD,
    WRONG_VALUE,
    describe_kind,
    key_label,
    refused_column_message,
    shorten,
)
from triage.notices.missing import is_missing
from triage.notices.read import NOTICE_SUFFIXES, RawNotices, RowError, read_notices_raw
from triage.notices.validation import (
    REJECT_ERRORS,
    REJECT_ROW,
    ValidationResult,
    validate_notices,
)
from triage.notices.write import write_notices
from triage.notices.write_tables import write_records, write_table

__all__ = [
    "AS_OF_SLACK",
    "CONFIRMED_BEFORE_RECEIVED",
    "MAX_DEPTH",
    "MAX_LINE_BYTES",
    "NoticeFileError",
    "NoticeFileMissing",
    "REJECT_ERRORS",
    "REJECT_ROW",
    "describe_kind",
    "key_label",
    "refuse_as_of_long_before",
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
    "epoch_micro",
    "epoch_micros",
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
