"""An agency's recorded outcomes, read beside its notices: what its case files say happened.

An outcomes file holds ``notice_id`` and the outcomes an agency records
(``recorded_harm_90d``, ``recorded_tier``; ``recorded_dv_route`` if it keeps
it), as Parquet, CSV or JSON Lines. The column names are read before any
value. A column only a simulator can know (``p_harm``, ``harm_90d``,
``true_*``, ``latent_*``) refuses the whole file, naming it, and its values
are never loaded; so does any other column the release does not ask for,
since an agency's file should hold nothing more.

Bad rows are named (row, field, what was expected, what kind of value was
found, never the value itself: a value in the wrong column can be a name) and
left out, the others kept, as for notices. ``row`` is the 1-based line of a JSON
Lines or CSV file (the CSV header is line 1) and the 1-based row of a Parquet
file. A CSV row is one line: a broken line is that row's error, never the file's.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from triage.contract import DV_ROUTES, TIERS, InvalidParameter, TriageError, notice_fields
from triage.contract.columns import RECORDED_DV_ROUTE, RECORDED_HARM, RECORDED_TIER, TRUE_COLUMNS
from triage.notices import (
    MISSING_FIELD,
    WRONG_VALUE,
    RowError,
    describe_kind,
    read_notices_raw,
    shorten,
)
from triage.notices.kinds import kind_of_type
from triage.notices.messages import quoted_key

OUTCOME_SUFFIXES = (".parquet", ".csv", ".jsonl", ".json")
NOTICE_ID = "notice_id"
REQUIRED_COLUMNS: tuple[str, ...] = (NOTICE_ID, RECORDED_HARM, RECORDED_TIER)
OPTIONAL_COLUMNS: tuple[str, ...] = (RECORDED_DV_ROUTE,)
ALLOWED_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
SIMULATOR_PREFIXES: tuple[str, ...] = ("latent_", "true_")

PARAM = "outcomes"
_MAX_NAMED = 10  # unknown columns named in one message; simulator-only ones are all named

_HARM_VALUES: dict[str, int] = {"0": 0, "1": 1, "false": 0, "true": 1}


@dataclass(frozen=True)
class OutcomesResult:
    """The valid outcome rows, and every problem of the others.

    ``valid``: ``notice_id`` (str), ``recorded_harm_90d`` (int64, 0/1),
    ``recorded_tier`` (categorical over ``TIERS``) and, when the file has it,
    ``recorded_dv_route`` (categorical over ``DV_ROUTES``, ``NaN`` = none
    recorded); in file order, fresh index. ``errors``: by row, then field.
    """

    valid: pd.DataFrame
    errors: list[RowError]
    n_rows: int

    @property
    def n_valid(self) -> int:
        return len(self.valid)

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors})

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _RawOutcomes:
    """The allowed columns' values as Python objects, one list per column, and the rows' numbers."""

    columns: dict[str, list[Any]]
    row_numbers: list[int]
    errors: list[RowError]  # rows that never became values: bad JSON, a CSV row of the wrong width


def is_simulator_only(column: str) -> bool:
    """Whether a column holds what only a simulator knows (``p_harm``, ``true_*``, ``latent_*``)."""
    name = column.strip().lower()
    return name in TRUE_COLUMNS or name.startswith(SIMULATOR_PREFIXES)


def read_outcomes(path: str | Path) -> OutcomesResult:
    """Read and check an outcomes file (``.parquet``, ``.csv``, ``.jsonl`` / ``.json``).

    Raises ``TriageError`` (``param="outcomes"``), one line, for a file that is
    missing, unreadable or of an unknown kind, holds a simulator-only or
    unknown column, or lacks a required one. Row problems are not raised:
    they are in ``errors`` and those rows are left out of ``valid``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in OUTCOME_SUFFIXES:
        raise TriageError(
            f"{PARAM}: cannot read {path.name!r}: expected a .parquet, .csv or .jsonl file",
            param=PARAM,
        )
    if not path.is_file():
        raise TriageError(f"{PARAM}: no such file: {path}", param=PARAM)
    try:
        raw = _READERS[suffix](path)
    except TriageError:
        raise
    except (OSError, ValueError, csv.Error, pa.ArrowException) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise TriageError(
            f"{PARAM}: cannot read {path.name}: {reason[:200]}", param=PARAM
        ) from None
    return _check_rows(raw)


