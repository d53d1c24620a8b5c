from __future__ import annotations

import calendar
import json
import math
import re
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from rich.console import Console

from notice_factory import DROP, make_frame, make_notice, make_records
from triage.cli.validate import run_validate_notices
from triage.contract import load_schema, notice_fields
from triage.notices import (
    MISSING_FIELD,
    UNKNOWN_FIELD,
    WRONG_VALUE,
    refused_column_message,
    validate_notices,
    write_notices,
)

SECRET = "Yamada Taro"  # an identifier value that must never reach any output


def _fields_by_row(result):
    out: dict[int, set[str | None]] = {}
    for e in result.errors:
        out.setdefault(e.row, set()).add(e.field)
    return out


def _write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


# ---------------------------------------------------------------- single problems


def test_a_wrong_enum_names_row_field_and_expected_values_but_not_the_value():
    result = validate_notices(
        [make_notice(notice_id="A"), make_notice(notice_id="B", route="bicycle")]
    )
    (error,) = result.errors
    assert (error.row, error.notice_id, error.field) == (2, "B", "route")
    assert error.message.startswith("route: expected one of police, neighbour")
    assert error.message.endswith("got a string of 7 characters")
    assert "bicycle" not in error.message
    assert result.valid["notice_id"].tolist() == ["A"]


def test_an_age_of_19_is_rejected_with_the_range():
    result = validate_notices([make_notice(child_age_years=19)])
    (error,) = result.errors
    assert error.message == "child_age_years: expected an integer 0–17, got a number above 17"
    assert error.message == WRONG_VALUE.format(
        field="child_age_years", expected="an integer 0–17", got="a number above 17"
    )


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("child_age_years", True, False),
        ("child_age_years", 3.0, True),
        ("child_age_years", 3.5, False),
        ("child_age_years", "3", False),
        ("child_disability", "yes", False),
        ("child_disability", 1, False),
        ("child_disability", None, True),
        ("region_code", None, False),  # JSON null is not "absent" for a non-nullable field
        ("siblings", None, False),
        ("safety_confirmed_at", None, True),
        ("received_at", "2023-04-03T09:15:00", False),
        ("received_at", "2023-13-01T00:00:00+09:00", False),
        ("received_at", "2023-02-29T00:00:00Z", False),
        ("received_at", "2024-02-29t00:00:00z", True),
        ("received_at", "2023-04-03 09:15:00+09:00", False),
        ("alleged_types", [], False),
        ("alleged_types", ["neglect", "neglect"], False),
        ("alleged_types", ["neglect", "hunger"], False),
        ("alleged_types", "neglect", False),
        ("notice_id", "has space", False),
        ("notice_id", "x" * 65, False),
    ],
)
def test_json_values_follow_the_schema(field, value, ok):
    result = validate_notices([make_notice(**{field: value})])
    assert (result.errors == []) is ok, result.errors
    if not ok:
        assert {e.field for e in result.errors} == {field}


def test_every_problem_of_a_bad_row_is_reported():
    row = make_notice(route="bus", child_age_years=-1, injury=DROP, extra_thing=1)
    result = validate_notices([row])
    assert [e.field for e in result.errors] == ["route", "child_age_years", "injury", "extra_thing"]
    assert result.errors[2].message == MISSING_FIELD.format(field="injury")
    assert result.errors[3].message == UNKNOWN_FIELD.format(field="extra_thing")
    # the rejects keep the row's number, its problems and the values that passed
    (rejected,) = result.rejected
    assert rejected["_row"] == 1
    assert rejected["_errors"] == [e.message for e in result.errors]
    withheld = {"route", "child_age_years", "extra_thing"}
    assert {k: v for k, v in rejected.items() if not k.startswith("_")} == {
        k: v for k, v in row.items() if k not in withheld
    }


