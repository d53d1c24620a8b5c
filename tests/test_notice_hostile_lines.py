"""Issue 16, finding 6 (reader side): one line never sinks a file; a file that cannot be
read at all is one ``TriageError``; the rejects file is strict JSON."""

from __future__ import annotations

import json
import os
import sys
import time

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from notice_factory import make_notice, make_records
from triage.contract.errors import TriageError
from triage.notices import (
    MAX_DEPTH,
    MAX_LINE_BYTES,
    NoticeFileError,
    NoticeFileMissing,
    read_notices_raw,
    validate_notices,
    write_notices,
    write_records,
)


def _lines(path, *lines: str | bytes) -> object:
    path.write_bytes(
        b"".join((x if isinstance(x, bytes) else x.encode("utf-8")) + b"\n" for x in lines)
    )
    return path


def _valid(n: int = 2) -> list[str]:
    return [json.dumps(r) for r in make_records(n, seed=3)]


def _ids(n: int = 2) -> list[str]:
    return [r["notice_id"] for r in make_records(n, seed=3)]


# ---------------------------------------------------------------- one line, its own error


@pytest.mark.parametrize(
    ("junk", "says"),
    [
        ("[" * 1000 + "]" * 1000, f"nested deeper than {MAX_DEPTH} levels"),
        ('{"a": ' + "[" * 1000 + "]" * 1000 + "}", f"nested deeper than {MAX_DEPTH} levels"),
        ('{"child_age_years": ' + "9" * 5000 + "}", "a number of more than 4300 digits"),
        ('{"child_age_years": NaN}', "NaN is not a JSON value"),
        ('{"siblings": -Infinity}', "-Infinity is not a JSON value"),
        ('{"region_code": "R1", "region_code": "R2"}', "key 'region_code' appears more than once"),
        ("[1, 2]", "not a JSON object, got an array"),
        ('"just a string"', "not a JSON object, got a string"),
        ("42", "not a JSON object, got a number"),
        ("null", "not a JSON object, got null"),
    ],
)
def test_a_hostile_line_is_that_lines_error_and_every_valid_row_is_kept(tmp_path, junk, says):
    good = _valid(2)
    path = _lines(tmp_path / "n.jsonl", good[0], junk, good[1])
    result = validate_notices(path)
    assert result.valid["notice_id"].tolist() == _ids(2)
    (error,) = result.errors
    assert error.row == 2 and error.field is None and says in error.message


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path):
    # 40 brackets in a string value: not deep, just a wrong value of a known field
    row = json.dumps(make_notice(region_code="[" * 40 + "{" * 40))
    result = validate_notices(_lines(tmp_path / "n.jsonl", row))
    assert [e.field for e in result.errors] == ["region_code"]


def test_lines_crafted_against_the_depth_check_take_linear_time(tmp_path):
    # escaped quotes: a regular expression skipping strings backtracks quadratically here
    crafted = [b'"' + b'\\"[' * 340_000, b'["' * 500_000, b'"' + b'\\\\"[' * 200_000]
    path = _lines(tmp_path / "n.jsonl", _valid(1)[0], *crafted)
    started = time.perf_counter()
    result = validate_notices(path)
    assert time.perf_counter() - started < 5
    assert result.n_valid == 1 and result.rejected_rows == [2, 3, 4]


def test_a_line_over_the_length_limit_is_refused_unparsed(tmp_path):
    good = _valid(2)
    huge = json.dumps(make_notice(notice_id="HUGE", extra="x" * MAX_LINE_BYTES))
    result = validate_notices(_lines(tmp_path / "n.jsonl", good[0], huge, good[1]))
    assert result.valid["notice_id"].tolist() == _ids(2)
    (error,) = result.errors
    assert error.row == 2 and f"longer than {MAX_LINE_BYTES} bytes" in error.message


def test_a_deep_line_in_a_big_file_does_not_lose_the_other_rows(tmp_path):
    rows = [json.dumps(r) for r in make_records(300, seed=8)]
    rows.insert(150, "[" * 100_000)
    result = validate_notices(_lines(tmp_path / "n.jsonl", *rows))
    assert result.n_valid == 300 and result.rejected_rows == [151]


def test_a_stray_non_utf8_line_is_a_row_error_but_a_file_in_another_encoding_is_refused(
    tmp_path,
):
    good = _valid(2)
    result = validate_notices(_lines(tmp_path / "a.jsonl", good[0], b'{"x": "\xff\xfe"}', good[1]))
    assert result.n_valid == 2 and "not UTF-8" in result.errors[0].message
    shift_jis = json.dumps(make_notice(), ensure_ascii=False).replace("R07", "東京")
    for name, data in [
        ("sjis.jsonl", (shift_jis + "\n").encode("shift_jis") * 3),
        ("utf16.jsonl", (good[0] + "\n").encode("utf-16")),
        ("utf16be.jsonl", (good[0] + "\n").encode("utf-16-be")),
    ]:
        (tmp_path / name).write_bytes(data)
        with pytest.raises(NoticeFileError, match="UTF-8") as caught:
            validate_notices(tmp_path / name)
        assert "\n" not in str(caught.value)


# ---------------------------------------------------------------- the whole file


