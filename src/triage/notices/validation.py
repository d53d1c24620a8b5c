"""Validation of intake notices against ``notice.schema.json``, column by column.

:func:`validate_notices` accepts exactly the rows that
``jsonschema.Draft202012Validator(schema, format_checker=FORMAT_CHECKER)``
accepts (with ``date-time`` checked as by ``rfc3339-validator``), and also
rejects every repeat of a ``notice_id`` after its first row. It checks whole
columns at once (pandas / numpy) instead of calling jsonschema per row, and
reports every problem of every bad row.

Two sources, two readings of "absent":

- JSON objects (JSON Lines, a list of dicts): JSON semantics. A key holding
  ``null`` is present: ``"region_code": null`` is an error (the field is not
  nullable) and so is ``"name": null`` (``additionalProperties: false``).
- Tables (a DataFrame, Parquet): a null cell is an absent field, since a table
  has every column for every row. An unknown column that is null on a row
  does not make that row invalid. Numpy scalars count as their Python
  counterparts, tz-aware timestamps as date-times (naive ones are errors).

Columns whose name looks like a direct identifier
(:func:`triage.contract.identifier_reason`) are refused; rows holding a value
there are rejected and the value is never shown, nor written to the rejects.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from rich.console import Console
from rich.table import Table
from rich.text import Text

from triage.contract import identifier_reason, load_schema, notice_fields
from triage.notices.missing import is_missing
from triage.notices.notice_io import (
    RFC3339_DATETIME_ANYCASE,
    RawNotices,
    RowError,
    days_in_month,
    gc_paused,
    read_notices_raw,
    to_notice_frame,
    write_records,
)

__all__ = [
    "DUPLICATE_ID",
    "IDENTIFIER_VALUE",
    "MISSING_FIELD",
    "NOT_AN_OBJECT_ROW",
    "REFUSED_COLUMN",
    "UNKNOWN_FIELD",
    "WRONG_VALUE",
    "RowError",
    "ValidationResult",
    "refused_column_message",
    "run_validate_notices",
    "validate_notices",
]

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
UNPARSED_LINE_KEY = "_unparsed_line"
"""Key of a rejects record holding a line that is not a JSON object (text withheld: null)."""

MAX_REPR = 40
MAX_PRINTED_ERRORS = 50

_ABSENT, _NULL, _BOOL, _INT, _FLOAT, _STR, _ARRAY, _DT_AWARE, _DT_NAIVE, _OTHER = range(10)


class _Absent:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<absent>"


ABSENT = _Absent()


def refused_column_message(column: str, reason: str) -> str:
    return REFUSED_COLUMN.format(column=column, reason=reason)


class _Deferred:
    """A value built on first use, after which its recipe (and what it holds) is let go."""

    __slots__ = ("_build", "_value")

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build: Callable[[], Any] | None = build
        self._value: Any = None

    def get(self) -> Any:
        if self._build is not None:
            self._value, self._build = self._build(), None
        return self._value


@dataclass(frozen=True, eq=False)
class ValidationResult:
    """What :func:`validate_notices` found.

    ``valid``: notice frame of the valid rows, in input order (fresh index),
    built on first use. ``records``: the valid notices as given (JSON objects),
    in input order, when the source was dicts or JSON Lines (``None`` for a
    table): one notice can be scored from its dict without building a frame.
    ``errors``: every problem of every bad row, by row then field.
    ``rejected``: the bad rows as records (identifier fields stripped), in row
    order; ``rejected_rows`` their row / line numbers. ``refused_columns``:
    identifier-like column -> why.
    """

    errors: list[RowError]
    rejected: list[dict[str, Any]]
    rejected_rows: list[int]
    refused_columns: dict[str, str]
    n_rows: int
    n_valid: int
    records: list[dict[str, Any]] | None = None
    _valid: _Deferred = dataclasses.field(default=None, repr=False)  # type: ignore[assignment]

    @property
    def valid(self) -> pd.DataFrame:
        return self._valid.get()

    @property
    def n_rejected(self) -> int:
        return len(self.rejected_rows)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.refused_columns


# ---------------------------------------------------------------- field specs


@dataclass(frozen=True)
class _Spec:
    field: str
    kind: str  # "string" | "integer" | "boolean" | "array"
    required: bool
    nullable: bool
    expected: str
    enum: frozenset[str] | None = None
    bounds: tuple[int, int] | None = None
    pattern: str | None = None
    datetime: bool = False
    items: frozenset[str] | None = None


@cache
def _specs() -> tuple[_Spec, ...]:
    fields = notice_fields()
    props = load_schema("notice")["properties"]
    out = []
    for f in fields.all:
        required, nullable = f in fields.required, f in fields.nullable
        or_null = " or null" if nullable else ""
        spec = props[f]
        if f in fields.enums:
            values = fields.enums[f]
            out.append(
                _Spec(
                    f,
                    "string",
                    required,
                    nullable,
                    "one of " + ", ".join(values) + or_null,
                    enum=frozenset(values),
                )
            )
        elif f in fields.booleans:
            expected = "true, false or null" if nullable else "true or false"
            out.append(_Spec(f, "boolean", required, nullable, expected))
        elif f in fields.integers:
            lo, hi = fields.integers[f]
            out.append(
                _Spec(
                    f,
                    "integer",
                    required,
                    nullable,
                    f"an integer {lo}–{hi}{or_null}",
                    bounds=(lo, hi),
                )
            )
        elif f in fields.datetimes:
            expected = (
                "a date-time with offset (RFC 3339, e.g. 2023-04-03T09:15:00+09:00)" + or_null
            )
            out.append(_Spec(f, "string", required, nullable, expected, datetime=True))
        elif spec.get("type") == "array":
            items = tuple(spec["items"]["enum"])
            expected = "a non-empty list of distinct types from " + ", ".join(items)
            out.append(_Spec(f, "array", required, nullable, expected, items=frozenset(items)))
        elif f in fields.patterns:
            pattern = fields.patterns[f]
            out.append(
                _Spec(
                    f,
                    "string",
                    required,
                    nullable,
                    f"a string matching {pattern}{or_null}",
                    pattern=pattern,
                )
            )
        else:
            out.append(_Spec(f, "string", required, nullable, "a string" + or_null))
    return tuple(out)


# ---------------------------------------------------------------- value kinds


@cache
def _kind_of_type(t: type) -> int:
    if t is _Absent:
        return _ABSENT
    if t is type(None):
        return _NULL
    if issubclass(t, (bool, np.bool_)):
        return _BOOL
    if issubclass(t, (int, np.integer)):
        return _INT
    if issubclass(t, (float, np.floating)):
        return _FLOAT
    if issubclass(t, str):
        return _STR
    if issubclass(t, (list, tuple, np.ndarray)):
        return _ARRAY
    if issubclass(t, datetime):
        return _DT_AWARE  # refined per value below
    return _OTHER


_SMALL = 64
"""Below this many rows, per-value Python beats pandas' per-call overhead (one notice: the API)."""


