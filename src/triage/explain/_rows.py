"""Notices → feature rows and JSON values, with a pandas-free path for one notice.

Scoring one notice through a one-row DataFrame costs 10–30× the model's own
time (measured-pitfalls.md, pitfall 3). ``notice_row`` builds the same row as
``NoticeFeatures.transform`` straight from a notice dict, following the same
column plan (``triage.features.column_plan``); a test checks that both agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_integer_dtype

from triage.contract import notice_fields
from triage.features import ALLEGED_FIELD, NoticeFeatures, column_plan
from triage.notices import is_missing

ERRORS = {
    "required": "required notice field {field!r} is missing or null.",
    "category": "field {field!r} has a value outside the schema's categories {cats}: {value!r}.",
    "boolean": "field {field!r} must hold true/false/null; got {value!r}.",
    "integer": "field {field!r} must hold a whole number or null; got {value!r}.",
    "alleged": "alleged_types must be a non-empty list of {types}; got {value!r}.",
    "notices": "notices: expected a notice frame (pandas DataFrame) or one notice (a mapping); got {kind}.",
}


@dataclass(frozen=True)
class _Slot:
    field: str
    kind: str
    start: int
    width: int
    index: dict[str, int]  # category → offset (enum, alleged)
    unknown_at: int | None
    dv_only: bool


@cache
def _slots(include_sensitive: bool) -> tuple[tuple[_Slot, ...], int]:
    dv_only = set(notice_fields().dv_only)
    slots, j = [], 0
    for b in column_plan(include_sensitive):
        index = {c: k for k, c in enumerate(b.categories)}
        slots.append(
            _Slot(b.field, b.kind, j, len(b.names), index, b.unknown_at, b.field in dv_only)
        )
        j += len(b.names)
    return tuple(slots), j


def notice_row(features: NoticeFeatures, notice: Mapping[str, Any]) -> np.ndarray:
    """One notice (a dict as in the JSON contract) → a (1, n_features) row.

    Equal to ``features.transform(<one-row frame of notice>)``; an absent key
    or a null value reads as unknown, as in the frame.
    """
    slots, width = _slots(bool(features.include_sensitive))
    row = np.zeros(width, dtype=np.float64)
    general = _str(notice.get("notice_kind")) == "general"
    for s in slots:
        value: Any = notice.get(s.field)
        if is_missing(value):
            if s.unknown_at is None:
                raise ValueError(ERRORS["required"].format(field=s.field))
            if not (general and s.dv_only):  # a general notice's DV columns stay 0, known or not
                row[s.start + s.unknown_at] = 1.0
        elif general and s.dv_only:
            continue  # not applicable: every column 0 (see triage.features)
        elif s.kind == "enum":
            k = s.index.get(str(value))
            if k is None:
                raise ValueError(
                    ERRORS["category"].format(field=s.field, cats=list(s.index), value=value)
                )
            row[s.start + k] = 1.0
        elif s.kind == "bool":
            if value is True or value is False or isinstance(value, np.bool_):
                row[s.start] = float(bool(value))
            elif isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
                row[s.start] = float(value)
            else:
                raise ValueError(ERRORS["boolean"].format(field=s.field, value=value))
        elif s.kind == "int":
            try:
                row[s.start] = float(value)
            except (TypeError, ValueError):
                raise ValueError(ERRORS["integer"].format(field=s.field, value=value)) from None
        else:  # alleged: multi-hot, then the main (first) type one-hot
            entries = _entries(value)
            k = len(s.index)
            if not entries or any(e not in s.index for e in entries):
                raise ValueError(ERRORS["alleged"].format(types=list(s.index), value=value))
            for e in entries:
                row[s.start + s.index[e]] = 1.0
            row[s.start + k + s.index[entries[0]]] = 1.0
    return row.astype(features.dtype).reshape(1, -1)


def feature_matrix(features: NoticeFeatures, notices: Any) -> np.ndarray:
    """Feature matrix for a notice frame or one notice (mapping); one row goes the fast way."""
    if isinstance(notices, Mapping):
        return notice_row(features, notices)
    if isinstance(notices, pd.DataFrame):
        if len(notices) == 1:
            return notice_row(features, first_notice(notices))
        return features.transform(notices)
    raise TypeError(ERRORS["notices"].format(kind=type(notices).__name__))


def first_notice(frame: pd.DataFrame) -> dict[str, Any]:
    """The first row of a notice frame as a dict (missing values as ``None``).

    A notice frame always mixes dtypes (``route`` is a category), so the row is
    an object Series and no value is upcast; this is 3× faster than reading
    each column.
    """
    return frame.iloc[0].to_dict()


def json_value(value: Any) -> Any:
    """A notice value as JSON: bool, None, str, int, or a list of str."""
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence | np.ndarray):
        return [str(v) for v in value]
    if is_missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return int(value) if float(value).is_integer() else float(value)
    return str(value)


def json_values(notices: Any, fields: Sequence[str]) -> dict[str, list[Any]]:
    """For each field, the JSON value of every notice (``None`` where absent)."""
    if isinstance(notices, Mapping):
        return {f: [json_value(notices.get(f))] for f in fields}
    n = len(notices)
    out: dict[str, list[Any]] = {}
    for f in fields:
        if f not in notices.columns:
            out[f] = [None] * n
            continue
        col = notices[f]
        dtype = col.dtype
        if f != ALLEGED_FIELD and (is_bool_dtype(dtype) or is_integer_dtype(dtype)):
            out[f] = col.to_numpy(dtype=object, na_value=None).tolist()  # Python bool/int
        elif isinstance(dtype, pd.CategoricalDtype):
            out[f] = [
                None if v is None else str(v)
                for v in col.astype(object).where(col.notna(), None).tolist()
            ]
        else:
            out[f] = [json_value(v) for v in col.tolist()]
    return out


def _str(value: Any) -> str | None:
    return None if is_missing(value) else str(value)


def _entries(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence | np.ndarray):
        return ()
    return tuple(str(v) for v in value)
