"""Reading and writing notice files, and the in-memory notice frame.

A notice frame (see :mod:`triage.contract`) holds every field of
``notice.schema.json`` as a column, in schema order, with these dtypes
(:func:`notice_dtypes`):

- enum fields: ``pd.CategoricalDtype(categories=<schema enum>, ordered=False)``;
- boolean risk factors: nullable ``"boolean"`` (``<NA>`` = not known at intake);
- integer fields: nullable ``"Int64"`` (``<NA>`` = absent);
- ``received_at`` / ``safety_confirmed_at``: ``datetime64[us, Asia/Tokyo]``.
  Offsets given in a file are kept as instants and shown in Japan time;
  microsecond resolution covers every RFC 3339 year (0001-9999), finer
  fractions are truncated;
- ``alleged_types``: ``object`` column holding one tuple of str per row;
- ``notice_id`` / ``region_code``: ``object`` columns of Python ``str``
  (``None`` when absent). Not pandas' ``str`` dtype: LightGBM refuses it.

Files: Parquet (``.parquet``) or JSON Lines (``.jsonl``; ``.json`` is read as
JSON Lines too). Writers are byte-deterministic for the same frame. Reading
(:func:`read_notices_raw`) does not validate; see :mod:`triage.notices.validation`.
"""

from __future__ import annotations

import gc
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from triage.contract import load_schema, notice_fields
from triage.notices.missing import is_missing

__all__ = [
    "NOT_JSON",
    "NOT_AN_OBJECT",
    "TIMEZONE",
    "RawNotices",
    "RowError",
    "format_datetimes",
    "notice_dtypes",
    "parse_datetimes",
    "read_notices_raw",
    "to_notice_frame",
    "write_notices",
    "write_records",
    "write_table",
]

TIMEZONE = "Asia/Tokyo"
"""Time zone of the datetime columns of a notice frame."""

DATETIME_UNIT = "us"

NOT_JSON = "line is not valid JSON: {reason}"
NOT_AN_OBJECT = "line is not a JSON object, got {got}"

NOTICE_SUFFIXES = (".parquet", ".jsonl", ".json")

_JSONL_CHUNK = 50_000
_JSON_TYPE_NAMES = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}
_SAFE_STRING = re.compile(r"[A-Za-z0-9_-]*")

# RFC 3339 date-time as checked by jsonschema's "date-time" format (through
# rfc3339-validator): applied to the upper-cased string, ASCII digits only.
RFC3339_DATETIME = re.compile(
    r"^([0-9]{4})-(0[1-9]|1[0-2])-([0-9]{2})"
    r"T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])(\.[0-9]+)?"
    r"(Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$",
    re.ASCII,
)
RFC3339_DATETIME_ANYCASE = re.compile(
    RFC3339_DATETIME.pattern.replace("T(", "[Tt](").replace("(Z|", "([Zz]|"), re.ASCII
)
"""``RFC3339_DATETIME`` for strings not upper-cased first (only ``T`` and ``Z`` change)."""


@dataclass(frozen=True)
class RowError:
    """One problem of one row: ``row`` is the 1-based line (JSONL) or row (table) number."""

    row: int
    notice_id: str | None
    field: str | None
    message: str


@dataclass(frozen=True)
class RawNotices:
    """A notice file as read, not yet validated.

    JSON Lines give ``records`` (one dict per well-formed object line); Parquet
    gives ``frame``. ``row_numbers[i]`` is the 1-based line (JSONL) or row
    (Parquet) number of record/row ``i``. Lines that are not JSON objects are
    left out of ``records`` and reported in ``errors``, their text in
    ``bad_lines`` (line number -> text).
    """

    path: Path
    records: list[dict[str, Any]] | None = None
    frame: pd.DataFrame | None = None
    row_numbers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    errors: tuple[RowError, ...] = ()
    bad_lines: Mapping[int, str] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        n = len(self.records) if self.records is not None else len(self.frame)
        return n + len(self.errors)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects.

    Parsing 200k JSON lines creates millions of containers; each collection
    would walk all of them again. Nothing built here holds a reference cycle.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# ---------------------------------------------------------------- dtypes


@cache
def _array_item_enum(field_name: str) -> tuple[str, ...]:
    return tuple(load_schema("notice")["properties"][field_name]["items"]["enum"])


@cache
def _string_fields() -> tuple[str, ...]:
    fields = notice_fields()
    props = load_schema("notice")["properties"]
    return tuple(
        f
        for f in fields.all
        if props[f].get("type") == "string" and f not in fields.enums and f not in fields.datetimes
    )