def _object_kinds(values: np.ndarray, *, table: bool) -> np.ndarray:
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    if n < _SMALL:
        kinds = np.fromiter((_kind_of_type(type(v)) for v in values), dtype=np.int8, count=n)
    else:
        types = np.fromiter(map(type, values), dtype=object, count=n)
        codes, uniques = pd.factorize(types)
        kinds = np.array([_kind_of_type(t) for t in uniques], dtype=np.int8)[codes]
    for i in np.flatnonzero(kinds == _DT_AWARE):
        v = values[i]
        if v is pd.NaT or v.tzinfo is None or v.utcoffset() is None:
            kinds[i] = _DT_NAIVE
    if table:
        kinds[pd.isna(values)] = _ABSENT
    return kinds


def _table_column(s: pd.Series) -> tuple[Any, np.ndarray]:
    """Values (indexable by position) and kinds of one table column; null = absent."""
    dtype = s.dtype
    n = len(s)
    na = s.isna().to_numpy()
    if isinstance(dtype, pd.DatetimeTZDtype):
        return s.array, np.where(na, _ABSENT, _DT_AWARE).astype(np.int8)
    if pd.api.types.is_datetime64_dtype(dtype):
        return s.array, np.where(na, _ABSENT, _DT_NAIVE).astype(np.int8)
    if isinstance(dtype, (pd.CategoricalDtype, pd.ArrowDtype)) or dtype == np.dtype(object):
        values = s.to_numpy(dtype=object)
        return values, _object_kinds(values, table=True)
    if pd.api.types.is_bool_dtype(dtype):
        values = s.to_numpy(dtype=bool, na_value=False)
        return values, np.where(na, _ABSENT, _BOOL).astype(np.int8)
    if pd.api.types.is_integer_dtype(dtype):
        values = s.to_numpy(dtype=np.float64 if dtype.kind == "u" else np.int64, na_value=0)
        return values, np.where(na, _ABSENT, _INT).astype(np.int8)
    if pd.api.types.is_float_dtype(dtype):
        values = s.to_numpy(dtype=np.float64, na_value=np.nan)
        return values, np.where(na, _ABSENT, _FLOAT).astype(np.int8)
    values = s.to_numpy(dtype=object)
    kinds = _object_kinds(values, table=True) if n else np.zeros(0, np.int8)
    return values, kinds


