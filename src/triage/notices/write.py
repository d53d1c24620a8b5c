"""Writing a notice frame to a notice file, byte-deterministically; the atomic write every writer uses.

Parquet (``.parquet``) or JSON Lines (``.jsonl``). The same frame always gives
the same bytes, so a file's hash identifies its notices.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from triage.contract import notice_fields
from triage.notices.datetimes import DATETIME_UNIT, TIMEZONE, format_datetimes
from triage.notices.frame import array_fields, to_notice_frame

_JSONL_CHUNK = 50_000
_SAFE_STRING = re.compile(r"[A-Za-z0-9_-]*")


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
        atomic_write(path, lambda p: pq.write_table(table, p, compression="zstd"))
        return path

    def write_jsonl(p: Path) -> None:
        with open(p, "wb") as fh:
            for start in range(0, len(frame), _JSONL_CHUNK):
                chunk = frame.iloc[start : start + _JSONL_CHUNK]
                lines = [
                    "{" + "".join(t)[1:] + "}\n" for t in zip(*_jsonl_pieces(chunk), strict=True)
                ]
                fh.write("".join(lines).encode("utf-8"))

    atomic_write(path, write_jsonl)
    return path


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """``write(tmp)`` then rename onto ``path``: a reader never sees half a file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def plain(value: Any) -> Any:
    """A numpy scalar as its Python value (what ``json`` can write); anything else unchanged."""
    if isinstance(value, np.generic):
        return value.item()
    return value


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
        elif f in array_fields():
            codes, uniques = pd.factorize(s, use_na_sentinel=True)
            lists = pa.array([list(u) for u in uniques], type=pa.list_(pa.string()))
            arr = lists.take(pa.array(codes, mask=codes < 0, type=pa.int32()))
        else:
            arr = pa.array(s.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        arrays.append(arr)
        schema_fields.append(pa.field(f, arr.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(schema_fields))


def _jsonl_pieces(frame: pd.DataFrame) -> list[np.ndarray]:
    """Per field, the text ``,"field":value`` of each row ("" when the field is omitted).

    A line is the concatenation of its row's pieces; each distinct value is
    encoded once per chunk, not once per row.
    """
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
            table = [key + json.dumps(plain(u), ensure_ascii=False) for u in uniques]
            piece = np.array([*table, null_piece], dtype=object)[codes]
            if f in fields.dv_only and null_piece:
                piece[na & general] = ""
        elif f in fields.datetimes:
            text = format_datetimes(s)
            piece = np.full(len(s), null_piece, dtype=object)
            piece[~na] = key + '"' + text[~na] + '"'
        elif f in array_fields():
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
            # Ids and codes need no JSON escaping: quote them without a json.dumps per row.
            if all(_SAFE_STRING.fullmatch(v) for v in present):
                piece[~na] = key + '"' + present + '"'
            else:
                piece[~na] = np.array(
                    [key + json.dumps(v, ensure_ascii=False) for v in present], dtype=object
                )
        pieces.append(piece)
    return pieces
