from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from notice_factory import DROP, make_frame, make_notice, make_records
from triage.contract import notice_fields
from triage.notices import (
    NOT_JSON,
    format_datetimes,
    notice_dtypes,
    read_notices_raw,
    to_notice_frame,
    validate_notices,
    write_notices,
    write_records,
    write_table,
)


def _frame(records) -> pd.DataFrame:
    result = validate_notices(records)
    assert result.errors == []
    return result.valid


def test_to_notice_frame_gives_every_field_in_schema_order_with_the_documented_dtypes():
    frame = to_notice_frame(pd.DataFrame([make_notice()]))
    assert tuple(frame.columns) == notice_fields().all
    for field, dtype in notice_dtypes().items():
        assert frame[field].dtype == dtype, field
    assert frame["dv_repeat_count"].isna().all()  # optional, absent from the input
    assert frame.loc[0, "alleged_types"] == ("physical", "psychological")
    assert type(frame.loc[0, "notice_id"]) is str
    assert frame["notice_id"].dtype == np.dtype(object)


def test_to_notice_frame_keeps_offsets_as_instants_in_japan_time():
    frame = to_notice_frame(
        pd.DataFrame(
            [
                make_notice(notice_id="A", received_at="2023-04-03T00:15:00Z"),
                make_notice(notice_id="B", received_at="2023-04-02T19:15:00-05:00"),
                make_notice(notice_id="C", received_at="2023-04-03T09:15:00.250+09:00"),
            ]
        )
    )
    assert str(frame["received_at"].dt.tz) == "Asia/Tokyo"
    assert frame.loc[0, "received_at"] == pd.Timestamp("2023-04-03T09:15:00+09:00")
    assert frame.loc[1, "received_at"] == frame.loc[0, "received_at"]
    assert frame.loc[2, "received_at"].microsecond == 250_000


def test_to_notice_frame_accepts_lists_tuples_numpy_and_arrow_types():
    values = [
        ["neglect"],
        ("neglect", "sexual"),
        np.array(["physical"], dtype=object),
        pa.scalar(["psychological"], type=pa.list_(pa.string())),
    ]
    rows = [make_notice(notice_id=f"N{i}", alleged_types=v) for i, v in enumerate(values)]
    frame = to_notice_frame(pd.DataFrame(rows))
    assert frame["alleged_types"].tolist() == [
        ("neglect",),
        ("neglect", "sexual"),
        ("physical",),
        ("psychological",),
    ]


def test_format_datetimes_writes_seconds_and_the_offset_of_the_column_time_zone():
    s = pd.Series(pd.to_datetime(["2023-04-03T00:15:00Z", None], utc=True))
    assert format_datetimes(s).tolist() == ["2023-04-03T00:15:00+00:00", None]
    tokyo = s.dt.tz_convert("Asia/Tokyo") + pd.Timedelta(microseconds=5)
    assert format_datetimes(tokyo)[0] == "2023-04-03T09:15:00.000005+09:00"


def test_jsonl_lines_follow_the_schema_order_and_omission_rules(tmp_path):
    frame = _frame([make_notice(notice_id="G1"), make_notice(notice_id="D1", dv=True)])
    path = write_notices(frame, tmp_path / "n.jsonl")
    lines = path.read_text("utf-8").splitlines()
    general, dv = (json.loads(line) for line in lines)
    order = notice_fields().all
    assert list(general) == [f for f in order if f in general]
    assert general["received_at"] == "2023-04-03T09:15:00+09:00"
    assert general["safety_confirmed_at"] is None
    assert general["child_disability"] is None  # unknown boolean written as null
    assert "dv_repeat_count" not in general  # NA integer omitted
    assert "dv_weapon" not in general  # dv-only boolean on a general notice omitted
    assert dv["dv_weapon"] is None and dv["dv_repeat_count"] == 2
    assert lines[0].startswith('{"notice_id":"G1","received_at":"2023-04-03T09:15:00+09:00"')


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_writing_the_same_frame_twice_gives_identical_bytes(tmp_path, suffix):
    frame = _frame(make_records(300, seed=5))
    a = write_notices(frame, tmp_path / f"a{suffix}")
    b = write_notices(frame.copy(), tmp_path / f"b{suffix}")
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_round_trip_write_read_validate_preserves_values(tmp_path, suffix):
    frame = _frame(make_records(200, seed=2))
    assert frame["child_disability"].isna().any()
    path = write_notices(frame, tmp_path / f"n{suffix}")
    again = validate_notices(path)
    assert again.errors == []
    pd.testing.assert_frame_equal(again.valid, frame)


