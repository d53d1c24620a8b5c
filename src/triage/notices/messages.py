"""The wording of every problem a notice can have, and how an offending value is described.

A row's problem reads ``{field}: expected {expected}, got {got}``, where ``got``
says what the value is (its JSON type, a string's length, a number's side of
the range), never what it says: a value in the wrong field can be a name or a
phone number, and these messages reach stderr, logs, rejects files and API
clients. Only fixed vocabulary (``null``, ``true``, ``false``) is quoted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd

from triage.notices.datetimes import is_rfc3339
from triage.notices.kinds import ARRAY, BOOL, DT_AWARE, DT_NAIVE, FLOAT, INT, NULL, STR

# Reading: a JSON line that is not a notice at all.
NOT_JSON = "line is not valid JSON: {reason}"
NOT_AN_OBJECT = "line is not a JSON object, got {got}"

# Validation: a row against notice.schema.json.
MISSING_FIELD = "{field}: required field is missing"
WRONG_VALUE = "{field}: expected {expected}, got {got}"
UNKNOWN_FIELD = "{field}: unknown field; notice.schema.json allows no other fields"
REFUSED_COLUMN = (
    "column {column} is refused: it looks like a direct identifier ({reason}); "
    "notices must be pseudonymous, see notice.schema.json"
)
IDENTIFIER_VALUE = (
    "{field}: the row holds refused column {column} ({reason}); "
    "the row is rejected and the value is not shown"
)
DUPLICATE_ID = "notice_id: expected an id unique in the batch, got one already on row {first}"
CONFIRMED_BEFORE_RECEIVED = (
    "safety_confirmed_at: expected a time at or after received_at, got an earlier one "
    "(a safety confirmation cannot precede the notice)"
)
NOT_AN_OBJECT_ROW = "row is not an object, got {got}"

MAX_REPR = 40


def refused_column_message(column: str, reason: str) -> str:
    return REFUSED_COLUMN.format(column=quoted_key(column), reason=reason)


def quoted_key(key: object) -> str:
    """:func:`key_label` in quotes when it shows the key (``'name'``)."""
    label = key_label(key)
    return label if label.startswith("(") else f"'{label}'"


def shorten(text: str) -> str:
    """``text`` cut to ``MAX_REPR`` characters, the cut marked with an ellipsis."""
    return text if len(text) <= MAX_REPR else text[: MAX_REPR - 1] + "…"


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.-]{1,40}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAIVE_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
)


def key_label(key: object) -> str:
    """A key as messages show it: as is when a plain name, else only its length.

    A plain key (ASCII letters, digits, ``_ . -``, at most 40) names a column and
    is shown, so the sender can find it; any other key could be anything (a name
    typed as a header, a phone number), so it is described, not shown.
    """
    text = str(key)
    if _PLAIN_KEY.fullmatch(text):
        return text
    return f"(a key of {len(text)} character{'s' if len(text) != 1 else ''}, not shown)"


def describe_kind(
    value: Any,
    kind: int,
    *,
    bounds: tuple[int, int] | None = None,
    items: Collection[str] | None = None,
    datetime: bool = False,
) -> str:
    """What an offending value of kind ``kind`` is, without what it says.

    ``bounds``, ``items`` and ``datetime`` describe the field's rule, so that
    the description can say on which side of it the value fell.
    """
    if kind == NULL:
        return "null"
    if kind == BOOL:
        return "true" if bool(value) else "false"
    if kind in (INT, FLOAT):
        return _describe_number(value, bounds)
    if kind == STR:
        return _describe_string(str(value), datetime=datetime)
    if kind == ARRAY:
        return _describe_array(value, items)
    if kind == DT_AWARE:
        return "a date-time"
    if kind == DT_NAIVE:
        return "a missing date-time (NaT)" if value is pd.NaT else "a date-time without an offset"
    if isinstance(value, dict):
        return "an object"
    return f"a value of type {type(value).__name__}"


def _describe_number(value: Any, bounds: tuple[int, int] | None) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return "a number that is not finite"
    if isinstance(value, float) and not value.is_integer():
        return "a number that is not whole"
    if bounds is not None and value < bounds[0]:
        return f"a number below {bounds[0]}"
    if bounds is not None and value > bounds[1]:
        return f"a number above {bounds[1]}"
    return "a number"


def _describe_string(text: str, *, datetime: bool) -> str:
    if not text:
        return "an empty string"
    got = f"a string of {len(text)} character{'s' if len(text) != 1 else ''}"
    if _CONTROL.search(text):
        return got + " with a line break or another control character"
    if text != text.strip():
        return got + " with leading or trailing spaces"
    if datetime and not is_rfc3339(text) and _NAIVE_DATETIME.fullmatch(text):
        return got + " without an offset"
    return got


def _describe_array(value: Any, items: Collection[str] | None) -> str:
    values = value.tolist() if isinstance(value, np.ndarray) else list(value)
    if not values:
        return "an empty array"
    got = f"an array of {len(values)} item{'s' if len(values) != 1 else ''}"
    if items is None:
        return got
    if not all(isinstance(v, str) and v in items for v in values):
        return got + ", one or more not in the list"
    return got + ", one repeated"