def _read_parquet(path: Path) -> _RawOutcomes:
    schema = pq.read_schema(path)
    index_columns = {
        c for c in (schema.pandas_metadata or {}).get("index_columns", []) if isinstance(c, str)
    }  # a pandas index stored as a column is not the agency's data: skipped, never read
    _check_columns(schema.names, path, index_columns=index_columns)
    names = [n for n in schema.names if n not in index_columns]
    table = pq.read_table(path, columns=names)
    columns = {name: table.column(name).to_pylist() for name in names}
    return _RawOutcomes(columns, list(range(1, table.num_rows + 1)), [])


def _read_csv(path: Path) -> _RawOutcomes:
    # Line by line, each line on its own: a broken line (an open quote, bytes that are not
    # UTF-8, a line beyond MAX_LINE_BYTES) is that row's error, never the whole file's, so a
    # quoted cell cannot span lines. The header is checked before a single row is read.
    with path.open("rb") as stream:
        lines = _numbered_lines(stream)
        number, header = next(((n, t) for n, t in lines if t is None or t.strip()), (0, None))
        if number == 0:
            raise TriageError(
                f"{PARAM}: {path.name} is empty; expected a header line naming "
                + ", ".join(REQUIRED_COLUMNS),
                param=PARAM,
            )
        names = _csv_fields(header)
        if names is None:
            raise TriageError(
                f"{PARAM}: {path.name}: line {number}: expected a header line naming "
                + ", ".join(REQUIRED_COLUMNS)
                + f", got {_UNREADABLE_LINE}",
                param=PARAM,
            )
        names[0] = names[0].removeprefix("\ufeff")  # a byte order mark, as spreadsheets write
        _check_columns(names, path)
        columns: dict[str, list[Any]] = {name: [] for name in names}
        numbers: list[int] = []
        errors: list[RowError] = []
        for line, text in lines:
            if text is not None and not text.strip():
                continue  # a blank line
            row = _csv_fields(text)
            if row is None:
                errors.append(RowError(line, None, None, f"row is {_UNREADABLE_LINE}"))
                continue
            if len(row) != len(names):
                message = f"row has {len(row)} fields, expected {len(names)} as in the header"
                errors.append(RowError(line, None, None, message))
                continue
            for name, value in zip(names, row, strict=True):
                columns[name].append(value if value != "" else None)  # an empty cell: no value
            numbers.append(line)
    return _RawOutcomes(columns, numbers, errors)


MAX_LINE_BYTES = 10_000
"""A longer line of an outcomes CSV is its row's error, read through in blocks, never held."""
_UNREADABLE_LINE = (
    f"not a CSV line of UTF-8 text within {MAX_LINE_BYTES:,} bytes "
    "(an open quote, a quote inside an unquoted cell, or bytes that are not UTF-8)"
)


def _numbered_lines(stream: BinaryIO) -> Iterator[tuple[int, str | None]]:
    """Each line as text without its line end, numbered from 1; None for one that is not
    UTF-8 or is over ``MAX_LINE_BYTES``."""
    number = 0
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(1 << 20)
            yield number, None
            continue
        try:
            yield number, raw.rstrip(b"\r\n").decode("utf-8")
        except UnicodeDecodeError:
            yield number, None


def _csv_fields(text: str | None) -> list[str] | None:
    """The cells of one line, or None for a line that is not well-formed CSV."""
    if text is None:
        return None
    try:
        return next(csv.reader([text], strict=True), [])
    except csv.Error:
        return None


def _read_json_lines(path: Path) -> _RawOutcomes:
    raw = read_notices_raw(path)
    records = raw.records or []
    names = list(dict.fromkeys(key for record in records for key in record))
    _check_columns(names, path, require=bool(records))
    # A key absent from a line, or null there, is no value, as an empty CSV cell.
    columns = {name: [record.get(name) for record in records] for name in names}
    return _RawOutcomes(columns, [int(n) for n in raw.row_numbers], list(raw.errors))


_READERS: dict[str, Callable[[Path], _RawOutcomes]] = {
    ".parquet": _read_parquet,
    ".csv": _read_csv,
    ".jsonl": _read_json_lines,
    ".json": _read_json_lines,
}