def test_repeated_notice_ids_after_the_first_are_errors():
    rows = [make_notice(notice_id=i) for i in ("A", "B", "A", "A")]
    result = validate_notices(rows)
    assert [(e.row, e.field) for e in result.errors] == [(3, "notice_id"), (4, "notice_id")]
    assert "already on row 1" in result.errors[0].message
    assert result.valid["notice_id"].tolist() == ["A", "B"]


def test_in_a_table_a_null_cell_is_an_absent_field():
    frame = pd.DataFrame(
        [make_notice(notice_id="A"), make_notice(notice_id="B", region_code=None, child_sex=None)]
    )
    frame["remark_free"] = None  # an unknown column, null everywhere: ignored
    result = validate_notices(frame)
    assert [(e.row, e.field) for e in result.errors] == [(2, "child_sex")]
    assert result.errors[0].message == MISSING_FIELD.format(field="child_sex")


def test_a_naive_timestamp_column_in_a_table_is_an_error():
    frame = pd.DataFrame([make_notice()])
    frame["received_at"] = pd.to_datetime(["2023-04-03 09:15:00"])
    result = validate_notices(frame)
    (error,) = result.errors
    assert error.field == "received_at" and error.message.endswith(
        ", got a date-time without an offset"
    )


def test_tz_aware_timestamps_and_numpy_types_are_accepted_in_a_table():
    frame = make_frame(20, seed=4)
    frame["received_at"] = pd.to_datetime(frame["received_at"], utc=True, format="ISO8601")
    frame["child_age_years"] = frame["child_age_years"].astype("int64")
    frame["prior_notices"] = frame["prior_notices"].astype("Int64")
    result = validate_notices(frame)
    assert result.errors == []
    assert result.valid["received_at"].equals(
        validate_notices(make_frame(20, 4)).valid["received_at"]
    )


def test_long_values_are_described_by_their_length_not_quoted():
    result = validate_notices([make_notice(route="x" * 500)])
    assert len(result.errors[0].message) < 250
    assert result.errors[0].message.endswith("got a string of 500 characters")
    assert "xx" not in result.errors[0].message


# ---------------------------------------------------------------- direct identifiers


def _assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text


def test_a_name_column_in_a_dataframe_is_refused_and_its_values_never_shown():
    frame = make_frame(4, seed=1)
    frame["name"] = [None, SECRET, None, None]
    result = validate_notices(frame)
    assert result.refused_columns == {"name": "a person's name"}
    assert refused_column_message("name", "a person's name") == (
        "column 'name' is refused: it looks like a direct identifier (a person's name); "
        "notices must be pseudonymous, see notice.schema.json"
    )
    (error,) = result.errors
    assert (error.row, error.field) == (2, "name")
    assert result.n_valid == 3  # rows where the identifier is null stay valid
    assert "name" not in result.valid.columns
    assert all("name" not in r for r in result.rejected)
    _assert_no_secret(*(e.message for e in result.errors), repr(result.rejected))


def test_a_name_column_in_parquet_is_refused(tmp_path):
    frame = make_frame(3, seed=2)
    frame["name"] = [SECRET, None, None]
    path = tmp_path / "n.parquet"
    frame.to_parquet(path)
    rejects = tmp_path / "rejects.parquet"
    out = Console(record=True, width=200)
    code = run_validate_notices(path, rejects=rejects, console=out)
    assert code == 1
    printed = out.export_text()
    assert "column 'name' is refused" in printed
    back = pq.read_table(rejects).to_pylist()
    assert [r["notice_id"] for r in back] == [frame.loc[0, "notice_id"]]
    assert "name" not in back[0]
    _assert_no_secret(printed, rejects.read_bytes().decode("latin-1"))