@cache
def _array_fields() -> tuple[str, ...]:
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


# ---------------------------------------------------------------- datetimes


def rfc3339_instant(text: str) -> np.datetime64 | None:
    """UTC instant of one RFC 3339 string (microseconds), or None if it is not one."""
    m = RFC3339_DATETIME.match(text.upper())
    if m is None:
        return None
    year, month, day, hh, mm, ss, frac, offset = m.groups()
    y, mo, d = int(year), int(month), int(day)
    if y == 0 or not 1 <= d <= days_in_month(y, mo):
        return None
    base = np.datetime64(f"{year}-{month}-{day}T{hh}:{mm}:{ss}", DATETIME_UNIT)
    micros = int((frac[1:] + "000000")[:6]) if frac else 0
    shift = 0
    if offset != "Z":
        sign = 1 if offset[0] == "+" else -1
        shift = sign * (int(offset[1:3]) * 60 + int(offset[4:6]))
    return base + np.timedelta64(micros, "us") - np.timedelta64(shift, "m")


def days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def parse_datetimes(values: pd.Series) -> pd.Series:
    """Tz-aware ``datetime64[us, Asia/Tokyo]`` from RFC 3339 strings, datetimes or NA.

    Strings must be RFC 3339 with an offset (see :mod:`triage.notices.validation`);
    anything else becomes NaT. Naive datetime64 columns raise ``ValueError``.
    """
    s = pd.Series(values).reset_index(drop=True)
    dtype = s.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        out = s.dt.tz_convert(TIMEZONE).dt.as_unit(DATETIME_UNIT)
    elif pd.api.types.is_datetime64_dtype(dtype):
        if s.notna().any():
            raise ValueError("naive datetimes have no offset; a notice time needs one")
        out = pd.Series(pd.NaT, index=s.index, dtype=pd.DatetimeTZDtype(DATETIME_UNIT, TIMEZONE))
    else:
        obj = s.astype(object)
        is_str = np.fromiter((isinstance(v, str) for v in obj), bool, len(obj))
        strings = obj[is_str]
        parsed = pd.Series(pd.NaT, index=s.index, dtype=f"datetime64[{DATETIME_UNIT}, UTC]")
        if len(strings):
            got = pd.to_datetime(strings, utc=True, format="ISO8601", errors="coerce")
            parsed[is_str] = got.dt.as_unit(DATETIME_UNIT)
            match = RFC3339_DATETIME_ANYCASE.match
            strict = np.fromiter((match(t) is not None for t in strings), bool, len(strings))
            positions = np.flatnonzero(is_str)
            redo = positions[~strict | got.isna().to_numpy()]
            if len(redo):
                micros = (
                    parsed.dt.tz_localize(None).to_numpy().astype(f"datetime64[{DATETIME_UNIT}]")
                )
                for p in redo:
                    inst = rfc3339_instant(obj.iloc[p])
                    micros[p] = np.datetime64("NaT") if inst is None else inst
                parsed = pd.Series(pd.DatetimeIndex(micros).tz_localize("UTC"), index=s.index)
        others = ~is_str & obj.notna().to_numpy()
        if others.any():
            rest = pd.to_datetime(obj[others], utc=True, errors="coerce")
            parsed[others] = rest.dt.as_unit(DATETIME_UNIT)
        out = parsed.dt.tz_convert(TIMEZONE)
    out.index = pd.Series(values).index
    return out


