"""Property tests of the CSV readers under hostile input (issue 16, findings 6 and 10).

An agency's outcomes file (``read_outcomes``), a user's aggregates table
(``read_aggregates_table``) and the scored table of ``triage audit --scores``:
valid rows interleaved with generated junk lines (random bytes, undecodable text,
open quotes, formula-looking and very long cells, NaN and huge numbers, control
characters, rows of the wrong width). Whatever the junk, nothing is raised but a
``TriageError``, every valid row is kept, and a marker value planted in a refused
cell (a name and a phone number) appears in no message.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from triage.aggregates.outcomes import read_outcomes
from triage.cli import app
from triage.contract import TIERS
from triage.contract.errors import TriageError
from triage.synth import load_spec
from triage.synth.calibrate import (
    HEADER as AGGREGATES_HEADER,
)
from triage.synth.calibrate import (
    CalibrationError,
    aggregates_vocabulary,
    read_aggregates_table,
)

MARKER = "山田太郎090"
"""An identifying value a careless export puts in the wrong cell: it must never be echoed."""

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,  # nothing written outside pytest's temporary folders
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---------------------------------------------------------------- junk lines

_cell = st.one_of(
    st.just(MARKER),
    st.sampled_from(
        ["=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "NaN", "nan",
         "inf", "-Infinity", "1e309", "9" * 400, "", " ", "\x00", "\x1b[31m", "\u2028", "\ufeff",
         "0x1", "1,0", "TRUE", "yes"]
    ),  # fmt: skip
    st.text(max_size=20),
    st.integers(-(10**30), 10**30).map(str),
    st.floats().map(repr),
)


def _csv_line(cells: list[str]) -> bytes:
    """One CSV line of ``cells``, quoted as a spreadsheet would; newlines inside become spaces."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(
        [c.replace("\n", " ").replace("\r", " ") for c in cells]
    )
    return out.getvalue().encode("utf-8", "surrogatepass")


def _marked(cells: list[str], at: int) -> list[str]:
    """``cells`` with the marker in cell ``at``: the row is refused because of it."""
    return [MARKER if i == at else c for i, c in enumerate(cells)]


def _junk_lines(width: int, valid_cells: st.SearchStrategy[list[str]]) -> st.SearchStrategy[bytes]:
    """Lines that are never a valid row; ``valid_cells`` gives a valid row's cells."""
    marked_row = st.tuples(valid_cells, st.integers(0, width - 1)).map(
        lambda t: _csv_line(_marked(*t))
    )
    return st.one_of(
        marked_row,
        marked_row,
        st.lists(_cell, min_size=0, max_size=width + 2)
        .filter(lambda cells: len(cells) != width)
        .map(_csv_line),
        st.binary(max_size=200).map(lambda b: b"\xff" + b.replace(b"\n", b" ").replace(b"\r", b" ")),
        valid_cells.map(lambda cells: b'"' + _csv_line(cells)),  # an open quote
        valid_cells.map(lambda cells: b"\xe5" + _csv_line(cells)),  # a cut character
        st.integers(1, 300).map(lambda n: MARKER.encode() + b"," + b"x" * (n * 1000)),
        st.just(MARKER.encode() + b',"' + b"y" * 200_000 + b'",1'),  # beyond csv's field limit
        st.just(b'"' + MARKER.encode() + b"\n" + b'still inside the quote",' + MARKER.encode()),
        st.just(b"\x00\x01\x02" + MARKER.encode()),
        st.just(MARKER.encode("cp932") + b",1,2,3"),
    )


@st.composite
def _interleaved(draw, valid: list[bytes], junk: st.SearchStrategy[bytes]):
    """The valid lines in order, with junk lines before, between and after them."""
    out: list[tuple[bool, bytes]] = []
    for line in valid:
        out.extend((False, j) for j in draw(st.lists(junk, max_size=2)))
        out.append((True, line))
    out.extend((False, j) for j in draw(st.lists(junk, max_size=2)))
    return out


def _write(tmp_path_factory, name: str, header: bytes, items, line_end: bytes) -> Path:
    path = Path(tmp_path_factory.mktemp("hostile")) / name
    path.write_bytes(line_end.join([header, *(line for _, line in items)]) + line_end)
    return path


def _line_numbers(header: bytes, items, *, valid: bool) -> list[int]:
    """Editor line numbers (header = line 1) of the valid or the junk lines; blank ones skipped."""
    numbers, number = [], 1 + header.count(b"\n")
    for is_valid, item in items:
        for line in item.split(b"\n"):
            number += 1
            if is_valid == valid and line.decode("utf-8", "replace").strip():
                numbers.append(number)
    return numbers