def test_a_name_key_in_one_json_line_rejects_that_line_only(tmp_path):
    rows = [make_notice(notice_id=f"N{i}") for i in range(3)]
    rows[1]["name"] = SECRET
    path = _write_jsonl(tmp_path / "n.jsonl", rows)
    rejects = tmp_path / "rejects.jsonl"
    out = Console(record=True, width=200)
    assert run_validate_notices(path, rejects=rejects, console=out) == 1
    result = validate_notices(path)
    assert [(e.row, e.notice_id, e.field) for e in result.errors] == [(2, "N1", "name")]
    assert result.valid["notice_id"].tolist() == ["N0", "N2"]
    rejected = [json.loads(line) for line in rejects.read_text("utf-8").splitlines()]
    assert rejected == [
        {
            "_row": 2,
            "_errors": [result.errors[0].message],
            **{k: v for k, v in rows[1].items() if k != "name"},
        }
    ]
    _assert_no_secret(out.export_text(), rejects.read_text("utf-8"))


def test_a_truncated_line_naming_an_identifier_is_withheld_from_the_rejects(tmp_path):
    rows = [json.dumps(make_notice(notice_id=f"N{i}", name=SECRET)) for i in range(2)]
    path = tmp_path / "n.jsonl"
    cut = rows[1][: rows[1].index(SECRET) + 5]
    path.write_text(rows[0] + "\n" + cut + "\n", "utf-8")
    result = validate_notices(path)
    assert result.rejected[1] == {"_row": 2, "_errors": [result.errors[-1].message]}
    _assert_no_secret(repr(result.rejected), *(e.message for e in result.errors))


# ---------------------------------------------------------------- files and CLI


def test_a_malformed_date_in_a_jsonl_file(tmp_path):
    rows = [
        make_notice(notice_id="A"),
        make_notice(notice_id="B", received_at="2023-04-31T10:00:00+09:00"),
    ]
    path = _write_jsonl(tmp_path / "n.jsonl", rows)
    rejects = tmp_path / "rejects.jsonl"
    code = run_validate_notices(path, rejects=rejects, console=Console(record=True))
    assert code == 1
    result = validate_notices(path)
    assert [(e.row, e.notice_id, e.field) for e in result.errors] == [(2, "B", "received_at")]
    assert result.errors[0].message.endswith("got a string of 25 characters")
    assert json.loads(rejects.read_text("utf-8")) == {
        "_row": 2,
        "_errors": [result.errors[0].message],
        **{k: v for k, v in rows[1].items() if k != "received_at"},
    }


def test_a_truncated_json_line_is_a_row_error_and_the_rest_loads(tmp_path):
    rows = [json.dumps(make_notice(notice_id=f"N{i}")) for i in range(3)]
    path = tmp_path / "n.jsonl"
    path.write_text(rows[0] + "\n" + rows[1][:60] + "\n\n" + rows[2] + "\n", "utf-8")
    rejects = tmp_path / "rejects.jsonl"
    assert run_validate_notices(path, rejects=rejects, console=Console(record=True)) == 1
    result = validate_notices(path)
    (error,) = result.errors
    assert error.row == 2 and error.field is None
    assert error.message.startswith("line is not valid JSON: ")
    assert result.valid["notice_id"].tolist() == ["N0", "N2"]
    assert result.n_rows == 3 and result.rejected_rows == [2]
    # the line's text is not kept: it may hold anything
    assert json.loads(rejects.read_text("utf-8")) == {"_row": 2, "_errors": [error.message]}


def test_a_wrong_enum_in_a_dataframe_and_in_parquet(tmp_path):
    frame = make_frame(5, seed=3)
    frame.loc[3, "injury"] = "grave"
    for source in (frame, frame.to_parquet(tmp_path / "n.parquet") or tmp_path / "n.parquet"):
        result = validate_notices(source)
        assert [(e.row, e.field) for e in result.errors] == [(4, "injury")]
        assert "injury" not in result.rejected[0]  # the value at fault is withheld
        assert result.rejected[0]["notice_id"] == frame.loc[3, "notice_id"]
        assert result.n_valid == 4


