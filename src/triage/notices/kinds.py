"""What each value of a column is (absent, null, bool, int, ...), as an int8 code per row.

The checks compare whole kind arrays at once, so the codes are plain ints: an
``IntEnum`` member would make numpy widen every comparison to int64 (~40x slower).

Two readings of "absent" (see :mod:`triage.notices.validation`): in records a
key that is not there holds ``MISSING_KEY``; in a table a null cell is absent.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

ABSENT, NULL, BOOL, INT, FLOAT, STR, ARRAY, DT_AWARE, DT_NAIVE, OTHER = range(10)

SMALL_BATCH = 64
"""Below this many rows, per-value Python beats pandas' per-call overhead (one notice: the API)."""


class _MissingKey:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<absent>"


MISSING_KEY = _MissingKey()
"""The value of a column, built from records, on the rows whose record lacks the key."""


@cache
def kind_of_type(t: type) -> int:
    """The kind of a value of type ``t``; ``DT_AWARE`` for every datetime (refine per value)."""
    if t is _MissingKey:
        return ABSENT
    if t is type(None):
        return NULL
    if issubclass(t, (bool, np.bool_)):
        return BOOL
    if issubclass(t, (int, np.integer)):
        return INT
    if issubclass(t, (float, np.floating)):
        return FLOAT
    if issubclass(t, str):
        return STR
    if issubclass(t, (list, tuple, np.ndarray)):
        return ARRAY
    if issubclass(t, datetime):
        return DT_AWARE
    return OTHER


def object_kinds(values: np.ndarray, *, table: bool) -> np.ndarray:
    """Kinds of an object array; with ``table``, NA values count as absent."""
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    if n < SMALL_BATCH:
        kinds = np.fromiter(map(kind_of_type, map(type, values)), dtype=np.int8, count=n)
    else:
        # Few distinct types per column: classify each type once.
        types = np.fromiter(map(type, values), dtype=object, count=n)
        codes, uniques = pd.factorize(types)
        kinds = np.array([kind_of_type(t) for t in uniques], dtype=np.int8)[codes]
    for i in np.flatnonzero(kinds == DT_AWARE):
        v = values[i]
        if v is pd.NaT or v.tzinfo is None or v.utcoffset() is None:
            kinds[i] = DT_NAIVE
    if table:
        kinds[pd.isna(values)] = ABSENT
    return kinds


def table_column(s: pd.Series) -> tuple[Any, np.ndarray]:
    """Values (indexable by position) and kinds of one table column; null = absent."""
    dtype = s.dtype
    n = len(s)
    na = s.isna().to_numpy()
    if isinstance(dtype, pd.DatetimeTZDtype):
        return s.array, np.where(na, ABSENT, DT_AWARE).astype(np.int8)
    if pd.api.types.is_datetime64_dtype(dtype):
        return s.array, np.where(na, ABSENT, DT_NAIVE).astype(np.int8)
    if isinstance(dtype, (pd.CategoricalDtype, pd.ArrowDtype)) or dtype == np.dtype(object):
        values = s.to_numpy(dtype=object)
        return values, object_kinds(values, table=True)
    if pd.api.types.is_bool_dtype(dtype):
        values = s.to_numpy(dtype=bool, na_value=False)
        return values, np.where(na, ABSENT, BOOL).astype(np.int8)
    if pd.api.types.is_integer_dtype(dtype):
        # uint64 beyond int64's range must stay out of range, not wrap around.
        values = s.to_numpy(dtype=np.float64 if dtype.kind == "u" else np.int64, na_value=0)
        return values, np.where(na, ABSENT, INT).astype(np.int8)
    if pd.api.types.is_float_dtype(dtype):
        values = s.to_numpy(dtype=np.float64, na_value=np.nan)
        return values, np.where(na, ABSENT, FLOAT).astype(np.int8)
    values = s.to_numpy(dtype=object)
    kinds = object_kinds(values, table=True) if n else np.zeros(0, np.int8)
    return values, kinds
