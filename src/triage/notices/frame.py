"""The in-memory notice frame: its dtypes, and normalising a valid frame to them.

A notice frame (see :mod:`triage.contract`) holds every field of
``notice.schema.json`` as a column, in schema order, with these dtypes
(:func:`notice_dtypes`):

- enum fields: ``pd.CategoricalDtype(categories=<schema enum>, ordered=False)``;
- boolean risk factors: nullable ``"boolean"`` (``<NA>`` = not known at intake);
- integer fields: nullable ``"Int64"`` (``<NA>`` = absent);
- ``received_at`` / ``safety_confirmed_at``: ``datetime64[us, Asia/Tokyo]``
  (see :mod:`triage.notices.datetimes`);
- ``alleged_types``: ``object`` column holding one tuple of str per row;
- ``notice_id`` / ``region_code``: ``object`` columns of Python ``str``
  (``None`` when absent). Not pandas' ``str`` dtype: LightGBM refuses it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from triage.contract import load_schema, notice_fields
from triage.notices.datetimes import DATETIME_UNIT, TIMEZONE, parse_datetimes
from triage.notices.missing import is_missing


@cache
def array_fields() -> tuple[str, ...]:
    """The fields whose value is a list (``alleged_types``), in schema order."""
    props = load_schema("notice")["properties"]
    return tuple(f for f, spec in props.items() if spec.get("type") == "array")


def notice_dtypes() -> dict[str, Any]:
    """The dtype of every column of a notice frame, in schema order."""
    fields = notice_fields()
    out: dict[str, Any] = {}
    for f in fields.all:
        if f in fields.enums:
            out[f] = pd.CategoricalDtype(categories=list(fields.enums[f]), ordered=False)
        elif f in fields.booleans:
            out[f] = pd.BooleanDtype()
        elif f in fields.integers:
            out[f] = pd.Int64Dtype()
        elif f in fields.datetimes:
            out[f] = pd.DatetimeTZDtype(DATETIME_UNIT, TIMEZONE)
        else:
            out[f] = np.dtype(object)
    return out


def to_notice_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Normalise the dtypes of an already-valid frame to the notice-frame conventions.

    Every contract field becomes a column, in schema order; optional fields
    missing from ``df`` are added as all-NA. Other columns are kept, after the
    contract fields. The index is kept.
    """
    fields = notice_fields()
    dtypes = notice_dtypes()
    index = df.index
    n = len(df)
    columns: dict[str, Any] = {}
    for f in fields.all:
        dtype = dtypes[f]
        if f not in df.columns:
            if f in fields.datetimes:
                columns[f] = pd.Series(pd.NaT, index=index, dtype=dtype)
            elif dtype == np.dtype(object):
                columns[f] = pd.Series([None] * n, index=index, dtype=object)
            else:
                columns[f] = pd.Series(pd.NA, index=index, dtype=dtype)
            continue
        col = df[f]
        if isinstance(col, pd.DataFrame):
            raise ValueError(f"column {f!r} appears more than once")
        if f in fields.enums:
            columns[f] = pd.Series(_categorical(col, dtype), index=index)
        elif f in fields.booleans or f in fields.integers:
            columns[f] = col.astype(dtype)
        elif f in fields.datetimes:
            columns[f] = parse_datetimes(col)
        elif f in array_fields():
            columns[f] = pd.Series(_type_tuples(col), index=index, dtype=object)
        else:
            columns[f] = pd.Series(_object_strings(col), index=index, dtype=object)
    frame = pd.DataFrame(columns, index=index)
    extras = [c for c in df.columns if c not in dtypes]
    if extras:
        frame = pd.concat([frame, df[extras]], axis=1)
    return frame


def _as_type_tuple(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, tuple):
        return value if all(type(v) is str for v in value) else tuple(str(v) for v in value)
    if isinstance(value, np.ndarray):
        return tuple(str(v) for v in value.tolist())
    if isinstance(value, pa.Scalar):
        value = value.as_py()
        if value is None:
            return None
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    if is_missing(value):
        return None
    raise TypeError(f"alleged_types: expected a list of types, got {type(value).__name__}")


def _type_tuples(col: pd.Series) -> np.ndarray:
    values = col.tolist()
    # A column read back from a frame already holds tuples of str: keep them as they are.
    if all(type(v) is tuple for v in values):
        return np.fromiter(values, dtype=object, count=len(values))
    return np.fromiter((_as_type_tuple(v) for v in values), dtype=object, count=len(values))


def _categorical(col: pd.Series, dtype: pd.CategoricalDtype) -> pd.Categorical:
    if isinstance(col.dtype, pd.CategoricalDtype):
        return pd.Categorical(col, dtype=dtype)
    # Look each distinct value up once instead of once per row.
    codes, uniques = pd.factorize(col.to_numpy(dtype=object), use_na_sentinel=True)
    lookup = np.append(dtype.categories.get_indexer(pd.Index(uniques, dtype=object)), -1)
    return pd.Categorical.from_codes(lookup[codes], dtype=dtype)


def _object_strings(col: pd.Series) -> np.ndarray:
    arr = col.to_numpy(dtype=object, na_value=None)
    na = pd.isna(arr)
    if na.any():
        arr = arr.copy()
        arr[na] = None
    return arr


def enum_positions(values: np.ndarray, allowed: tuple[str, ...]) -> np.ndarray:
    """Positions of ``values`` in ``allowed`` (an enum's categories); -1 for null and anything else."""
    if len(values) < 64:  # a few values (one notice): a dict beats pandas' per-call cost
        position = {a: i for i, a in enumerate(allowed)}
        try:
            return np.array([position.get(v, -1) for v in values], dtype=np.int64)
        except TypeError:  # an unhashable value: let pandas say what it makes of it
            pass
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    lookup = np.append(pd.Index(list(allowed), dtype=object).get_indexer(uniques), -1)
    return lookup[codes].astype(np.int64)