def test_all_valid_file_exits_0_and_writes_an_empty_rejects_file(tmp_path):
    path = write_notices(validate_notices(make_records(5)).valid, tmp_path / "n.parquet")
    rejects = tmp_path / "rejects.jsonl"
    out = Console(record=True, width=200)
    assert run_validate_notices(path, rejects=rejects, console=out) == 0
    assert "5 rows, 5 valid, 0 rejected" in out.export_text()
    assert rejects.read_bytes() == b""


def test_missing_or_unreadable_file_exits_2(tmp_path):
    out = Console(record=True, width=200)
    assert run_validate_notices(tmp_path / "nope.jsonl", rejects=None, console=out) == 2
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    assert run_validate_notices(broken, rejects=None, console=out) == 2
    assert "no such file" in out.export_text()


def test_the_printed_error_list_is_capped(tmp_path):
    rows = [make_notice(notice_id=f"N{i}", route="bus") for i in range(60)]
    path = _write_jsonl(tmp_path / "n.jsonl", rows)
    out = Console(record=True, width=200)
    assert run_validate_notices(path, rejects=None, console=out) == 1
    text = out.export_text()
    assert "… and 10 more" in text
    assert "N49" in text and "N50" not in text


@pytest.mark.slow
def test_200k_table_rows_keep_every_valid_row():
    frame = make_frame(2_000, seed=9)
    big = pd.concat([frame] * 100, ignore_index=True)
    big["notice_id"] = [f"N{i:07d}" for i in range(len(big))]
    big.loc[[10, 150_000], "child_age_years"] = 19
    result = validate_notices(big)
    assert [e.row for e in result.errors] == [11, 150_001]
    assert result.n_valid == 199_998


# ---------------------------------------------------------------- property: agree with jsonschema

_RFC3339 = re.compile(
    r"^(\d{4})-(0[1-9]|1[0-2])-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?"
    r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)\Z",  # \Z: the contract allows no trailing newline
    re.ASCII,
)


def _reference_datetime(instance: object) -> bool:
    """What jsonschema's date-time check does with rfc3339-validator installed.

    rfc3339-validator is not installed here, and without it jsonschema skips
    the date-time format silently. So the reference is written out: the same
    RFC 3339 regex on the upper-cased string, then a calendar check of the day.
    """
    if not isinstance(instance, str):
        return True
    m = _RFC3339.match(instance.upper())
    if m is None:
        return False
    year, month, day = (int(g) for g in m.groups())
    if year == 0:
        return False
    return 1 <= day <= calendar.monthrange(year, month)[1]


def _reference_validator() -> Draft202012Validator:
    checker = Draft202012Validator.FORMAT_CHECKER
    if "date-time" not in checker.checkers:
        checker = FormatChecker()
        checker.checks("date-time")(_reference_datetime)
    return Draft202012Validator(load_schema("notice"), format_checker=checker)


REFERENCE = _reference_validator()
FIELDS = notice_fields()
TYPES = ("physical", "neglect", "sexual", "psychological")

_offsets = st.sampled_from(["Z", "z", "+09:00", "-05:30", "+00:00", "+23:59"])
_datetimes = st.builds(
    lambda dt, frac, off, t: dt.strftime("%Y-%m-%d") + t + dt.strftime("%H:%M:%S") + frac + off,
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31)),
    st.sampled_from(["", ".5", ".123456", ".123456789"]),
    _offsets,
    st.sampled_from(["T", "T", "t"]),
)
_bad_datetimes = st.sampled_from(
    [
        "2023-13-01T00:00:00+09:00",
        "2023-02-29T00:00:00Z",
        "2024-02-29T00:00:00Z",
        "2023-04-31T00:00:00Z",
        "2023-04-03T09:15:00",
        "2023-04-03 09:15:00+09:00",
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-23:59",
        "2023-04-03T24:00:00Z",
        "2023-04-03T09:15:60Z",
        "2023-04-03T09:15:00+0900",
        "2023-04-03",
        "",
        "２０２３-04-03T09:15:00Z",
        "2023-04-03T09:15:00Z\n",
    ]
)
_all_enum_values = sorted({v for vs in FIELDS.enums.values() for v in vs})
_any_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 120),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 3.0, 17.0, 18.0, -1.0, 2.5]),
    st.text(max_size=8),
    st.sampled_from(_all_enum_values),
    st.lists(st.sampled_from([*TYPES, "bogus", 1]), max_size=4),
    _datetimes,
    _bad_datetimes,
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True),
)
_OPTIONAL = object()