# ---------------------------------------------------------------- checks


def _integers_ok(sub: Any, kind: int, lo: int, hi: int) -> np.ndarray:
    arr = np.asarray(sub)
    if arr.dtype.kind in "iu":
        return (arr >= lo) & (arr <= hi)
    if kind == _FLOAT or arr.dtype.kind == "f":
        f = arr.astype(np.float64)
        with np.errstate(invalid="ignore"):
            return np.isfinite(f) & (f == np.floor(f)) & (f >= lo) & (f <= hi)
    return np.fromiter((lo <= v <= hi for v in arr), dtype=bool, count=len(arr))


def _datetime_ok(text: str) -> bool:
    """RFC 3339 date-time check as ``rfc3339-validator`` does it on ``text.upper()``."""
    m = RFC3339_DATETIME_ANYCASE.match(text)
    if m is None:
        return False
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    return year > 0 and 1 <= day <= days_in_month(year, month)


def _datetimes_ok(sub: np.ndarray) -> np.ndarray:
    return np.fromiter(map(_datetime_ok, sub), dtype=bool, count=len(sub))


def _types_ok(value: Any, allowed: frozenset[str]) -> bool:
    items = value.tolist() if isinstance(value, np.ndarray) else list(value)
    if not items:
        return False
    if not all(isinstance(x, str) and x in allowed for x in items):
        return False
    return len(set(items)) == len(items)


