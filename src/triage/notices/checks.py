"""The per-field checks: what ``notice.schema.json`` allows in each field, one column at a time.

Each field's rule is read from the schema once (:func:`field_specs`) and
applied to a whole column of values and their kinds (:func:`check_field`),
accepting exactly what jsonschema's Draft 2020-12 validator accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from triage.contract import load_schema, notice_fields
from triage.notices.datetimes import is_rfc3339
from triage.notices.kinds import ABSENT, ARRAY, BOOL, DT_AWARE, FLOAT, INT, NULL, SMALL_BATCH, STR


@dataclass(frozen=True)
class FieldSpec:
    """One field's rule. Integer fields have ``bounds``, array fields ``items``."""

    field: str
    required: bool
    nullable: bool
    expected: str
    boolean: bool = False
    enum: frozenset[str] | None = None
    bounds: tuple[int, int] | None = None
    pattern: str | None = None
    datetime: bool = False
    items: frozenset[str] | None = None


@cache
def field_specs() -> tuple[FieldSpec, ...]:
    """The rule of every field, in schema order."""
    fields = notice_fields()
    props = load_schema("notice")["properties"]
    out = []
    for f in fields.all:
        required, nullable = f in fields.required, f in fields.nullable
        or_null = " or null" if nullable else ""
        spec = props[f]
        if f in fields.enums:
            values = fields.enums[f]
            expected = "one of " + ", ".join(values) + or_null
            out.append(FieldSpec(f, required, nullable, expected, enum=frozenset(values)))
        elif f in fields.booleans:
            expected = "true, false or null" if nullable else "true or false"
            out.append(FieldSpec(f, required, nullable, expected, boolean=True))
        elif f in fields.integers:
            lo, hi = fields.integers[f]
            expected = f"an integer {lo}–{hi}{or_null}"
            out.append(FieldSpec(f, required, nullable, expected, bounds=(lo, hi)))
        elif f in fields.datetimes:
            expected = (
                "a date-time with offset (RFC 3339, e.g. 2023-04-03T09:15:00+09:00)" + or_null
            )
            out.append(FieldSpec(f, required, nullable, expected, datetime=True))
        elif spec.get("type") == "array":
            items = tuple(spec["items"]["enum"])
            expected = "a non-empty list of distinct types from " + ", ".join(items)
            out.append(FieldSpec(f, required, nullable, expected, items=frozenset(items)))
        elif f in fields.patterns:
            pattern = fields.patterns[f]
            expected = f"a string matching {pattern}{or_null}"
            out.append(FieldSpec(f, required, nullable, expected, pattern=pattern))
        else:
            out.append(FieldSpec(f, required, nullable, "a string" + or_null))
    return tuple(out)


def check_field(spec: FieldSpec, values: Any, kinds: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows whose value of ``spec.field`` is valid."""
    ok = np.zeros(len(kinds), dtype=bool)
    if not spec.required:
        ok |= kinds == ABSENT
    if spec.nullable:
        ok |= kinds == NULL
    if spec.boolean:
        ok |= kinds == BOOL
    elif spec.bounds is not None:
        lo, hi = spec.bounds
        for kind in (INT, FLOAT):
            idx = np.flatnonzero(kinds == kind)
            if len(idx):
                ok[idx] = _integers_ok(values[idx], kind, lo, hi)
    elif spec.items is not None:
        idx = np.flatnonzero(kinds == ARRAY)
        allowed = spec.items
        ok[idx] = np.fromiter(
            (_types_ok(values[i], allowed) for i in idx), dtype=np.bool_, count=len(idx)
        )
    else:
        idx = np.flatnonzero(kinds == STR)
        if len(idx):
            ok[idx] = _strings_ok(spec, np.asarray(values[idx], dtype=object))
        if spec.datetime:
            ok |= kinds == DT_AWARE
    return ok


def _strings_ok(spec: FieldSpec, sub: np.ndarray) -> np.ndarray | bool:
    if spec.enum is not None and len(sub) < SMALL_BATCH:
        return np.fromiter((v in spec.enum for v in sub), dtype=np.bool_, count=len(sub))
    if spec.enum is not None:
        return pd.Series(sub, dtype=object).isin(spec.enum).to_numpy()
    if spec.pattern is not None:
        # fullmatch, not the schema's search: `$` would also match before a final newline,
        # and "N-1\n" would pass as a notice id distinct from "N-1"
        match = re.compile(spec.pattern).fullmatch
        return np.fromiter((match(v) is not None for v in sub), dtype=np.bool_, count=len(sub))
    if spec.datetime:
        return np.fromiter(map(is_rfc3339, sub), dtype=np.bool_, count=len(sub))
    return True


def _integers_ok(sub: Any, kind: int, lo: int, hi: int) -> np.ndarray:
    arr = np.asarray(sub)
    if arr.dtype.kind in "iu":
        return (arr >= lo) & (arr <= hi)
    if kind == FLOAT or arr.dtype.kind == "f":
        # JSON has one number type: 3.0 is the integer 3, and 3.5, NaN or inf are not integers.
        f = arr.astype(np.float64)
        with np.errstate(invalid="ignore"):
            return np.isfinite(f) & (f == np.floor(f)) & (f >= lo) & (f <= hi)
    return np.fromiter((lo <= v <= hi for v in arr), dtype=np.bool_, count=len(arr))


def _types_ok(value: Any, allowed: frozenset[str]) -> bool:
    items = value.tolist() if isinstance(value, np.ndarray) else list(value)
    if not items:
        return False
    if not all(isinstance(x, str) and x in allowed for x in items):
        return False
    return len(set(items)) == len(items)