def _field_strategy(field: str):
    if field in FIELDS.enums:
        return st.sampled_from(FIELDS.enums[field])
    if field in FIELDS.booleans:
        return st.one_of(st.none(), st.booleans())
    if field in FIELDS.integers:
        lo, hi = FIELDS.integers[field]
        return st.integers(lo, hi)
    if field in FIELDS.datetimes:
        return st.one_of(st.none(), _datetimes) if field in FIELDS.nullable else _datetimes
    if field == "alleged_types":
        return st.lists(st.sampled_from(TYPES), min_size=1, max_size=4, unique=True)
    if field == "region_code":
        return st.from_regex(r"[A-Za-z0-9_-]{1,16}", fullmatch=True)
    raise AssertionError(field)


@st.composite
def _valid_row(draw, index: int):
    row = {"notice_id": f"N{index}"}
    for field in FIELDS.all[1:]:
        if field not in FIELDS.required and draw(st.booleans()):
            continue  # optional field left out
        row[field] = draw(_field_strategy(field))
    return row


@st.composite
def _row(draw, index: int):
    row = draw(_valid_row(index))
    for _ in range(draw(st.integers(0, 2))):
        how = draw(st.sampled_from(["set", "set", "set", "drop", "extra"]))
        if how == "set":
            row[draw(st.sampled_from(FIELDS.all))] = draw(_any_value)
        elif how == "drop":
            row.pop(draw(st.sampled_from(FIELDS.all)), None)
        else:
            row[draw(st.sampled_from(["extra", "name", "colour_code"]))] = draw(_any_value)
    return row


@st.composite
def _batch(draw):
    n = draw(st.integers(1, 6))
    return [draw(_row(i)) for i in range(n)]


def _expected_valid(rows, *, table: bool) -> list[int]:
    seen: set[str] = set()
    out = []
    for i, row in enumerate(rows, start=1):
        if table:  # a null cell is an absent field
            row = {k: v for k, v in row.items() if not (v is None or _is_nan(v))}
        ok = (
            REFERENCE.is_valid(row)
            and _patterns_fullmatch(row)
            and _confirmed_not_before_received(row)
        )
        nid = row.get("notice_id")
        if isinstance(nid, str):
            ok = ok and nid not in seen
            seen.add(nid)
        if ok:
            out.append(i)
    return out


def _patterns_fullmatch(row) -> bool:
    """jsonschema matches a pattern with re.search, where `$` also matches before a final
    newline; the contract means the whole string (measured-pitfalls 11)."""
    return all(
        not isinstance(row.get(f), str) or re.fullmatch(pattern, row[f]) is not None
        for f, pattern in FIELDS.patterns.items()
    )


def _confirmed_not_before_received(row) -> bool:
    """A safety confirmation cannot precede the notice (issue 16, finding 7); only
    compared when both are valid date-times (else the row fails the schema anyway)."""
    received, confirmed = row.get("received_at"), row.get("safety_confirmed_at")
    if not (isinstance(received, str) and isinstance(confirmed, str)):
        return True
    if not (_reference_datetime(received) and _reference_datetime(confirmed)):
        return True
    return _utc_micros(confirmed) >= _utc_micros(received)


