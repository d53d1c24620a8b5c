"""Writing plain tables (truth tables, score lines) and loose records (rejected rows).

Unlike a notice file these have no contract: columns and keys are written as
they come, values made JSON-ready (datetimes as ISO 8601 with offset, list
cells as JSON arrays where the format has no lists).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from triage.contract import notice_fields
from triage.notices.datetimes import format_datetimes
from triage.notices.json_text import json_line
from triage.notices.missing import is_missing
from triage.notices.write import atomic_write, plain


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a plain table (e.g. a truth table) to ``.parquet``, ``.jsonl`` or ``.csv``.

    Datetimes are written as ISO 8601 with offset in JSON Lines and CSV; list
    cells as JSON arrays in CSV. The index is not written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        plain_frame = frame.reset_index(drop=True).copy()
        for c in plain_frame.columns:
            col = plain_frame[c]
            if col.dtype == object and any(isinstance(v, tuple) for v in col):
                plain_frame[c] = pd.Series(
                    [list(v) if isinstance(v, tuple) else v for v in col], dtype=object
                )
        table = pa.Table.from_pandas(plain_frame, preserve_index=False)
        atomic_write(path, lambda p: pq.write_table(table, p, compression="zstd"))
    elif suffix == ".jsonl":
        cols = _plain_columns(frame)
        names = list(cols)

        def write_jsonl(p: Path) -> None:
            with open(p, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as fh:
                for row in zip(*cols.values(), strict=True):
                    fh.write(json_line(dict(zip(names, row, strict=True)), _json_default) + "\n")

        atomic_write(path, write_jsonl)
    elif suffix == ".csv":
        cols = _plain_columns(frame)
        for name, values in cols.items():
            if any(isinstance(v, (list, tuple, np.ndarray)) for v in values):
                cols[name] = [
                    None if v is None else json.dumps(_json_default(v), ensure_ascii=False)
                    for v in values
                ]
        csv_frame = pd.DataFrame(cols, columns=list(cols))
        atomic_write(
            path, lambda p: csv_frame.to_csv(p, index=False, lineterminator="\n", encoding="utf-8")
        )
    else:
        raise ValueError(f"cannot write a table to {path.name!r}: use .parquet, .jsonl or .csv")
    return path


def write_records(records: Iterable[Mapping[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write loose records (e.g. rejected rows) to ``.jsonl`` or ``.parquet``.

    Keys are written as they come; values that do not fit one Parquet type per
    column are stored there as JSON text. JSON Lines are strict JSON: a
    non-finite number is written as the string ``"NaN"`` / ``"Infinity"``.
    """
    path = Path(path)
    rows = list(records)
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json"):

        def write_jsonl(p: Path) -> None:
            # backslashreplace: a lone surrogate (JSON allows "\ud800") is written as that
            # escape, not refused by the UTF-8 encoder.
            with open(p, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as fh:
                for rec in rows:
                    fh.write(json_line(rec, _json_default) + "\n")

        atomic_write(path, write_jsonl)
    elif suffix == ".parquet":
        table = _records_arrow_table(rows)
        atomic_write(path, lambda p: pq.write_table(table, p, compression="zstd"))
    else:
        raise ValueError(f"cannot write records to {path.name!r}: use .jsonl or .parquet")
    return path


def _records_arrow_table(rows: list[Mapping[str, Any]]) -> pa.Table:
    # Contract fields first, in schema order, so that rejects read like notices.
    contract = notice_fields().all
    keys: dict[str, None] = {}
    for rec in rows:
        keys.update(dict.fromkeys(rec))
    order = [k for k in contract if k in keys] + sorted(k for k in keys if k not in contract)
    arrays = []
    for k in order:
        values = [rec.get(k) for rec in rows]
        values = [None if _is_scalar_missing(v) else v for v in values]
        try:
            arr = pa.array(values, from_pandas=True)
            if pa.types.is_null(arr.type):
                arr = arr.cast(pa.string())
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            arr = pa.array(
                [
                    None if v is None else json.dumps(v, ensure_ascii=False, default=_json_default)
                    for v in values
                ],
                type=pa.string(),
            )
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, names=order) if order else pa.table({})


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
            out[str(c)] = [plain(v) for v in values]
    return out


def _is_scalar_missing(value: Any) -> bool:
    return not isinstance(value, (list, tuple, np.ndarray, dict)) and is_missing(value)
