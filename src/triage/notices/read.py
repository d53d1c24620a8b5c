"""Reading a notice file as it is, before validation: Parquet or JSON Lines.

A JSON line that does not parse, or is not an object, becomes a row error
and the other lines still load, so one bad line never hides the rest of a
batch. Values are not checked here; see :mod:`triage.notices.validation`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from triage.notices.gc_pause import gc_paused
from triage.notices.messages import NOT_AN_OBJECT, NOT_JSON

NOTICE_SUFFIXES = (".parquet", ".jsonl", ".json")

_JSON_TYPE_NAMES = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


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
        if self.records is not None:
            n = len(self.records)
        else:
            n = 0 if self.frame is None else len(self.frame)
        return n + len(self.errors)


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
    if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark, as some editors write
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


def _arrow_types_mapper(t: pa.DataType) -> Any:
    # Nullable pandas dtypes: without them a boolean column with nulls becomes object, an
    # integer one float64.
    if pa.types.is_boolean(t):
        return pd.BooleanDtype()
    if pa.types.is_integer(t):
        return pd.Int64Dtype()
    return None


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