def _check_columns(
    names: Sequence[str],
    path: Path,
    *,
    require: bool = True,
    index_columns: Collection[str] = (),
) -> None:
    """Refuse the file, before any value is read, unless it holds only outcome columns.

    ``index_columns`` (a pandas index Parquet stores) are let by unread, unless a
    simulator-only name marks them.
    """
    repeated = [n for n, times in Counter(names).items() if times > 1]
    if repeated:
        raise TriageError(
            f"{PARAM}: {path.name}: column {_quote(repeated[0])} appears more than once",
            param=PARAM,
        )
    simulator = [n for n in names if is_simulator_only(n)]
    unknown = [
        n
        for n in names
        if n not in ALLOWED_COLUMNS and n not in index_columns and not is_simulator_only(n)
    ]
    problems = []
    if simulator:
        problems.append(
            f"{_list(simulator, limit=None)} known only to a simulator, "
            "never read from an agency's file"
        )
    if unknown:
        problems.append(
            f"{_list(unknown, limit=_MAX_NAMED)} not an outcome column (expected "
            + ", ".join(REQUIRED_COLUMNS)
            + " and optionally "
            + ", ".join(OPTIONAL_COLUMNS)
            + ")"
        )
    if problems:
        raise TriageError(f"{PARAM}: {path.name} refused: " + "; ".join(problems), param=PARAM)
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing and require:
        raise TriageError(
            f"{PARAM}: {path.name}: required column {', '.join(missing)} is missing "
            f"(expected {', '.join(REQUIRED_COLUMNS)})",
            param=PARAM,
        )


def _quote(name: str) -> str:
    # a plain name is shown; any other could be a value typed as a header, so it is described
    return quoted_key(name)


def _list(names: Sequence[str], *, limit: int | None) -> str:
    shown = names if limit is None else names[:limit]
    text = ", ".join(_quote(n) for n in shown)
    if len(shown) < len(names):
        text += f" and {len(names) - len(shown)} more"
    return f"column {text} is" if len(names) == 1 else f"columns {text} are"


@cache
def _notice_id_pattern() -> re.Pattern[str]:
    return re.compile(notice_fields().patterns[NOTICE_ID])


def _check_rows(raw: _RawOutcomes) -> OutcomesResult:
    n = len(raw.row_numbers)
    rows = raw.row_numbers
    ids: list[str | None] = [None] * n
    bad = np.zeros(n, dtype=bool)
    problems: list[tuple[int, int, str, str]] = []  # (position, order, field, message)
    parsed: dict[str, list[Any]] = {}

    for order, (column, parse, expected) in enumerate(_rules()):
        if column not in raw.columns:
            continue
        out: list[Any] = [None] * n
        for p, value in enumerate(raw.columns[column]):
            ok, out[p] = parse(value)
            if ok:
                continue
            bad[p] = True
            message = (
                MISSING_FIELD.format(field=column)
                if _is_missing(value)
                else WRONG_VALUE.format(field=column, expected=expected, got=_describe(value))
            )
            problems.append((p, order, column, message))
        parsed[column] = out
        if column == NOTICE_ID:
            ids = out

    for positions in _repeats(ids):
        for p in positions:
            others = ", ".join(str(rows[q]) for q in positions if q != p)
            message = f"{NOTICE_ID}: expected an id unique in the file, got one also on row {others}"
            bad[p] = True
            problems.append((p, len(_rules()), NOTICE_ID, message))

    numbered = [(e.row, -1, e) for e in raw.errors] + [
        (rows[p], order, RowError(rows[p], ids[p], field, message))
        for p, order, field, message in problems
    ]
    numbered.sort(key=lambda t: (t[0], t[1]))
    return OutcomesResult(
        valid=_valid_frame(parsed, np.flatnonzero(~bad)),
        errors=[e for *_, e in numbered],
        n_rows=n + len(raw.errors),
    )


def _repeats(ids: list[str | None]) -> list[list[int]]:
    """Positions of each id found on more than one row; every one of them is left out."""
    positions: dict[str, list[int]] = {}
    for p, notice_id in enumerate(ids):
        if notice_id is not None:
            positions.setdefault(notice_id, []).append(p)
    return [ps for ps in positions.values() if len(ps) > 1]


def _valid_frame(parsed: dict[str, list[Any]], keep: np.ndarray) -> pd.DataFrame:
    def kept(column: str) -> list[Any]:
        values = parsed.get(column, [])  # a JSON Lines file without one good line has no column
        return [values[p] for p in keep]

    frame = pd.DataFrame(
        {
            NOTICE_ID: pd.Series(kept(NOTICE_ID), dtype=object),
            RECORDED_HARM: pd.Series(kept(RECORDED_HARM), dtype="int64"),
            RECORDED_TIER: pd.Categorical(kept(RECORDED_TIER), categories=list(TIERS)),
        }
    )
    if RECORDED_DV_ROUTE in parsed:
        frame[RECORDED_DV_ROUTE] = pd.Categorical(
            kept(RECORDED_DV_ROUTE), categories=list(DV_ROUTES)
        )
    return frame