def _no_marker(messages: list[str]) -> None:
    for message in messages:
        assert MARKER not in message, message
        assert "\n" not in message and "\r" not in message, message


# ---------------------------------------------------------------- outcomes


OUTCOME_HEADER = b"notice_id,recorded_harm_90d,recorded_tier"
_valid_outcome = st.tuples(
    st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True),
    st.sampled_from(["0", "1", "true", "false"]),
    st.sampled_from(list(TIERS)),
).map(list)
VALID_OUTCOMES = [
    _csv_line([f"N-{i:03d}", str(i % 2), TIERS[i % len(TIERS)]]) for i in range(6)
]


@SETTINGS
@given(
    _interleaved(VALID_OUTCOMES, _junk_lines(3, _valid_outcome)),
    st.sampled_from([b"\n", b"\r\n"]),
)
def test_outcomes_csv_keeps_every_valid_row_and_never_shows_a_refused_value(
    tmp_path_factory, items, line_end
):
    path = _write(tmp_path_factory, "outcomes.csv", OUTCOME_HEADER, items, line_end)
    result = read_outcomes(path)  # one junk line is never the whole file's error
    assert result.valid["notice_id"].tolist() == [f"N-{i:03d}" for i in range(6)]
    assert result.rejected_rows == _line_numbers(OUTCOME_HEADER, items, valid=False)
    _no_marker([e.message for e in result.errors])
    assert all(e.notice_id is None or MARKER not in e.notice_id for e in result.errors)


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes_as_an_outcomes_csv_are_rows_or_one_file_error(tmp_path_factory, data):
    path = Path(tmp_path_factory.mktemp("hostile")) / "outcomes.csv"
    path.write_bytes(data)
    try:
        result = read_outcomes(path)
    except TriageError as exc:
        _no_marker([str(exc)])
        return
    _no_marker([e.message for e in result.errors])


@SETTINGS
@given(
    st.lists(
        st.sampled_from(
            ["notice_id", "recorded_harm_90d", "recorded_tier", "recorded_dv_route", "p_harm",
             MARKER, "", " notice_id", "notice_id\x00", "=cmd"]
        ),  # fmt: skip
        max_size=5,
    )
)
def test_a_hostile_outcomes_header_is_one_line_naming_no_marker(tmp_path_factory, names):
    path = Path(tmp_path_factory.mktemp("hostile")) / "outcomes.csv"
    path.write_bytes(_csv_line(names) + b"\nN-1,0,urgent\n")
    try:
        read_outcomes(path)
    except TriageError as exc:
        _no_marker([str(exc)])


# ---------------------------------------------------------------- aggregates (triage synth)

VOCABULARY = aggregates_vocabulary(load_spec())
_valid_aggregate = st.tuples(
    st.integers(1990, 2030).map(str),
    st.sampled_from(sorted(VOCABULARY)).flatmap(
        lambda d: st.tuples(st.just(d), st.sampled_from(sorted(VOCABULARY[d])))
    ),
    st.integers(0, 10**6).map(str),
    st.text(max_size=10),
).map(lambda t: [t[0], t[1][0], t[1][1], t[2], t[3]])
VALID_AGGREGATES = [
    _csv_line([str(2000 + i), "route", c, str(10 * i), "prefecture table"])
    for i, c in enumerate(sorted(VOCABULARY["route"])[:4])
]


def _aggregate_junk() -> st.SearchStrategy[bytes]:
    # the marker in the source column is no refused value: that row is used and stays
    refused_cells = st.tuples(_valid_aggregate, st.integers(0, 3)).map(
        lambda t: _csv_line(_marked(*t))
    )
    return st.one_of(refused_cells, _junk_lines(5, _valid_aggregate).filter(_not_a_row))


def _not_a_row(line: bytes) -> bool:
    """Junk lines with the marker only in ``source`` would be usable rows: not junk."""
    text = line.decode("utf-8", "replace")
    try:
        fields = next(csv.reader([text]), [])
    except csv.Error:
        return True
    return not (len(fields) == 5 and MARKER not in "".join(fields[:4]) and MARKER in fields[4])