def test_parquet_file_types(tmp_path):
    path = write_notices(_frame(make_records(10)), tmp_path / "n.parquet")
    schema = pq.read_schema(path)
    assert schema.field("alleged_types").type == pa.list_(pa.string())
    assert schema.field("received_at").type == pa.timestamp("us", tz="Asia/Tokyo")
    assert schema.field("route").type == pa.string()
    assert schema.field("child_disability").type == pa.bool_()
    assert schema.names == list(notice_fields().all)


def test_write_notices_refuses_columns_outside_the_contract(tmp_path):
    frame = _frame([make_notice()]).assign(extra=1)
    with pytest.raises(ValueError, match="extra"):
        write_notices(frame, tmp_path / "n.jsonl")


def test_read_raw_turns_a_truncated_line_into_a_row_error_and_keeps_the_rest(tmp_path):
    path = tmp_path / "n.jsonl"
    good = [json.dumps(make_notice(notice_id=f"N{i}")) for i in range(3)]
    path.write_text(good[0] + "\n\n" + good[1][:40] + "\n" + good[2] + "\n", encoding="utf-8")
    raw = read_notices_raw(path)
    assert [r["notice_id"] for r in raw.records] == ["N0", "N2"]
    assert raw.row_numbers.tolist() == [1, 4]
    (error,) = raw.errors
    assert error.row == 3 and error.field is None
    assert error.message.startswith(NOT_JSON.format(reason=""))


def test_read_raw_reports_a_line_that_is_not_an_object(tmp_path):
    path = tmp_path / "n.jsonl"
    path.write_text(json.dumps(make_notice()) + "\n[1, 2]\n", encoding="utf-8")
    raw = read_notices_raw(path)
    assert len(raw.records) == 1
    assert raw.errors[0].row == 2 and "not a JSON object" in raw.errors[0].message


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl", ".csv"])
def test_write_table_writes_plain_tables(tmp_path, suffix):
    table = pd.DataFrame(
        {
            "notice_id": ["A", "B"],
            "p": [0.123456789012345, np.nan],
            "at": pd.to_datetime(["2023-04-03T00:00:00Z", None], utc=True),
            "types": [("neglect",), ("physical", "sexual")],
        }
    )
    path = write_table(table, tmp_path / f"t{suffix}")
    if suffix == ".parquet":
        back = pd.read_parquet(path)
        assert back["p"].iloc[0] == table["p"].iloc[0]
        assert list(back["types"].iloc[1]) == ["physical", "sexual"]
    elif suffix == ".jsonl":
        rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
        assert rows[0] == {
            "notice_id": "A",
            "p": 0.123456789012345,
            "at": "2023-04-03T00:00:00+00:00",
            "types": ["neglect"],
        }
        assert rows[1]["p"] is None and rows[1]["at"] is None
    else:
        text = path.read_text("utf-8")
        assert text.splitlines()[0] == "notice_id,p,at,types"
        assert "2023-04-03T00:00:00+00:00" in text


def test_write_records_stores_mixed_columns_as_json_text_in_parquet(tmp_path):
    path = write_records(
        [make_notice(child_age_years="seven"), make_notice(child_age_years=19)],
        tmp_path / "r.parquet",
    )
    back = pq.read_table(path).to_pylist()
    assert [r["child_age_years"] for r in back] == ['"seven"', "19"]


def test_make_frame_rows_are_valid_and_keep_absent_fields_null():
    frame = make_frame(50, seed=1)
    result = validate_notices(frame)
    assert result.errors == []
    assert result.n_valid == 50
    assert make_notice(region_code=DROP).get("region_code") is None