def _is_missing(value: Any) -> bool:
    return value is None


def _parse_notice_id(value: Any) -> tuple[bool, str | None]:
    # fullmatch: the contract's "^...$" would let re.search accept an id ending in a newline
    if isinstance(value, str) and _notice_id_pattern().fullmatch(value):
        return True, value
    return False, None


def _parse_harm(value: Any) -> tuple[bool, int | None]:
    if isinstance(value, bool):
        return True, int(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return True, int(value)
    if isinstance(value, str) and value.lower() in _HARM_VALUES:
        return True, _HARM_VALUES[value.lower()]
    return False, None


def _parse_tier(value: Any) -> tuple[bool, str | None]:
    return (True, value) if isinstance(value, str) and value in TIERS else (False, None)


def _parse_dv_route(value: Any) -> tuple[bool, str | None]:
    if _is_missing(value):
        return True, None  # optional: most notices are not DV-witness ones
    return (True, value) if isinstance(value, str) and value in DV_ROUTES else (False, None)


_Parse = Callable[[Any], tuple[bool, Any]]


@cache
def _rules() -> tuple[tuple[str, _Parse, str], ...]:
    """Each outcome column, how its value is read, and what it must be."""
    id_pattern = notice_fields().patterns[NOTICE_ID]
    return (
        (NOTICE_ID, _parse_notice_id, f"a string matching {id_pattern}"),
        (RECORDED_HARM, _parse_harm, "0, 1, true or false"),
        (RECORDED_TIER, _parse_tier, "one of " + ", ".join(TIERS)),
        (RECORDED_DV_ROUTE, _parse_dv_route, "one of " + ", ".join(DV_ROUTES) + " or empty"),
    )


def _describe(value: Any) -> str:
    """What a refused value is (a string of 11 characters, a number), never what it says."""
    value_type: type = type(value)
    return describe_kind(value, kind_of_type(value_type))


def join_outcomes(
    notices: pd.DataFrame, outcomes: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The notices and their outcomes, row for row, for the ids found in both.

    Returns the notices (their order) and the outcomes aligned to them, both
    with a fresh index, and one message per kind of row left out: notices
    without an outcome, outcomes without a notice. These are counts, not
    errors: a case may close after the extract, or a notice be rejected.
    Raises ``InvalidParameter`` when either lacks ``notice_id`` or repeats one.
    """
    _require_ids(notices, "notices")
    _require_ids(outcomes, PARAM)
    has_outcome = notices[NOTICE_ID].isin(outcomes[NOTICE_ID]).to_numpy()
    has_notice = outcomes[NOTICE_ID].isin(notices[NOTICE_ID]).to_numpy()
    kept = notices.loc[has_outcome].reset_index(drop=True)
    at = pd.Index(outcomes[NOTICE_ID]).get_indexer(kept[NOTICE_ID])
    aligned = outcomes.iloc[at].reset_index(drop=True)
    messages = []
    if (~has_outcome).any():
        missing = notices[NOTICE_ID][~has_outcome]
        messages.append(
            _left_out(missing, "notice has no recorded outcome", "notices have no recorded outcome")
        )
    if (~has_notice).any():
        orphans = outcomes[NOTICE_ID][~has_notice]
        messages.append(_left_out(orphans, "outcome has no notice", "outcomes have no notice"))
    return kept, aligned, messages


def _left_out(ids: pd.Series, one: str, many: str) -> str:
    said = f"1 {one} and is" if len(ids) == 1 else f"{len(ids)} {many} and are"
    return f"{said} left out (first: notice_id {shorten(str(ids.iloc[0]))})"


def _require_ids(frame: pd.DataFrame, param: str) -> None:
    if NOTICE_ID not in frame.columns:
        raise InvalidParameter(f"{param}: expected a {NOTICE_ID} column", param=param)
    repeated = frame[NOTICE_ID][frame[NOTICE_ID].duplicated()]
    if len(repeated):
        raise InvalidParameter(
            f"{param}: expected each {NOTICE_ID} once, got {shorten(str(repeated.iloc[0]))} "
            "more than once",
            param=param,
        )