@SETTINGS
@given(_interleaved(VALID_AGGREGATES, _aggregate_junk()), st.sampled_from([b"\n", b"\r\n"]))
def test_aggregates_csv_keeps_every_valid_row_and_never_shows_a_refused_value(
    tmp_path_factory, items, line_end
):
    header = ",".join(AGGREGATES_HEADER).encode()
    path = _write(tmp_path_factory, "pref.csv", header, items, line_end)
    table = read_aggregates_table(path, VOCABULARY)
    assert table.rows["line"].tolist() == _line_numbers(header, items, valid=True)
    assert table.rows["fiscal_year"].tolist() == [2000 + i for i in range(len(VALID_AGGREGATES))]
    left_out = [row.line for row in table.left_out]
    junk = _line_numbers(header, items, valid=False)
    assert set(left_out) <= set(junk)  # a junk line of only separators is blank: skipped
    _no_marker([row.reason for row in table.left_out])


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes_as_an_aggregates_table_are_rows_or_one_file_error(tmp_path_factory, data):
    path = Path(tmp_path_factory.mktemp("hostile")) / "pref.csv"
    path.write_bytes(data)
    try:
        table = read_aggregates_table(path, VOCABULARY)
    except CalibrationError as exc:
        _no_marker([str(exc)])
        return
    _no_marker([row.reason for row in table.left_out])


def test_an_aggregates_header_holding_a_value_does_not_show_it(tmp_path):
    path = tmp_path / "pref.csv"
    path.write_text(f"2023,route,police_etc,{MARKER}\n2023,route,police_etc,5\n", "utf-8")
    with pytest.raises(CalibrationError) as caught:
        read_aggregates_table(path, VOCABULARY)
    _no_marker([str(caught.value)])
    assert "line 1: expected the header" in str(caught.value)


# ---------------------------------------------------------------- triage audit --scores

AUDIT_HEADER = b"y,risk,a,b"
_valid_scored = st.tuples(
    st.sampled_from(["0", "1"]),
    st.floats(0, 1).map(repr),
    st.sampled_from(["p", "q"]),
    st.sampled_from(["r", "s"]),
).map(list)
VALID_SCORED = [
    _csv_line([str(i % 2), f"{(i % 10) / 10:.1f}", "pq"[i % 2], "rs"[i // 2 % 2]])
    for i in range(40)
]


def _audit(path: Path):
    return CliRunner().invoke(
        app,
        ["audit", "--scores", str(path), "--label", "y", "--score", "risk", "--threshold", "0.2",
         "--sensitive", "a,b", "--n-boot", "10", "--min-n", "1", "--no-mlflow"],
    )  # fmt: skip


def _one_error_line(res) -> None:
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    assert MARKER not in res.output, res.output
    if res.exit_code != 0:
        assert res.exit_code == 2, res.output
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), res.output


def _refused_scored_row() -> st.SearchStrategy[bytes]:
    """A scored row with the marker as its label or score: the table is refused, unechoed."""
    return st.tuples(_valid_scored, st.integers(0, 1)).map(lambda t: _csv_line(_marked(*t)))


@settings(SETTINGS, max_examples=30)  # an audit per example: ~0.3 s each
@given(
    st.lists(st.one_of(_refused_scored_row(), _junk_lines(4, _valid_scored)), min_size=1, max_size=3),
    st.lists(st.integers(0, len(VALID_SCORED)), min_size=3, max_size=3),
)
def test_audit_of_a_hostile_csv_is_one_error_line_never_a_traceback(tmp_path_factory, junk, at):
    lines = list(VALID_SCORED)
    for position, line in zip(at, junk, strict=False):
        lines.insert(min(position, len(lines)), line)
    path = Path(tmp_path_factory.mktemp("hostile")) / "scores.csv"
    path.write_bytes(b"\n".join([AUDIT_HEADER, *lines]) + b"\n")
    _one_error_line(_audit(path))


@settings(SETTINGS, max_examples=30)
@given(st.binary(max_size=1500))
def test_audit_of_random_bytes_is_one_error_line_never_a_traceback(tmp_path_factory, data):
    path = Path(tmp_path_factory.mktemp("hostile")) / "scores.csv"
    path.write_bytes(data)
    _one_error_line(_audit(path))



def test_the_audits_column_checks_name_rows_never_values():
    import pandas as pd

    from triage.audit.groups import binary_column, score_column

    frame = pd.DataFrame({"y": [0, 1, "山田太郎090", 1], "s": [0.1, 1.5, 0.2, "山田太郎090"]})
    for check, column, row in ((binary_column, "y", 3), (score_column, "s", 2)):
        with pytest.raises(ValueError) as caught:
            check(frame, column)
        assert "山田太郎090" not in str(caught.value)
        assert f"row {row}" in str(caught.value) or "non-numbers" in str(caught.value)
