"""One line of a JSON Lines file as a JSON object, within bounds, or why it is not one.

A notice is a flat object of short values, so a line far longer or deeper than
any notice is refused before it is parsed: Python's parser would otherwise
raise ``RecursionError`` on ~1,000 levels of nesting (losing the whole file)
and spend its time on a line no notice can be. What the standard library
accepts but JSON does not (``NaN``, ``Infinity``, numbers of thousands of
digits) and what JSON leaves open (a key given twice) are refused too, each as
that line's error.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any

import numpy as np

from triage.contract.errors import TriageError
from triage.notices.file_errors import one_line
from triage.notices.messages import NOT_AN_OBJECT, NOT_JSON, quoted_key

MAX_LINE_BYTES = 1_048_576
"""A notice line is about 1 KB; a line beyond this is refused unread."""

MAX_DEPTH = 32
"""Nesting allowed in a line (a notice needs 2: the object and its one list)."""

TOO_LONG = "line is longer than {limit} bytes ({size} bytes); a notice is a short JSON object"
TOO_DEEP = "line is nested deeper than {limit} levels; a notice is a flat JSON object"
DUPLICATE_KEY = "line is not valid JSON: key {key} appears more than once"
NOT_UTF8 = "not UTF-8 ({reason})"

_JSON_TYPE_NAMES = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPEN = np.frombuffer(b"[{", dtype=np.uint8)
_CLOSE = np.frombuffer(b"]}", dtype=np.uint8)


class _Refused(TriageError, ValueError):
    """Raised inside the parser's hooks; its message is the line's error."""


def _refuse_constant(name: str) -> Any:
    raise _Refused(NOT_JSON.format(reason=f"{name} is not a JSON value"))


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)  # in C: the check costs well under a microsecond a line
    if len(out) != len(pairs):
        counts = Counter(key for key, _ in pairs)
        repeated = next(key for key, n in counts.items() if n > 1)
        raise _Refused(DUPLICATE_KEY.format(key=quoted_key(repeated)))
    return out


# Made once: ``json.loads`` with any option builds a new decoder on every call.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)


def parse_line(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """``(object, None)`` for a line holding a JSON object, else ``(None, why)``."""
    if len(raw) > MAX_LINE_BYTES:
        return None, TOO_LONG.format(limit=MAX_LINE_BYTES, size=len(raw))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, NOT_JSON.format(reason=NOT_UTF8.format(reason=exc.reason))
    # Cheap first: a line with few brackets cannot be deep.
    if text.count("[") + text.count("{") > MAX_DEPTH and nesting_depth(raw) > MAX_DEPTH:
        return None, TOO_DEEP.format(limit=MAX_DEPTH)
    try:
        value = _DECODER.decode(text)
    except _Refused as exc:
        return None, str(exc)
    except json.JSONDecodeError as exc:
        return None, NOT_JSON.format(reason=str(exc))
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        return None, NOT_JSON.format(reason=_first_clause(exc))
    except RecursionError:  # a backstop: the depth check above should have caught it
        return None, TOO_DEEP.format(limit=MAX_DEPTH)
    if not isinstance(value, dict):
        got = _JSON_TYPE_NAMES.get(type(value), type(value).__name__)
        return None, NOT_AN_OBJECT.format(got=got)
    return value, None


def nesting_depth(raw: bytes) -> int:
    """How deep arrays and objects nest in the JSON text ``raw`` (brackets in strings not
    counted), in linear time whatever the text (no regular expression to backtrack).

    Works on the UTF-8 bytes: no byte of a multi-byte character is ASCII, so quotes,
    backslashes and brackets are found byte by byte.
    """
    b = np.frombuffer(raw, dtype=np.uint8)
    if not len(b):
        return 0
    at = np.arange(len(b))
    # Backslashes right before each byte: a quote after an even number of them is real.
    last_other = np.maximum.accumulate(np.where(b != _BACKSLASH, at, -1))
    before = at - 1 - np.concatenate(([-1], last_other[:-1]))
    quote = (b == _QUOTE) & (before % 2 == 0)
    in_string = ((np.cumsum(quote) - quote) % 2).astype(bool)
    outside = ~in_string
    steps = np.isin(b, _OPEN) & outside
    depth = np.cumsum(steps.astype(np.int64) - (np.isin(b, _CLOSE) & outside))
    return int(max(depth.max(), 0))


def _first_clause(exc: ValueError) -> str:
    text = str(exc)
    if "integer string conversion" in text:
        return f"a number of more than {sys.get_int_max_str_digits()} digits"
    return one_line(text.split(";")[0])
