"""Property tests of every notice reader under hostile input (issue 16, findings 6 and 10).

JSON Lines, Parquet and the in-memory records the API validates (``/api/score`` calls
``validate_notices`` on the decoded body): valid notices from ``notice_factory``
interleaved with generated junk (random bytes, deep nesting, huge strings, wrong
types, NaN, control characters, lone surrogates, repeated keys). Whatever the junk,
nothing is raised but a ``TriageError`` for a whole file that cannot be read, every
valid notice comes out in order, and no junk row gets in.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from notice_factory import make_frame, make_notice, make_records
from triage.cli.validate import run_validate_notices
from triage.contract import notice_fields
from triage.contract.errors import TriageError
from triage.notices import NoticeFileError, validate_notices

VALID = make_records(6, seed=11)
VALID_IDS = [r["notice_id"] for r in VALID]
FIELDS = notice_fields()
ID_PATTERN = re.compile(FIELDS.patterns["notice_id"])

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,  # nothing written outside pytest's temporary folders
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---------------------------------------------------------------- junk

_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(10**40), 10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["\ud800", "a\udfffb", "\x00", "\x1b[31m", "\u2028", "R07\n", " R07"]),
)
_json_value = st.recursive(
    _json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _nested(depth: int, kind: str) -> object:
    value: object = "deep"
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


@st.composite
def _wrong_notice(draw) -> dict:
    """A notice with one to three fields set to something else; its id is never valid."""
    row = make_notice(notice_id=draw(_bad_id))
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from([*FIELDS.all, "extra", "name", "山田"]))
        row[field] = draw(_json_value)
    row["notice_id"] = draw(_bad_id)
    return row


_bad_id = _json_value.filter(lambda v: not (isinstance(v, str) and ID_PATTERN.fullmatch(v)))

_junk_object = st.one_of(
    _wrong_notice(),
    _json_value,
    st.builds(_nested, st.integers(30, 3000), st.sampled_from(["list", "dict"])),
)


def _dumps(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (ValueError, RecursionError):  # beyond what the encoder takes: still a line
        return '{"deep": ' + "[" * 2000 + "]" * 2000 + "}"


_junk_line = st.one_of(
    st.binary(max_size=200).map(lambda b: b.replace(b"\n", b" ")),
    _junk_object.map(lambda v: _dumps(v).encode("utf-8", "surrogatepass")),
    st.integers(30, 5000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(30, 5000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.integers(1, 3000).map(lambda n: b'{"notice_id": "' + b"x" * n + b'"}'),
    st.just(b'{"notice_id": "' + b"x" * 1_100_000 + b'"}'),  # beyond the line limit
    st.sampled_from(
        [
            b'{"child_age_years": NaN}',
            b'{"siblings": Infinity, "prior_notices": -Infinity}',
            b'{"notice_id": "\\ud800"}',
            b'{"region_code": "R1", "region_code": "R2"}',
            b'{"a": 1' + b"9" * 5000 + b"}",
            b"\x00\x01\x02\x7f",
            b'"' + b'\\"[' * 30_000,  # escaped quotes: linear time, not quadratic
            b"\xef\xbb\xbf{}",
            b"\xff\xfe{\x00}\x00",
            b"   \t\r",
            b"",
        ]
    ),
)


@st.composite
def _interleaved(draw, junk):
    """The valid notices in order, with junk before, between and after them."""
    out: list[tuple[bool, object]] = []
    for notice in VALID:
        out.extend((False, j) for j in draw(st.lists(junk, max_size=2)))
        out.append((True, notice))
    out.extend((False, j) for j in draw(st.lists(junk, max_size=2)))
    return out


# ---------------------------------------------------------------- JSON Lines


def _strict(line: str) -> object:
    def refuse(name: str) -> object:
        raise AssertionError(f"{name} in the rejects file")

    return json.loads(line, parse_constant=refuse)


@SETTINGS
@given(_interleaved(_junk_line))
def test_json_lines_keep_every_valid_notice_whatever_lines_surround_them(tmp_path_factory, items):
    lines = [json.dumps(x).encode() if is_valid else x for is_valid, x in items]
    tmp = tmp_path_factory.mktemp("hostile")
    path = Path(tmp) / "n.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = validate_notices(path)  # never raises: one valid line is UTF-8
    assert result.records == VALID
    assert result.valid["notice_id"].tolist() == VALID_IDS
    valid_lines = {i + 1 for i, (is_valid, _) in enumerate(items) if is_valid}
    assert not valid_lines & set(result.rejected_rows)
    rejects = Path(tmp) / "rejects.jsonl"
    out = Console(record=True, width=300)
    assert run_validate_notices(path, rejects=rejects, console=out) in (0, 1)
    back = [_strict(line) for line in rejects.read_text("utf-8").splitlines()]
    assert [r["_row"] for r in back] == result.rejected_rows


@SETTINGS
@given(st.binary(max_size=3000))
def test_random_bytes_as_json_lines_are_rows_or_one_file_error(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("hostile")
    path = Path(tmp) / "n.jsonl"
    path.write_bytes(data)
    try:
        result = validate_notices(path)
    except NoticeFileError as exc:
        assert "\n" not in str(exc)
        return
    assert result.n_valid == 0
    assert result.n_rows == len(result.rejected_rows)


# ---------------------------------------------------------------- records (the API's path)


@SETTINGS
@given(_interleaved(_junk_object))
def test_records_keep_every_valid_notice_whatever_items_surround_them(items):
    records = [x for _, x in items]
    result = validate_notices(records)
    assert result.records == VALID
    assert result.valid["notice_id"].tolist() == VALID_IDS
    json.dumps(result.rejected, default=str)  # plain data: the API can return it
    for e in result.errors:
        assert "\n" not in e.message and len(e.message) < 400


# ---------------------------------------------------------------- Parquet

_TABLE = make_frame(6, seed=11)
_TEXT = st.text(max_size=40) | st.text(
    alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Lo", "Zs"]), max_size=20
)


def _junk_cell(column: str):
    if column in FIELDS.integers:
        return st.integers(-(2**63), 2**63 - 1) | st.none()
    if column in FIELDS.booleans:
        return st.booleans() | st.none()
    if column == "alleged_types":
        return st.lists(_TEXT, max_size=3) | st.none()
    return _TEXT | st.integers(0, 40).map(lambda n: "x" * (n * 100)) | st.none()


@st.composite
def _junk_row(draw) -> dict:
    """A valid row with a few cells replaced by junk of the column's type; its id invalid."""
    row = dict(_TABLE.iloc[draw(st.integers(0, len(_TABLE) - 1))])
    for column in draw(st.lists(st.sampled_from(list(_TABLE.columns)), max_size=4)):
        row[column] = draw(_junk_cell(column))
    row["notice_id"] = draw(_TEXT.filter(lambda v: not ID_PATTERN.fullmatch(v)))
    return row


