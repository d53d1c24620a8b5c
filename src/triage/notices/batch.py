"""A batch to validate, whatever its source: a table (DataFrame, Parquet) or records (dicts, JSON Lines).

Both give the checks the same thing, a column's values and kinds by name
(:meth:`Batch.column`), and take back the positions of the valid and the
rejected rows. Lines or items that are not objects never enter the columns:
they arrive as ``extra_errors`` and ``extra_rejected`` (an empty record: what
such a line held is never kept).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence, Set
from typing import Any

import numpy as np
import pandas as pd

from triage.contract import notice_fields
from triage.contract.errors import InvalidParameter
from triage.notices.frame import to_notice_frame
from triage.notices.kinds import (
    ABSENT,
    MISSING_KEY,
    kind_of_type,
    object_kinds,
    table_column,
)
from triage.notices.messages import NOT_AN_OBJECT_ROW, describe_kind
from triage.notices.missing import is_missing
from triage.notices.read import RawNotices, RowError
from triage.notices.write import plain


class Batch(ABC):
    """Columns of a batch ready to check: values and kinds per column name, read on first use."""

    def __init__(self, n: int, names: list[str], row_numbers: np.ndarray) -> None:
        self.n = n
        self.names = names
        self.row_numbers = row_numbers
        self.extra_errors: list[tuple[int, RowError]] = []  # (row number, error), rows not in n
        self.extra_rejected: list[tuple[int, dict[str, Any]]] = []
        self._cache: dict[str, tuple[Any, np.ndarray]] = {}

    def column(self, name: str) -> tuple[Any, np.ndarray]:
        if name not in self._cache:
            self._cache[name] = self._read_column(name)
        return self._cache[name]

    @abstractmethod
    def _read_column(self, name: str) -> tuple[Any, np.ndarray]: ...

    @abstractmethod
    def present(self, name: str) -> np.ndarray:
        """Mask of the rows holding a value in column ``name``."""

    @abstractmethod
    def rejected_records(
        self, positions: list[int], withheld: Sequence[Set[str]]
    ) -> list[dict[str, Any]]:
        """The rows at ``positions`` as records, each without its ``withheld`` fields."""

    @abstractmethod
    def valid_frame(self, positions: np.ndarray) -> pd.DataFrame:
        """Notice frame of the rows at ``positions`` (fresh index)."""

    def valid_records(self, positions: np.ndarray) -> list[dict[str, Any]] | None:
        """The rows at ``positions`` as given, when they were given as records."""
        return None


class TableBatch(Batch):
    """A table: every row has every column, and a null cell is an absent field."""

    def __init__(self, frame: pd.DataFrame, row_numbers: np.ndarray | None = None) -> None:
        if frame.columns.duplicated().any():
            dup = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
            raise InvalidParameter(
                f"notices: column {dup[0]!r} appears more than once; expected one column per field",
                param="notices",
            )
        frame = frame.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        n = len(frame)
        numbers = np.arange(1, n + 1) if row_numbers is None else row_numbers
        super().__init__(n, list(frame.columns), numbers)
        self.frame = frame

    def _read_column(self, name: str) -> tuple[Any, np.ndarray]:
        return table_column(self.frame[name])

    def present(self, name: str) -> np.ndarray:
        return self.frame[name].notna().to_numpy()

    def rejected_records(
        self, positions: list[int], withheld: Sequence[Set[str]]
    ) -> list[dict[str, Any]]:
        if not positions:
            return []
        rows = self.frame.iloc[positions].to_dict("records")
        return [
            {str(k): plain(v) for k, v in row.items() if str(k) not in drop and not is_missing(v)}
            for row, drop in zip(rows, withheld, strict=True)
        ]

    def valid_frame(self, positions: np.ndarray) -> pd.DataFrame:
        contract = notice_fields().all
        keep = [c for c in self.frame.columns if c in contract]
        return to_notice_frame(self.frame.iloc[positions][keep].reset_index(drop=True))


class RecordsBatch(Batch):
    """Records (JSON objects): a key holding null is present, a key not there is absent."""

    def __init__(self, records: Sequence[Any], row_numbers: np.ndarray | None = None) -> None:
        numbers = np.arange(1, len(records) + 1) if row_numbers is None else np.asarray(row_numbers)
        dicts: list[dict[str, Any]] = []
        keep: list[int] = []
        not_objects: list[tuple[int, Any]] = []
        for i, rec in enumerate(records):
            if isinstance(rec, Mapping):
                dicts.append(rec if isinstance(rec, dict) else dict(rec))
                keep.append(i)
            else:
                not_objects.append((int(numbers[i]), rec))
        columns = _record_columns(dicts)
        contract = notice_fields().all
        ordered = [f for f in contract if f in columns] + sorted(
            str(k) for k in columns if k not in contract
        )
        if any(not isinstance(k, str) for k in columns):
            columns = {str(k): v for k, v in columns.items()}
        super().__init__(len(dicts), ordered, numbers[keep])
        self.records = dicts
        self.record_columns = columns
        for number, rec in not_objects:
            rec_type: type = type(rec)
            got = describe_kind(rec, kind_of_type(rec_type))
            self.extra_errors.append(
                (number, RowError(number, None, None, NOT_AN_OBJECT_ROW.format(got=got)))
            )
            self.extra_rejected.append((number, {}))

    def _read_column(self, name: str) -> tuple[Any, np.ndarray]:
        values = self.record_columns[name]
        return values, object_kinds(values, table=False)

    def present(self, name: str) -> np.ndarray:
        values = self.record_columns[name]
        return np.fromiter((v is not MISSING_KEY for v in values), dtype=np.bool_, count=self.n)

    def rejected_records(
        self, positions: list[int], withheld: Sequence[Set[str]]
    ) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in self.records[p].items() if str(k) not in drop}
            for p, drop in zip(positions, withheld, strict=True)
        ]

    def valid_frame(self, positions: np.ndarray) -> pd.DataFrame:
        columns: dict[str, Any] = {}
        for f in notice_fields().all:
            if f not in self.names:
                continue
            values, kinds = self.column(f)
            col = values[positions].copy()
            col[kinds[positions] == ABSENT] = None
            columns[f] = pd.Series(col, dtype=object)
        frame = pd.DataFrame(columns, index=pd.RangeIndex(len(positions)))
        return to_notice_frame(frame)

    def valid_records(self, positions: np.ndarray) -> list[dict[str, Any]] | None:
        return [self.records[p] for p in positions.tolist()]


def raw_batch(raw: RawNotices) -> Batch:
    """The batch of a file as read; its unparsed lines become extra errors and rejects."""
    batch: Batch
    if raw.frame is not None:
        batch = TableBatch(raw.frame, raw.row_numbers)
    else:
        batch = RecordsBatch(raw.records or [], raw.row_numbers)
    for error in raw.errors:
        batch.extra_errors.append((error.row, error))
        batch.extra_rejected.append((error.row, {}))
    return batch


def _record_columns(records: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Column arrays (``MISSING_KEY`` where a record lacks the key) from dicts.

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
                target = columns[key] = np.full(n, MISSING_KEY, dtype=object)
            target[idx] = np.fromiter(col, dtype=object, count=len(col))
    return columns
