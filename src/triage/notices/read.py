"""Reading a notice file as it is, before validation: Parquet or JSON Lines.

A JSON line that does not parse, is not an object, or is far longer or deeper
than a notice (:mod:`triage.notices.json_lines`) becomes a row error and the
other lines still load, so one bad line never hides the rest of a batch. A
file that cannot be read at all (missing, a folder, unreadable, a damaged or
foreign Parquet file, text not in UTF-8, an unknown kind) raises
:class:`~triage.notices.file_errors.NoticeFileError`, one line. Values are not
checked here; see :mod:`triage.notices.validation`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from triage.notices.file_errors import NoticeFileError, NoticeFileMissing, one_line
from triage.notices.gc_pause import gc_paused
from triage.notices.json_lines import parse_line

NOTICE_SUFFIXES = (".parquet", ".jsonl", ".json")


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
    left out of ``records`` and reported in ``errors``; their text is not kept
    (it may hold anything, and is never echoed).
    """

    path: Path
    records: list[dict[str, Any]] | None = None
    frame: pd.DataFrame | None = None
    row_numbers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    errors: tuple[RowError, ...] = ()

    @property
    def n_rows(self) -> int:
        if self.records is not None:
            n = len(self.records)
        else:
            n = 0 if self.frame is None else len(self.frame)
        return n + len(self.errors)


def read_notices_raw(path: str | os.PathLike[str]) -> RawNotices:
    """Read ``.jsonl`` / ``.json`` (JSON Lines) or ``.parquet`` without validating values.

    A JSON line that does not parse, is not an object, or is longer or deeper
    than any notice becomes a row error (its line number and why) and the
    other lines still load. Blank lines are skipped. Raises
    :class:`NoticeFileMissing` (a ``FileNotFoundError``) for a missing file and
    :class:`NoticeFileError` (a ``ValueError``) for one that cannot be read as
    notices at all.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in NOTICE_SUFFIXES:
        kind = f"a {suffix!r} file" if suffix else "a file without an extension"
        raise NoticeFileError(path, f"cannot read notices from {kind}: use .parquet or .jsonl")
    _check_is_file(path)
    if suffix == ".parquet":
        frame = _read_parquet(path)
        return RawNotices(
            path=path, frame=frame, row_numbers=np.arange(1, len(frame) + 1, dtype=np.int64)
        )
    data = _read_bytes(path)
    if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark, as some editors write
        data = data[3:]
    records: list[dict[str, Any]] = []
    numbers: list[int] = []
    errors: list[RowError] = []
    with gc_paused():
        foreign = _parse_lines(data, records, numbers, errors)
    if not records and errors and foreign == len(errors):
        # Every line undecodable or holding NUL bytes (UTF-16 and UTF-32 hold one in every
        # ASCII character): the file is in another encoding, not a file of bad lines. One
        # line that is UTF-8 makes them row errors again, so a stray byte never costs a file.
        raise NoticeFileError(
            path, "no line is UTF-8 text; expected JSON Lines in UTF-8 (save it as UTF-8)"
        )
    return RawNotices(
        path=path,
        records=records,
        row_numbers=np.asarray(numbers, dtype=np.int64),
        errors=tuple(errors),
    )


def _check_is_file(path: Path) -> None:
    if path.is_dir():
        raise NoticeFileError(path, "a folder, not a notice file")
    if not path.exists():
        raise NoticeFileMissing(path)
    if not path.is_file():
        raise NoticeFileError(path, "not a regular file; expected a notice file")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise NoticeFileError(path, f"cannot read it: {_os_reason(exc)}") from None


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        names = pq.read_schema(path).names
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise NoticeFileError(
                path, f"column {twice[0]!r} appears more than once; expected one column per field"
            )
        frame = pq.read_table(path).to_pandas(types_mapper=_arrow_types_mapper)
    except NoticeFileError:
        raise
    except PermissionError as exc:
        raise NoticeFileError(path, f"cannot read it: {_os_reason(exc)}") from None
    except (pa.ArrowException, OSError, ValueError, TypeError) as exc:
        raise NoticeFileError(
            path, f"not a Parquet file, or a damaged one ({one_line(exc)})"
        ) from None
    return frame.reset_index(drop=True)


def _os_reason(exc: OSError) -> str:
    return (exc.strerror or one_line(exc)).lower()


def _arrow_types_mapper(t: pa.DataType) -> Any:
    # Nullable pandas dtypes: without them a boolean column with nulls becomes object, an
    # integer one float64.
    if pa.types.is_boolean(t):
        return pd.BooleanDtype()
    if pa.types.is_integer(t):
        return pd.Int64Dtype()
    return None


def _parse_lines(
    data: bytes, records: list[dict[str, Any]], numbers: list[int], errors: list[RowError]
) -> int:
    """Parse every line into ``records`` or ``errors``; returns how many lines looked like
    another encoding (not UTF-8, or holding NUL bytes as UTF-16 does)."""
    foreign = 0
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        value, why = parse_line(raw)
        if value is None:
            errors.append(RowError(number, None, None, str(why)))
            foreign += b"\x00" in raw or why is not None and "not UTF-8" in why
            continue
        records.append(value)
        numbers.append(number)
    return foreign