def _arrow_type(column: str) -> pa.DataType:
    if column in FIELDS.integers:
        return pa.int64()
    if column in FIELDS.booleans:
        return pa.bool_()
    if column == "alleged_types":
        return pa.list_(pa.string())
    return pa.string()


@settings(SETTINGS, max_examples=30)  # a Parquet file per example: the slowest reader here
@given(_interleaved(_junk_row()))
def test_parquet_keeps_every_valid_notice_whatever_rows_surround_them(tmp_path_factory, items):
    valid_rows = iter(_TABLE.to_dict("records"))
    rows = [next(valid_rows) if is_valid else x for is_valid, x in items]
    columns = {
        c: pa.array([_plain(r.get(c)) for r in rows], type=_arrow_type(c)) for c in _TABLE.columns
    }
    tmp = tmp_path_factory.mktemp("hostile")
    path = Path(tmp) / "n.parquet"
    pq.write_table(pa.table(columns), path)
    result = validate_notices(path)
    assert result.valid["notice_id"].tolist() == VALID_IDS
    assert len(result.rejected_rows) == len(rows) - len(VALID_IDS)


def _plain(value):
    return None if isinstance(value, float) else value  # NaN: a null cell


@SETTINGS
@given(st.binary(max_size=2000), st.integers(0, 100))
def test_random_or_cut_parquet_is_one_file_error(tmp_path_factory, data, cut_percent):
    tmp = tmp_path_factory.mktemp("hostile")
    whole = Path(tmp) / "whole.parquet"
    _TABLE.to_parquet(whole)
    good = whole.read_bytes()
    for name, content in [
        ("random.parquet", data),
        ("cut.parquet", good[: len(good) * cut_percent // 100]),
    ]:
        path = Path(tmp) / name
        path.write_bytes(content)
        try:
            result = validate_notices(path)
        except TriageError as exc:
            assert isinstance(exc, NoticeFileError) and "\n" not in str(exc)
            continue
        assert result.valid["notice_id"].tolist() == _TABLE["notice_id"].tolist()
