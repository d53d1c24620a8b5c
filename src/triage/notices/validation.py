"""Validation of intake notices against ``notice.schema.json``, column by column.

:func:`validate_notices` accepts exactly the rows that
``jsonschema.Draft202012Validator(schema, format_checker=FORMAT_CHECKER)``
accepts (with ``date-time`` checked as by ``rfc3339-validator`` and patterns
matched whole), and also rejects every repeat of a ``notice_id`` after its
first row and a ``safety_confirmed_at`` before ``received_at``
(:mod:`triage.notices.time_order`). It checks whole
columns at once (pandas / numpy, :mod:`triage.notices.checks`) instead of
calling jsonschema per row, and reports every problem of every bad row.

Two sources, two readings of "absent" (:mod:`triage.notices.batch`):

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
No offending value is ever shown: a message names the field and the rule and
says what the value is (a string of 23 characters), never what it says, and a
rejected row keeps only the values that passed (:func:`reject_record`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
import pandas as pd

from triage.contract import identifier_reason, notice_fields
from triage.notices.batch import Batch, RecordsBatch, TableBatch, raw_batch
from triage.notices.checks import check_field, field_specs
from triage.notices.gc_pause import gc_paused
from triage.notices.kinds import ABSENT, STR
from triage.notices.messages import (
    CONFIRMED_BEFORE_RECEIVED,
    DUPLICATE_ID,
    IDENTIFIER_VALUE,
    MISSING_FIELD,
    UNKNOWN_FIELD,
    WRONG_VALUE,
    describe_kind,
    key_label,
    quoted_key,
)
from triage.notices.read import RawNotices, RowError, read_notices_raw
from triage.notices.time_order import (
    CONFIRMED_FIELD,
    RECEIVED_FIELD,
    confirmed_before_received,
    is_time,
)

REJECT_ROW = "_row"
"""Key of a rejects record holding its line (JSON Lines) or row (table) number."""
REJECT_ERRORS = "_errors"
"""Key of a rejects record holding its problems, as in ``ValidationResult.errors``."""

_T = TypeVar("_T")


class _Deferred(Generic[_T]):
    """A value built on first use, after which its recipe (and what it holds) is let go."""

    __slots__ = ("_build", "_value")
    _value: _T  # unset until the first get()

    def __init__(self, build: Callable[[], _T]) -> None:
        self._build: Callable[[], _T] | None = build

    def get(self) -> _T:
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
    ``rejected``: the bad rows as records for a rejects file, in row order:
    ``_row`` (line / row number), ``_errors`` (the row's messages), then the
    values that passed their rule (identifier columns, values at fault and the
    text of unparsed lines left out); ``rejected_rows`` their numbers.
    ``refused_columns``: identifier-like column -> why.
    """

    errors: list[RowError]
    rejected: list[dict[str, Any]]
    rejected_rows: list[int]
    refused_columns: dict[str, str]
    n_rows: int
    n_valid: int
    records: list[dict[str, Any]] | None = None
    _valid: _Deferred[pd.DataFrame] = dataclasses.field(kw_only=True, repr=False)

    @property
    def valid(self) -> pd.DataFrame:
        return self._valid.get()

    @property
    def n_rejected(self) -> int:
        return len(self.rejected_rows)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.refused_columns


def validate_notices(
    source: pd.DataFrame | str | os.PathLike[str] | Sequence[Mapping[str, Any]],
) -> ValidationResult:
    """Validate a batch of notices: a DataFrame, a ``.parquet`` / ``.jsonl`` path, or dicts.

    Every problem of a row is that row's error; only a file that cannot be read
    at all raises, ``NoticeFileError`` (a ``TriageError`` and ``ValueError``;
    ``NoticeFileMissing``, also a ``FileNotFoundError``, when there is none).
    """
    with gc_paused():
        return _validate(_batch_of(source))


def _batch_of(source: Any) -> Batch:
    if isinstance(source, pd.DataFrame):
        return TableBatch(source)
    if isinstance(source, (str, os.PathLike)):
        return raw_batch(read_notices_raw(Path(source)))
    if isinstance(source, RawNotices):
        return raw_batch(source)
    return RecordsBatch(list(source))