def _utc_micros(text: str) -> int:
    """Microseconds since 0001-01-01 UTC, in plain integers (no datetime range limit);
    finer fractions truncated, as the notice frame holds microseconds."""
    m = re.fullmatch(
        r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))",
        text.upper(),
    )
    assert m is not None, text
    y, mo, d, h, mi, sec = (int(g) for g in m.groups()[:6])
    micros = int(((m[7] or "") + "000000")[:6])
    offset = 0 if m[8] == "Z" else (1 if m[9] == "+" else -1) * (int(m[10]) * 60 + int(m[11]))
    seconds = datetime(y, mo, d).toordinal() * 86_400 + h * 3600 + mi * 60 + sec - offset * 60
    return seconds * 1_000_000 + micros


def _is_nan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _actual_valid(result, n: int) -> list[int]:
    bad = set(result.rejected_rows)
    assert bad == {e.row for e in result.errors}
    return [i for i in range(1, n + 1) if i not in bad]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_batch())
def test_json_rows_are_accepted_exactly_when_jsonschema_accepts_them(rows):
    result = validate_notices(rows)
    expected = _expected_valid(rows, table=False)
    assert _actual_valid(result, len(rows)) == expected
    assert result.n_valid == len(expected)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "n.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
        from_file = validate_notices(path)
        assert _actual_valid(from_file, len(rows)) == expected
        # A line holding NaN or Infinity is not JSON, so the file reader refuses the whole
        # line where the in-memory path names the field; every other message is the same.
        strict = [_strict_json(r) for r in rows]
        assert [e.message for e in from_file.errors if strict[e.row - 1]] == [
            e.message for e in result.errors if strict[e.row - 1]
        ]
        assert all(
            e.message.startswith("line is not valid JSON")
            for e in from_file.errors
            if not strict[e.row - 1]
        )


def _strict_json(row) -> bool:
    try:
        json.dumps(row, allow_nan=False)
    except ValueError:
        return False
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_batch())
def test_table_rows_are_accepted_exactly_when_jsonschema_accepts_them_without_nulls(rows):
    frame = pd.DataFrame(rows)
    result = validate_notices(frame)
    # read the cells back the way pandas stored them (None may have become NaN)
    cells = [{k: v for k, v in r.items()} for r in frame.to_dict("records")]
    expected = _expected_valid(cells, table=True)
    assert _actual_valid(result, len(rows)) == expected


def test_the_reference_date_time_check_is_strict():
    assert _reference_datetime("2023-04-03T09:15:00+09:00")
    assert not _reference_datetime("2023-04-03T09:15:00")
    assert not _reference_datetime("2023-13-01T00:00:00+09:00")
    offset = datetime(2023, 4, 3, tzinfo=timezone(timedelta(hours=9))).isoformat()
    assert _reference_datetime(offset)


def test_records_hold_the_valid_notices_as_given_and_the_frame_is_built_on_demand():
    rows = [make_notice(notice_id="A"), make_notice(child_age_years=19), make_notice(notice_id="C")]
    result = validate_notices(rows)
    assert result.n_valid == 2 and result.n_rejected == 1
    assert result.records == [rows[0], rows[2]]  # scored one by one without a frame
    assert result.valid["notice_id"].tolist() == ["A", "C"]
    assert validate_notices(pd.DataFrame([rows[0]])).records is None  # a table has no dicts


def test_an_unknown_extension_is_one_line_that_says_which_formats_work(tmp_path):
    from typer.testing import CliRunner

    from triage.cli.app import app

    (tmp_path / "nope").write_text("{}", "utf-8")
    res = CliRunner().invoke(app, ["validate", str(tmp_path / "nope")])
    assert res.exit_code == 2
    assert res.output.strip().endswith("use .parquet or .jsonl")
    assert len(res.output.strip().splitlines()) == 1


@pytest.mark.parametrize("field", ["notice_id", "region_code", "received_at"])
def test_a_trailing_newline_is_not_a_valid_value(field):
    value = {
        "notice_id": "N-1\n",
        "region_code": "R07\n",
        "received_at": "2023-04-03T09:15:00+09:00\n",
    }
    result = validate_notices([make_notice(**{field: value[field]})])
    assert result.n_valid == 0 and result.errors[0].field == field