def format_datetimes(values: pd.Series) -> np.ndarray:
    """ISO 8601 strings with seconds and offset (``2023-04-03T09:15:00+09:00``), None for NaT.

    Wall time and offset are those of the column's time zone. Fractions of a second are written (6 digits) only when non-zero. Vectorised.
    """
    s = pd.Series(values)
    if not isinstance(s.dtype, pd.DatetimeTZDtype):
        s = parse_datetimes(s)
    s = s.dt.as_unit(DATETIME_UNIT)
    na = s.isna().to_numpy()
    local = s.dt.tz_localize(None).to_numpy().astype("datetime64[us]")
    utc = s.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[us]")
    out = np.full(len(s), None, dtype=object)
    if na.all():
        return out
    local_ok, utc_ok = local[~na], utc[~na]
    base = np.datetime_as_string(local_ok.astype("datetime64[s]"), unit="s").astype(object)
    micros = (local_ok - local_ok.astype("datetime64[s]")).astype(np.int64)
    frac = np.full(len(base), "", dtype=object)
    has_frac = micros != 0
    if has_frac.any():
        frac[has_frac] = np.array([f".{m:06d}" for m in micros[has_frac]], dtype=object)
    minutes = ((local_ok - utc_ok) // np.timedelta64(1, "m")).astype(np.int64)
    codes, uniques = pd.factorize(minutes)
    offsets = np.array([_offset_text(int(m)) for m in uniques], dtype=object)[codes]
    out[~na] = base + frac + offsets
    return out


def _offset_text(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


# ---------------------------------------------------------------- notice frame


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
    if all(type(v) is tuple for v in values):
        return np.fromiter(values, dtype=object, count=len(values))
    return np.fromiter((_as_type_tuple(v) for v in values), dtype=object, count=len(values))


def _categorical(col: pd.Series, dtype: pd.CategoricalDtype) -> pd.Categorical:
    if isinstance(col.dtype, pd.CategoricalDtype):
        return pd.Categorical(col, dtype=dtype)
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
        elif f in _array_fields():
            columns[f] = pd.Series(_type_tuples(col), index=index, dtype=object)
        else:
            columns[f] = pd.Series(_object_strings(col), index=index, dtype=object)
    frame = pd.DataFrame(columns, index=index)
    extras = [c for c in df.columns if c not in dtypes]
    if extras:
        frame = pd.concat([frame, df[extras]], axis=1)
    return frame


# ---------------------------------------------------------------- writing


def _atomic_write(path: Path, write: Any) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _check_notice_columns(frame: pd.DataFrame) -> None:
    extras = [c for c in frame.columns if c not in notice_fields().all]
    if extras:
        raise ValueError(
            f"a notice file holds only the fields of notice.schema.json; "
            f"drop {extras!r} or write them with write_table"
        )


def _notice_arrow_table(frame: pd.DataFrame) -> pa.Table:
    fields = notice_fields()
    arrays, schema_fields = [], []
    for f in fields.all:
        s = frame[f]
        if f in fields.enums:
            codes = s.cat.codes.to_numpy()
            dictionary = pa.array(list(s.cat.categories), type=pa.string())
            arr = dictionary.take(pa.array(codes, mask=codes < 0, type=pa.int32()))
        elif f in fields.booleans:
            arr = pa.array(s.to_numpy(dtype=bool, na_value=False), mask=s.isna().to_numpy())
        elif f in fields.integers:
            arr = pa.array(
                s.to_numpy(dtype=np.int64, na_value=0), mask=s.isna().to_numpy(), type=pa.int64()
            )
        elif f in fields.datetimes:
            utc = s.dt.tz_convert("UTC").dt.tz_localize(None).dt.as_unit(DATETIME_UNIT)
            arr = pa.array(
                utc.to_numpy(dtype=f"datetime64[{DATETIME_UNIT}]"),
                mask=s.isna().to_numpy(),
                type=pa.timestamp(DATETIME_UNIT, tz=TIMEZONE),
            )
        elif f in _array_fields():
            codes, uniques = pd.factorize(s, use_na_sentinel=True)
            lists = pa.array([list(u) for u in uniques], type=pa.list_(pa.string()))
            arr = lists.take(pa.array(codes, mask=codes < 0, type=pa.int32()))
        else:
            arr = pa.array(s.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        arrays.append(arr)
        schema_fields.append(pa.field(f, arr.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(schema_fields))


def _json_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _jsonl_pieces(frame: pd.DataFrame) -> list[np.ndarray]:
    """Per field, the text ``,"field":value`` of each row ("" when the field is omitted)."""
    fields = notice_fields()
    general = (frame["notice_kind"] == "general").fillna(False).to_numpy(dtype=bool)
    nullable = set(fields.nullable)
    pieces: list[np.ndarray] = []
    for f in fields.all:
        s = frame[f]
        key = f',"{f}":'
        na = s.isna().to_numpy()
        null_piece = key + "null" if f in nullable else ""
        if f in fields.enums or f in fields.booleans or f in fields.integers:
            codes, uniques = pd.factorize(s, use_na_sentinel=True)
            table = [key + json.dumps(_plain(u), ensure_ascii=False) for u in uniques]
            piece = np.array([*table, null_piece], dtype=object)[codes]
            if f in fields.dv_only and null_piece:
                piece[na & general] = ""
        elif f in fields.datetimes:
            text = format_datetimes(s)
            piece = np.full(len(s), null_piece, dtype=object)
            piece[~na] = key + '"' + text[~na] + '"'
        elif f in _array_fields():
            codes, uniques = pd.factorize(s, use_na_sentinel=True)
            table = [
                key + json.dumps(list(u), ensure_ascii=False, separators=(",", ":"))
                for u in uniques
            ]
            piece = np.array([*table, null_piece], dtype=object)[codes]
        else:
            values = s.to_numpy(dtype=object)
            piece = np.full(len(s), null_piece, dtype=object)
            present = values[~na]
            if all(_SAFE_STRING.fullmatch(v) for v in present):
                piece[~na] = key + '"' + present + '"'
            else:
                piece[~na] = np.array([key + _json_string(v) for v in present], dtype=object)
        pieces.append(piece)
    return pieces


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_notices(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a notice frame to ``.parquet`` or ``.jsonl`` (by suffix); byte-deterministic.

    Parquet: strings, ``int64``, ``bool``, ``timestamp[us, tz=Asia/Tokyo]``,
    ``alleged_types`` as ``list<string>``. JSON Lines: one object per line,
    keys in schema order, UTF-8; unknown booleans and a missing
    ``safety_confirmed_at`` are ``null``; NA values of non-nullable optional
    fields (e.g. ``dv_repeat_count`` on general notices) and unknown dv-only
    booleans on general notices are omitted.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".jsonl"):
        raise ValueError(f"cannot write notices to {path.name!r}: use .parquet or .jsonl")
    _check_notice_columns(frame)
    frame = to_notice_frame(frame).reset_index(drop=True)
    if suffix == ".parquet":
        table = _notice_arrow_table(frame)
        _atomic_write(path, lambda p: pq.write_table(table, p, compression="zstd"))
        return path

    def write_jsonl(p: Path) -> None:
        with open(p, "wb") as fh:
            for start in range(0, len(frame), _JSONL_CHUNK):
                chunk = frame.iloc[start : start + _JSONL_CHUNK]
                lines = [
                    "{" + "".join(t)[1:] + "}\n" for t in zip(*_jsonl_pieces(chunk), strict=True)
                ]
                fh.write("".join(lines).encode("utf-8"))

    _atomic_write(path, write_jsonl)
    return path


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (np.ndarray, tuple)):
        return list(value.tolist() if isinstance(value, np.ndarray) else value)
    if isinstance(value, pd.Timestamp):
        if value is pd.NaT:
            return None
        return value.isoformat()
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if value is pd.NA:
        return None
    if isinstance(value, pa.Scalar):
        return value.as_py()
    return str(value)


def _plain_columns(frame: pd.DataFrame) -> dict[str, list[Any]]:
    """Each column as a list of JSON-ready Python values (None for NA)."""
    out: dict[str, list[Any]] = {}
    for c in frame.columns:
        s = frame[c]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[str(c)] = format_datetimes(s).tolist()
        elif pd.api.types.is_datetime64_dtype(s.dtype):
            text = np.datetime_as_string(s.to_numpy(), unit="auto").astype(object)
            text[s.isna().to_numpy()] = None
            out[str(c)] = text.tolist()
        else:
            values = s.to_numpy(dtype=object)
            na = pd.isna(values)
            if na.any():
                values = values.copy()
                values[na] = None
            out[str(c)] = [_plain(v) for v in values]
    return out


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a plain table (e.g. a truth table) to ``.parquet``, ``.jsonl`` or ``.csv``.

    Datetimes are written as ISO 8601 with offset in JSON Lines and CSV; list
    cells as JSON arrays in CSV. The index is not written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        plain = frame.reset_index(drop=True).copy()
        for c in plain.columns:
            if plain[c].dtype == object and any(isinstance(v, tuple) for v in plain[c]):
                plain[c] = pd.Series(
                    [list(v) if isinstance(v, tuple) else v for v in plain[c]], dtype=object
                )
        table = pa.Table.from_pandas(plain, preserve_index=False)
        _atomic_write(path, lambda p: pq.write_table(table, p, compression="zstd"))
    elif suffix == ".jsonl":
        cols = _plain_columns(frame)
        names = list(cols)

        def write_jsonl(p: Path) -> None:
            with open(p, "w", encoding="utf-8", newline="\n") as fh:
                for row in zip(*cols.values(), strict=True):
                    fh.write(
                        json.dumps(
                            dict(zip(names, row, strict=True)),
                            ensure_ascii=False,
                            default=_json_default,
                        )
                        + "\n"
                    )

        _atomic_write(path, write_jsonl)
    elif suffix == ".csv":
        cols = _plain_columns(frame)
        for name, values in cols.items():
            if any(isinstance(v, (list, tuple, np.ndarray)) for v in values):
                cols[name] = [
                    None if v is None else json.dumps(_json_default(v), ensure_ascii=False)
                    for v in values
                ]
        plain = pd.DataFrame(cols, columns=list(cols))
        _atomic_write(
            path, lambda p: plain.to_csv(p, index=False, lineterminator="\n", encoding="utf-8")
        )
    else:
        raise ValueError(f"cannot write a table to {path.name!r}: use .parquet, .jsonl or .csv")
    return path


def write_records(records: Iterable[Mapping[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write loose records (e.g. rejected rows) to ``.jsonl`` or ``.parquet``.

    Keys are written as they come; values that do not fit one Parquet type per
    column are stored there as JSON text.
    """
    path = Path(path)
    records = list(records)
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json"):

        def write_jsonl(p: Path) -> None:
            with open(p, "w", encoding="utf-8", newline="\n") as fh:
                for rec in records:
                    fh.write(json.dumps(rec, ensure_ascii=False, default=_json_default) + "\n")

        _atomic_write(path, write_jsonl)
    elif suffix == ".parquet":
        contract = notice_fields().all
        keys: dict[str, None] = {}
        for rec in records:
            keys.update(dict.fromkeys(rec))
        order = [k for k in contract if k in keys] + sorted(k for k in keys if k not in contract)
        arrays = []
        for k in order:
            values = [rec.get(k) for rec in records]
            values = [None if _is_scalar_missing(v) else v for v in values]
            try:
                arr = pa.array(values, from_pandas=True)
                if pa.types.is_null(arr.type):
                    arr = arr.cast(pa.string())
            except (pa.ArrowException, TypeError, ValueError, OverflowError):
                arr = pa.array(
                    [
                        None
                        if v is None
                        else json.dumps(v, ensure_ascii=False, default=_json_default)
                        for v in values
                    ],
                    type=pa.string(),
                )
            arrays.append(arr)
        table = pa.Table.from_arrays(arrays, names=order) if order else pa.table({})
        _atomic_write(path, lambda p: pq.write_table(table, p, compression="zstd"))
    else:
        raise ValueError(f"cannot write records to {path.name!r}: use .jsonl or .parquet")
    return path


def _is_scalar_missing(value: Any) -> bool:
    return not isinstance(value, (list, tuple, np.ndarray, dict)) and is_missing(value)


# ---------------------------------------------------------------- reading


def _arrow_types_mapper(t: pa.DataType) -> Any:
    if pa.types.is_boolean(t):
        return pd.BooleanDtype()
    if pa.types.is_integer(t):
        return pd.Int64Dtype()
    return None


def read_notices_raw(path: str | os.PathLike[str]) -> RawNotices:
    """Read ``.jsonl`` / ``.json`` (JSON Lines) or ``.parquet`` without validating values.

    A JSON line that does not parse, or is not an object, becomes a row error
    (its line number and why) and the other lines still load. Blank lines are
    skipped. Raises ``FileNotFoundError`` for a missing file and ``ValueError``
    for an unknown suffix.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in NOTICE_SUFFIXES:
        raise ValueError(f"cannot read notices from {path.name!r}: use .parquet or .jsonl")
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if suffix == ".parquet":
        frame = pq.read_table(path).to_pandas(types_mapper=_arrow_types_mapper)
        frame = frame.reset_index(drop=True)
        return RawNotices(
            path=path, frame=frame, row_numbers=np.arange(1, len(frame) + 1, dtype=np.int64)
        )
    records: list[dict[str, Any]] = []
    numbers: list[int] = []
    errors: list[RowError] = []
    bad: dict[int, str] = {}
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    with gc_paused():
        _parse_lines(data, records, numbers, errors, bad)
    return RawNotices(
        path=path,
        records=records,
        row_numbers=np.asarray(numbers, dtype=np.int64),
        errors=tuple(errors),
        bad_lines=bad,
    )


def _parse_lines(
    data: bytes,
    records: list[dict[str, Any]],
    numbers: list[int],
    errors: list[RowError],
    bad: dict[int, str],
) -> None:
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(
                RowError(number, None, None, NOT_JSON.format(reason=f"not UTF-8 ({exc.reason})"))
            )
            bad[number] = raw.decode("utf-8", errors="replace").rstrip("\r")
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            errors.append(RowError(number, None, None, NOT_JSON.format(reason=str(exc))))
            bad[number] = text.rstrip("\r")
            continue
        if not isinstance(value, dict):
            got = _JSON_TYPE_NAMES.get(type(value), type(value).__name__)
            errors.append(RowError(number, None, None, NOT_AN_OBJECT.format(got=got)))
            bad[number] = text.rstrip("\r")
            continue
        records.append(value)
        numbers.append(number)