def _validate(batch: Batch) -> ValidationResult:
    contract = notice_fields().all
    # (position, order, field, message, withhold): sorted by row, then in the order found
    # below; ``withhold``: the field's value is at fault and stays out of the rejects.
    found: list[tuple[int, int, str | None, str, bool]] = []
    order = 0
    names = set(batch.names)
    valid_in: dict[str, np.ndarray] = {}  # field -> mask of the rows whose value passed
    for spec in field_specs():
        order += 1
        if spec.field not in names:
            if spec.required:
                message = MISSING_FIELD.format(field=spec.field)
                found.extend((p, order, spec.field, message, False) for p in range(batch.n))
            continue
        values, kinds = batch.column(spec.field)
        ok = valid_in[spec.field] = check_field(spec, values, kinds)
        for p in np.flatnonzero(~ok):
            kind = int(kinds[p])
            if kind == ABSENT:
                found.append(
                    (int(p), order, spec.field, MISSING_FIELD.format(field=spec.field), False)
                )
                continue
            got = describe_kind(
                values[p], kind, bounds=spec.bounds, items=spec.items, datetime=spec.datetime
            )
            message = WRONG_VALUE.format(field=spec.field, expected=spec.expected, got=got)
            found.append((int(p), order, spec.field, message, True))

    order += 1
    for p in np.flatnonzero(_confirmed_before_received(batch, valid_in)):
        found.append((int(p), order, CONFIRMED_FIELD, CONFIRMED_BEFORE_RECEIVED, True))

    refused: dict[str, str] = {}
    for name in batch.names:
        if name in contract:
            continue
        order += 1
        reason = identifier_reason(name)
        present = np.flatnonzero(batch.present(name))
        label = key_label(name)
        if reason is not None:
            refused[name] = reason
            message = IDENTIFIER_VALUE.format(field=label, column=quoted_key(name), reason=reason)
        else:
            message = UNKNOWN_FIELD.format(field=label)
        found.extend((int(p), order, name, message, True) for p in present)

    ids: Any = None
    id_ok = np.zeros(batch.n, dtype=bool)
    if "notice_id" in names:
        ids, id_kinds = batch.column("notice_id")
        id_ok = valid_in["notice_id"]
        is_str = np.flatnonzero(id_kinds == STR)
        if len(is_str) > 1:  # one id cannot repeat
            # dtype=object: inferring a string dtype would encode each id, and a lone
            # surrogate (JSON allows "\ud800") cannot be encoded
            id_series = pd.Series(np.asarray(ids[is_str], dtype=object), index=is_str, dtype=object)
            dup = id_series.duplicated(keep="first").to_numpy()
            if dup.any():
                order += 1
                firsts = id_series[~dup]
                first_of = dict(zip(firsts.to_numpy(), firsts.index, strict=True))
                for p, value in id_series[dup].items():
                    first_row = int(batch.row_numbers[first_of[value]])
                    message = DUPLICATE_ID.format(first=first_row)
                    found.append((int(p), order, "notice_id", message, False))

    found.sort(key=lambda t: (t[0], t[1]))

    def notice_id_at(p: int) -> str | None:
        # Only an id that passed its pattern is shown: a refused one could be anything.
        return str(ids[p]) if id_ok[p] else None

    row_errors: list[tuple[int, RowError]] = [
        (
            int(batch.row_numbers[p]),
            RowError(int(batch.row_numbers[p]), notice_id_at(p), key_field(field), message),
        )
        for p, _, field, message, _ in found
    ]
    messages_of: dict[int, list[str]] = {}
    withheld_of: dict[int, set[str]] = {}
    for position, _, field, message, withhold in found:
        messages_of.setdefault(position, []).append(message)
        drop = withheld_of.setdefault(position, set(refused))
        if withhold and field is not None:
            drop.add(field)
    bad_positions = sorted(messages_of)
    bad_mask = np.zeros(batch.n, dtype=bool)
    bad_mask[bad_positions] = True
    valid_positions = np.flatnonzero(~bad_mask)

    records = batch.rejected_records(bad_positions, [withheld_of[p] for p in bad_positions])
    rejected = [
        (int(batch.row_numbers[p]), reject_record(int(batch.row_numbers[p]), messages_of[p], rec))
        for p, rec in zip(bad_positions, records, strict=True)
    ]
    extra_messages: dict[int, list[str]] = {}
    for number, error in batch.extra_errors:
        extra_messages.setdefault(number, []).append(error.message)
    rejected.extend(
        (number, reject_record(number, extra_messages.get(number, []), rec))
        for number, rec in batch.extra_rejected
    )
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
        records=batch.valid_records(valid_positions),
        _valid=_Deferred(lambda: _valid_frame_gc_paused(batch, valid_positions)),
    )


def reject_record(row: int, messages: Sequence[str], record: Mapping[str, Any]) -> dict[str, Any]:
    """A rejected row as the rejects file holds it: its number, its problems, and the
    values that passed (a value at fault is left out, never echoed)."""
    return {REJECT_ROW: row, REJECT_ERRORS: list(messages), **record}


def key_field(field: str | None) -> str | None:
    """The ``field`` of a row error: the key itself, or its label when it is not plain."""
    return None if field is None else key_label(field)


def _confirmed_before_received(batch: Batch, valid_in: Mapping[str, np.ndarray]) -> np.ndarray:
    if CONFIRMED_FIELD not in valid_in or RECEIVED_FIELD not in valid_in:
        return np.zeros(batch.n, dtype=bool)
    received, received_kinds = batch.column(RECEIVED_FIELD)
    confirmed, confirmed_kinds = batch.column(CONFIRMED_FIELD)
    return confirmed_before_received(
        received,
        confirmed,
        valid_in[RECEIVED_FIELD] & is_time(received_kinds),
        valid_in[CONFIRMED_FIELD] & is_time(confirmed_kinds),
    )


def _valid_frame_gc_paused(batch: Batch, positions: np.ndarray) -> pd.DataFrame:
    # Built on first use, outside validate_notices' pause, so it pauses on its own.
    with gc_paused():
        return batch.valid_frame(positions)
