"""The wording of every problem a notice can have, and of the values they quote.

A row's problem reads ``{field}: expected {expected}, got {got}``; the value
quoted as ``got`` is JSON-like and cut to ``MAX_REPR`` characters, so one
message never carries a whole free-text field.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from triage.notices.kinds import DT_NAIVE, NULL

# Reading: a JSON line that is not a notice at all.
NOT_JSON = "line is not valid JSON: {reason}"
NOT_AN_OBJECT = "line is not a JSON object, got {got}"

# Validation: a row against notice.schema.json.
MISSING_FIELD = "{field}: required field is missing"
WRONG_VALUE = "{field}: expected {expected}, got {got}"
UNKNOWN_FIELD = "{field}: unknown field; notice.schema.json allows no other fields"
REFUSED_COLUMN = (
    "column {column!r} is refused: it looks like a direct identifier ({reason}); "
    "notices must be pseudonymous, see notice.schema.json"
)
IDENTIFIER_VALUE = (
    "{field}: the row holds refused column {field!r} ({reason}); "
    "the row is rejected and the value is not shown"
)
DUPLICATE_ID = "notice_id: expected an id unique in the batch, got {got}, already on row {first}"
NOT_AN_OBJECT_ROW = "row is not an object, got {got}"

MAX_REPR = 40


def refused_column_message(column: str, reason: str) -> str:
    return REFUSED_COLUMN.format(column=column, reason=reason)


def shorten(text: str) -> str:
    """``text`` cut to ``MAX_REPR`` characters, the cut marked with an ellipsis."""
    return text if len(text) <= MAX_REPR else text[: MAX_REPR - 1] + "…"


def describe_value(value: Any, kind: int) -> str:
    """A short rendering of an offending value of kind ``kind``, JSON-like."""
    if kind == NULL:
        return "null"
    if kind == DT_NAIVE:
        if value is pd.NaT:
            return "NaT"
        return shorten(f"{value.isoformat()} (no offset)")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, datetime):
        return shorten(value.isoformat())
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return shorten(text)