def _check_field(spec: _Spec, values: Any, kinds: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows whose value of ``spec.field`` is valid."""
    ok = np.zeros(len(kinds), dtype=bool)
    if not spec.required:
        ok |= kinds == _ABSENT
    if spec.nullable:
        ok |= kinds == _NULL
    if spec.kind == "boolean":
        ok |= kinds == _BOOL
    elif spec.kind == "integer":
        lo, hi = spec.bounds
        for kind in (_INT, _FLOAT):
            idx = np.flatnonzero(kinds == kind)
            if len(idx):
                ok[idx] = _integers_ok(values[idx], kind, lo, hi)
    elif spec.kind == "array":
        idx = np.flatnonzero(kinds == _ARRAY)
        allowed = spec.items
        ok[idx] = np.fromiter(
            (_types_ok(values[i], allowed) for i in idx), dtype=bool, count=len(idx)
        )
    else:
        idx = np.flatnonzero(kinds == _STR)
        if len(idx):
            sub = np.asarray(values[idx], dtype=object)
            if spec.enum is not None and len(sub) < _SMALL:
                ok[idx] = np.fromiter((v in spec.enum for v in sub), dtype=bool, count=len(sub))
            elif spec.enum is not None:
                ok[idx] = pd.Series(sub, dtype=object).isin(spec.enum).to_numpy()
            elif spec.pattern is not None:
                search = re.compile(spec.pattern).search
                ok[idx] = np.fromiter(
                    (search(v) is not None for v in sub), dtype=bool, count=len(sub)
                )
            elif spec.datetime:
                ok[idx] = _datetimes_ok(sub)
            else:
                ok[idx] = True
        if spec.datetime:
            ok |= kinds == _DT_AWARE
    return ok


def _short(text: str) -> str:
    return text if len(text) <= MAX_REPR else text[: MAX_REPR - 1] + "…"


def _got(value: Any, kind: int) -> str:
    """A short rendering of an offending value, JSON-like."""
    if kind == _NULL:
        return "null"
    if kind == _DT_NAIVE:
        if value is pd.NaT:
            return "NaT"
        return _short(f"{value.isoformat()} (no offset)")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, datetime):
        return _short(value.isoformat())
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return _short(text)


# ---------------------------------------------------------------- sources


@dataclass
class _Batch:
    """Columns of a batch ready to check: values and kinds per column name."""

    n: int
    names: list[str]
    table: bool
    frame: pd.DataFrame | None
    records: list[dict[str, Any]] | None
    row_numbers: np.ndarray
    extra_errors: list[tuple[int, RowError]]  # (row number, error) for rows not in the batch
    extra_rejected: list[tuple[int, dict[str, Any]]]
    _cache: dict[str, tuple[Any, np.ndarray]]
    record_columns: dict[str, np.ndarray] | None = None

    def column(self, name: str) -> tuple[Any, np.ndarray]:
        if name not in self._cache:
            if self.table:
                self._cache[name] = _table_column(self.frame[name])
            else:
                values = self.record_columns[name]
                self._cache[name] = (values, _object_kinds(values, table=False))
        return self._cache[name]

    def present(self, name: str) -> np.ndarray:
        if self.table:
            return self.frame[name].notna().to_numpy()
        values = self.record_columns[name]
        return np.fromiter((v is not ABSENT for v in values), dtype=bool, count=self.n)


def _record_columns(records: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Column arrays (``ABSENT`` where a record lacks the key) from dicts.

    Records sharing the same keys in the same order (the usual case) are
    transposed together with ``zip``, without a ``dict.get`` per cell.
    """
    n = len(records)
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, rec in enumerate(records):
        groups.setdefault(tuple(rec), []).append(i)
    columns: dict[str, np.ndarray] = {}
    for keys, positions in groups.items():
        if not keys:
            continue
        rows = [tuple(records[i].values()) for i in positions]
        idx = np.asarray(positions, dtype=np.int64)
        for key, col in zip(keys, zip(*rows, strict=True), strict=True):
            target = columns.get(key)
            if target is None:
                target = columns[key] = np.full(n, ABSENT, dtype=object)
            target[idx] = np.fromiter(col, dtype=object, count=len(col))
    return columns


def _table_batch(frame: pd.DataFrame, row_numbers: np.ndarray | None = None) -> _Batch:
    if frame.columns.duplicated().any():
        dup = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise ValueError(f"duplicated column names: {dup}")
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    n = len(frame)
    numbers = np.arange(1, n + 1) if row_numbers is None else row_numbers
    return _Batch(n, list(frame.columns), True, frame, None, numbers, [], [], {})


def _records_batch(records: Sequence[Any], row_numbers: np.ndarray | None = None) -> _Batch:
    numbers = np.arange(1, len(records) + 1) if row_numbers is None else np.asarray(row_numbers)
    dicts, keep, extra_errors, extra_rejected = [], [], [], []
    for i, rec in enumerate(records):
        if isinstance(rec, Mapping):
            dicts.append(rec if isinstance(rec, dict) else dict(rec))
            keep.append(i)
        else:
            number = int(numbers[i])
            got = _got(rec, _STR if isinstance(rec, str) else _OTHER)
            extra_errors.append(
                (number, RowError(number, None, None, NOT_AN_OBJECT_ROW.format(got=got)))
            )
            text = json.dumps(rec, ensure_ascii=False, default=str)
            extra_rejected.append((number, {UNPARSED_LINE_KEY: _withhold(text)}))
    columns = _record_columns(dicts)
    contract = notice_fields().all
    ordered = [f for f in contract if f in columns] + sorted(
        str(k) for k in columns if k not in contract
    )
    if any(not isinstance(k, str) for k in columns):
        columns = {str(k): v for k, v in columns.items()}
    return _Batch(
        len(dicts),
        ordered,
        False,
        None,
        dicts,
        numbers[keep],
        extra_errors,
        extra_rejected,
        {},
        columns,
    )


_JSON_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')


def _withhold(text: str) -> str | None:
    """The raw text of a bad line, or None when it names an identifier-like field."""
    for key in _JSON_KEY.findall(text):
        with contextlib.suppress(ValueError):
            key = json.loads(f'"{key}"')
        if identifier_reason(key) is not None:
            return None
    return text


# ---------------------------------------------------------------- validation


def _plain_cell(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def validate_notices(
    source: pd.DataFrame | str | os.PathLike[str] | Sequence[Mapping[str, Any]],
) -> ValidationResult:
    """Validate a batch of notices: a DataFrame, a ``.parquet`` / ``.jsonl`` path, or dicts.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for an
    unsupported one.
    """
    with gc_paused():
        return _validate(_batch_of(source))


def _batch_of(source: Any) -> _Batch:
    if isinstance(source, pd.DataFrame):
        batch = _table_batch(source)
    elif isinstance(source, (str, os.PathLike)):
        raw = read_notices_raw(Path(source))
        batch = _raw_batch(raw)
    elif isinstance(source, RawNotices):
        batch = _raw_batch(source)
    else:
        batch = _records_batch(list(source))
    return batch


def _raw_batch(raw: RawNotices) -> _Batch:
    if raw.frame is not None:
        batch = _table_batch(raw.frame, raw.row_numbers)
    else:
        batch = _records_batch(raw.records, raw.row_numbers)
    for error in raw.errors:
        batch.extra_errors.append((error.row, error))
        text = raw.bad_lines.get(error.row)
        batch.extra_rejected.append(
            (error.row, {UNPARSED_LINE_KEY: None if text is None else _withhold(text)})
        )
    return batch


def _validate(batch: _Batch) -> ValidationResult:
    contract = notice_fields().all
    found: list[tuple[int, int, str | None, str]] = []  # (position, order, field, message)
    order = 0
    names = set(batch.names)
    for spec in _specs():
        order += 1
        if spec.field not in names:
            if spec.required:
                found.extend(
                    (p, order, spec.field, MISSING_FIELD.format(field=spec.field))
                    for p in range(batch.n)
                )
            continue
        values, kinds = batch.column(spec.field)
        ok = _check_field(spec, values, kinds)
        for p in np.flatnonzero(~ok):
            kind = int(kinds[p])
            if kind == _ABSENT:
                message = MISSING_FIELD.format(field=spec.field)
            else:
                message = WRONG_VALUE.format(
                    field=spec.field, expected=spec.expected, got=_got(values[p], kind)
                )
            found.append((int(p), order, spec.field, message))

    refused: dict[str, str] = {}
    for name in batch.names:
        if name in contract:
            continue
        order += 1
        reason = identifier_reason(name)
        present = np.flatnonzero(batch.present(name))
        if reason is not None:
            refused[name] = reason
            message = IDENTIFIER_VALUE.format(field=name, reason=reason)
        else:
            message = UNKNOWN_FIELD.format(field=name)
        found.extend((int(p), order, name, message) for p in present)

    ids: Any = None
    id_kinds = np.zeros(batch.n, dtype=np.int8)
    if "notice_id" in names:
        ids, id_kinds = batch.column("notice_id")
        is_str = np.flatnonzero(id_kinds == _STR)
        if len(is_str) > 1:  # one id cannot repeat
            id_series = pd.Series(np.asarray(ids[is_str], dtype=object), index=is_str)
            dup = id_series.duplicated(keep="first").to_numpy()
            if dup.any():
                order += 1
                firsts = id_series[~dup]
                first_of = dict(zip(firsts.to_numpy(), firsts.index, strict=True))
                for p, value in id_series[dup].items():
                    first_row = int(batch.row_numbers[first_of[value]])
                    found.append(
                        (
                            int(p),
                            order,
                            "notice_id",
                            DUPLICATE_ID.format(got=_got(value, _STR), first=first_row),
                        )
                    )

    found.sort(key=lambda t: (t[0], t[1]))

    def notice_id_at(p: int) -> str | None:
        if ids is None or id_kinds[p] != _STR:
            return None
        value = str(ids[p])
        return value if len(value) <= 64 else _short(value)

    row_errors: list[tuple[int, RowError]] = [
        (
            int(batch.row_numbers[p]),
            RowError(int(batch.row_numbers[p]), notice_id_at(p), field, message),
        )
        for p, _, field, message in found
    ]
    bad_positions = sorted({p for p, *_ in found})
    bad_mask = np.zeros(batch.n, dtype=bool)
    bad_mask[bad_positions] = True
    valid_positions = np.flatnonzero(~bad_mask)

    rejected = [
        (int(batch.row_numbers[p]), rec)
        for p, rec in zip(
            bad_positions, _rejected_records(batch, bad_positions, refused), strict=True
        )
    ]
    rejected.extend(batch.extra_rejected)
    rejected.sort(key=lambda t: t[0])
    errors = row_errors + batch.extra_errors
    errors.sort(key=lambda t: t[0])  # stable: keeps the field order within a row

    return ValidationResult(
        errors=[e for _, e in errors],
        rejected=[r for _, r in rejected],
        rejected_rows=[n for n, _ in rejected],
        refused_columns=refused,
        n_rows=batch.n + len(batch.extra_errors),
        n_valid=len(valid_positions),
        records=None if batch.table else [batch.records[p] for p in valid_positions.tolist()],
        _valid=_Deferred(lambda: _valid_frame_gc_paused(batch, valid_positions)),
    )


def _rejected_records(
    batch: _Batch, positions: list[int], refused: Mapping[str, str]
) -> list[dict[str, Any]]:
    if not positions:
        return []
    if batch.table:
        keep = [c for c in batch.frame.columns if c not in refused]
        rows = batch.frame.iloc[positions][keep].to_dict("records")
        return [
            {str(k): _plain_cell(v) for k, v in row.items() if not is_missing(v)} for row in rows
        ]
    return [{k: v for k, v in batch.records[p].items() if k not in refused} for p in positions]


def _valid_frame_gc_paused(batch: _Batch, positions: np.ndarray) -> pd.DataFrame:
    with gc_paused():
        return _valid_frame(batch, positions)


def _valid_frame(batch: _Batch, positions: np.ndarray) -> pd.DataFrame:
    contract = notice_fields().all
    if batch.table:
        keep = [c for c in batch.frame.columns if c in contract]
        frame = batch.frame.iloc[positions][keep].reset_index(drop=True)
        return to_notice_frame(frame)
    columns: dict[str, Any] = {}
    for f in contract:
        if f not in batch.names:
            continue
        values, kinds = batch.column(f)
        col = values[positions].copy()
        col[kinds[positions] == _ABSENT] = None
        columns[f] = pd.Series(col, dtype=object)
    frame = pd.DataFrame(columns, index=pd.RangeIndex(len(positions)))
    return to_notice_frame(frame)


# ---------------------------------------------------------------- CLI


def run_validate_notices(
    path: str | os.PathLike[str], *, rejects: Path | None, console: Console
) -> int:
    """Validate a notice file for the CLI; exit code 0 all valid, 1 rows rejected or
    columns refused, 2 file missing or unreadable."""
    path = Path(path)
    if rejects is not None and Path(rejects).suffix.lower() not in (".jsonl", ".parquet"):
        console.print(Text(f"error: rejects file must end in .jsonl or .parquet: {rejects}"))
        return 2
    try:
        result = validate_notices(path)
    except FileNotFoundError:
        console.print(Text(f"error: no such file: {path}", style="red"))
        return 2
    except (OSError, ValueError, pa.ArrowException) as exc:
        console.print(Text(f"error: cannot read {path}: {_short(str(exc))}", style="red"))
        return 2

    console.print(
        Text(f"{path}: {result.n_rows} rows, {result.n_valid} valid, {result.n_rejected} rejected")
    )
    for column, reason in result.refused_columns.items():
        console.print(Text(refused_column_message(column, reason), style="red"))
    if result.errors:
        table = Table(title="Errors", show_lines=False)
        for header in ("row", "notice_id", "field", "message"):
            table.add_column(header)
        for error in result.errors[:MAX_PRINTED_ERRORS]:
            table.add_row(
                str(error.row),
                Text(error.notice_id or ""),
                Text(error.field or ""),
                Text(error.message),
            )
        console.print(table)
        more = len(result.errors) - MAX_PRINTED_ERRORS
        if more > 0:
            console.print(Text(f"… and {more} more"))
    if rejects is not None:
        write_records(result.rejected, rejects)
        console.print(Text(f"wrote {result.n_rejected} rejected rows to {rejects}"))
    return 0 if result.ok else 1