def _damaged_parquet(tmp_path):
    path = write_notices(validate_notices(make_records(20)).valid, tmp_path / "good.parquet")
    data = path.read_bytes()
    cut = tmp_path / "truncated.parquet"
    cut.write_bytes(data[: len(data) // 2])
    flipped = tmp_path / "flipped.parquet"
    flipped.write_bytes(data[:8] + bytes(b ^ 0x5A for b in data[8:-8]) + data[-8:])
    return cut, flipped


def _whole_file_cases(tmp_path):
    cut, flipped = _damaged_parquet(tmp_path)
    (tmp_path / "text.parquet").write_text("notice_id\nN1\n", "utf-8")
    (tmp_path / "empty.parquet").write_bytes(b"")
    (tmp_path / "folder.jsonl").mkdir()
    (tmp_path / "notices.csv").write_text("notice_id\nN1\n", "utf-8")
    (tmp_path / "notices").write_text("{}\n", "utf-8")
    os.mkfifo(tmp_path / "pipe.jsonl")
    twice = pa.Table.from_arrays([pa.array(["N1"]), pa.array(["N2"])], ["notice_id", "notice_id"])
    pq.write_table(twice, tmp_path / "twice.parquet")
    return {
        "truncated parquet": (cut, "not a Parquet file, or a damaged one"),
        "damaged parquet": (flipped, "not a Parquet file, or a damaged one"),
        "text named .parquet": (tmp_path / "text.parquet", "not a Parquet file"),
        "empty parquet": (tmp_path / "empty.parquet", "not a Parquet file"),
        "a folder": (tmp_path / "folder.jsonl", "a folder, not a notice file"),
        "csv": (tmp_path / "notices.csv", "from a '.csv' file: use .parquet or .jsonl"),
        "no extension": (tmp_path / "notices", "without an extension: use .parquet or .jsonl"),
        "a column twice": (tmp_path / "twice.parquet", "'notice_id' appears more than once"),
        "a named pipe": (tmp_path / "pipe.jsonl", "not a regular file"),
    }


def test_a_file_that_cannot_be_read_is_one_triage_error_line_naming_it(tmp_path):
    for case, (path, says) in _whole_file_cases(tmp_path).items():
        with pytest.raises(NoticeFileError) as caught:
            validate_notices(path)
        message = str(caught.value)
        assert isinstance(caught.value, TriageError) and isinstance(caught.value, ValueError)
        assert says in message, case
        assert message.startswith(str(path)) and "\n" not in message, case
        assert len(message) < 400, case


def test_a_missing_file_is_a_triage_error_and_still_a_file_not_found_error(tmp_path):
    with pytest.raises(NoticeFileMissing, match="no such file") as caught:
        read_notices_raw(tmp_path / "nope.jsonl")
    assert isinstance(caught.value, FileNotFoundError)
    assert isinstance(caught.value, TriageError)


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads anything")
def test_an_unreadable_file_is_one_line(tmp_path):
    path = tmp_path / "n.jsonl"
    path.write_text(_valid(1)[0] + "\n", "utf-8")
    path.chmod(0)
    with pytest.raises(NoticeFileError, match="cannot read it: permission denied"):
        validate_notices(path)


# ---------------------------------------------------------------- rejects are strict JSON


def _strict_loads(line: str):
    def refuse(name):
        raise AssertionError(f"{name} is not JSON")

    return json.loads(line, parse_constant=refuse)


def test_the_rejects_file_is_strict_json_with_nan_infinity_and_surrogates_in_the_input(
    tmp_path,
):
    from rich.console import Console

    from triage.cli.validate import run_validate_notices

    hostile = [
        '{"child_age_years": NaN, "siblings": Infinity}',
        json.dumps(make_notice(notice_id="S", extra="\ud800")),
        json.dumps(make_notice(notice_id="T", **{"\udfff": 1})),
        json.dumps(make_notice(notice_id="U", child_age_years=float("nan"))),
        '{"notice_id": "V", "bad": "\\u0000\\u001f\\u2028"}',
    ]
    path = _lines(tmp_path / "n.jsonl", _valid(1)[0], *hostile)
    rejects = tmp_path / "rejects.jsonl"
    run_validate_notices(path, rejects=rejects, console=Console(record=True, width=200))
    lines = rejects.read_bytes().decode("utf-8").splitlines()
    assert len(lines) == len(hostile)
    back = [_strict_loads(line) for line in lines]
    assert [r["_row"] for r in back] == [2, 3, 4, 5, 6]


def test_write_records_writes_non_finite_numbers_as_named_strings(tmp_path):
    path = write_records(
        [{"a": float("nan"), "b": [float("inf"), -float("inf")], "c": 1.5}], tmp_path / "r.jsonl"
    )
    (line,) = path.read_text("utf-8").splitlines()
    assert _strict_loads(line) == {"a": "NaN", "b": ["Infinity", "-Infinity"], "c": 1.5}


def test_a_parquet_file_with_foreign_types_is_read_and_its_rows_judged(tmp_path):
    frame = validate_notices(make_records(3)).valid
    table = pa.Table.from_pandas(frame.astype({"notice_id": object}), preserve_index=False)
    table = table.append_column("blob", pa.array([b"\x00\xff", None, None], pa.binary()))
    pq.write_table(table, tmp_path / "n.parquet")
    result = validate_notices(tmp_path / "n.parquet")
    assert result.rejected_rows == [1] and result.n_valid == 2
    assert pd.Series(result.valid["notice_id"]).tolist() == frame["notice_id"].tolist()[1:]
