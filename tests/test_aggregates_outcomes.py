"""An agency's outcomes file: simulator-only columns refused by name, bad rows named and left out."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from notice_factory import make_records
from triage.aggregates.outcomes import join_outcomes, read_outcomes
from triage.contract import DV_ROUTES, TIERS, InvalidParameter, TriageError
from triage.notices import validate_notices

GOOD = [
    {"notice_id": "N-001", "recorded_harm_90d": 1, "recorded_tier": "immediate"},
    {"notice_id": "N-002", "recorded_harm_90d": 0, "recorded_tier": "standard"},
    {"notice_id": "N-003", "recorded_harm_90d": 0, "recorded_tier": "urgent"},
]


def _write(rows: list[dict], path: Path) -> Path:
    """``rows`` in the format ``path``'s suffix names, as an agency would export them."""
    if path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    elif path.suffix == ".csv":
        pd.DataFrame(rows).to_csv(path, index=False)
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


def _refusal(path: Path) -> str:
    with pytest.raises(TriageError) as caught:
        read_outcomes(path)
    assert caught.value.param == "outcomes"
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_each_format_gives_the_same_typed_outcomes(tmp_path, suffix):
    result = read_outcomes(_write(GOOD, tmp_path / f"outcomes{suffix}"))
    assert result.errors == [] and result.ok
    assert result.n_rows == result.n_valid == 3
    valid = result.valid
    assert list(valid.columns) == ["notice_id", "recorded_harm_90d", "recorded_tier"]
    assert valid["notice_id"].tolist() == ["N-001", "N-002", "N-003"]
    assert valid["recorded_harm_90d"].dtype == "int64"
    assert valid["recorded_harm_90d"].tolist() == [1, 0, 0]
    assert list(valid["recorded_tier"].cat.categories) == list(TIERS)
    assert valid["recorded_tier"].tolist() == ["immediate", "standard", "urgent"]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_simulator_only_columns_are_refused_naming_each(tmp_path, suffix):
    rows = [dict(r, p_harm=0.3, latent_x=1.5, true_tier="urgent") for r in GOOD]
    message = _refusal(_write(rows, tmp_path / f"outcomes{suffix}"))
    for column in ("p_harm", "latent_x", "true_tier"):
        assert repr(column) in message
    assert "known only to a simulator" in message


def test_the_columns_are_refused_before_any_value_is_read(tmp_path):
    # Rows that could not even be split into fields: the refusal comes from the header alone.
    path = tmp_path / "outcomes.csv"
    path.write_text('notice_id,recorded_harm_90d,recorded_tier,harm_90d\n"unclosed\n', "utf-8")
    assert "'harm_90d'" in _refusal(path)


def test_a_simulator_column_in_one_json_line_only_refuses_the_file(tmp_path):
    rows = [*GOOD, {"notice_id": "N-004", "recorded_harm_90d": 0, "recorded_tier": "urgent",
                    "true_dv_route": "cgc"}]  # fmt: skip
    assert "'true_dv_route'" in _refusal(_write(rows, tmp_path / "outcomes.jsonl"))


def test_unknown_and_missing_columns_are_refused_in_one_line(tmp_path):
    rows = [dict(r, case_note="x") for r in GOOD]
    message = _refusal(_write(rows, tmp_path / "unknown.csv"))
    assert "'case_note' is not an outcome column" in message

    rows = [{"notice_id": r["notice_id"], "recorded_tier": r["recorded_tier"]} for r in GOOD]
    message = _refusal(_write(rows, tmp_path / "missing.parquet"))
    assert "required column recorded_harm_90d is missing" in message


def test_recorded_dv_route_is_an_agency_column_and_optional_per_row(tmp_path):
    rows = [
        dict(r, recorded_dv_route=route)
        for r, route in zip(GOOD, ["cgc", None, "police"], strict=True)
    ]
    result = read_outcomes(_write(rows, tmp_path / "outcomes.jsonl"))
    assert result.valid["recorded_dv_route"].tolist()[0] == "cgc"
    assert pd.isna(result.valid["recorded_dv_route"].tolist()[1])
    assert list(result.valid["recorded_dv_route"].cat.categories) == list(DV_ROUTES)
    [error] = result.errors
    assert (error.row, error.field) == (3, "recorded_dv_route")


def test_bad_rows_are_named_and_left_out_and_the_good_ones_kept(tmp_path):
    path = tmp_path / "outcomes.csv"
    path.write_text(
        "\ufeffnotice_id,recorded_harm_90d,recorded_tier\n"  # a spreadsheet's byte order mark
        "N-001,1,immediate\n"
        "N-002,yes,urgent\n"
        "N 003,0,urgent\n"
        "N-004,0,high\n"
        "N-005,,standard\n"
        "N-006,0\n"
        "N-007,TRUE,standard\n",
        "utf-8",
    )
    result = read_outcomes(path)
    assert result.valid["notice_id"].tolist() == ["N-001", "N-007"]
    assert result.valid["recorded_harm_90d"].tolist() == [1, 1]
    found = [(e.row, e.field) for e in result.errors]
    assert found == [
        (3, "recorded_harm_90d"),
        (4, "notice_id"),
        (5, "recorded_tier"),
        (6, "recorded_harm_90d"),
        (7, None),
    ]
    messages = [e.message for e in result.errors]
    assert messages[0] == 'recorded_harm_90d: expected 0, 1, true or false, got a string of 3 characters'
    assert messages[1].startswith("notice_id: expected a string matching ")
    assert messages[2] == ('recorded_tier: expected one of immediate, urgent, standard, got a string of 4 characters')
    assert messages[3] == "recorded_harm_90d: required field is missing"
    assert messages[4] == "row has 2 fields, expected 3 as in the header"
    assert result.errors[0].notice_id == "N-002"
    assert result.n_rows == 7 and result.rejected_rows == [3, 4, 5, 6, 7]


def test_json_values_are_read_by_type_and_a_bad_line_does_not_hide_the_others(tmp_path):
    path = tmp_path / "outcomes.jsonl"
    lines = [
        {"notice_id": "A", "recorded_harm_90d": True, "recorded_tier": "urgent"},
        {"notice_id": "B", "recorded_harm_90d": 1.0, "recorded_tier": "urgent"},
        {"notice_id": "C", "recorded_harm_90d": 2, "recorded_tier": "urgent"},
        {"notice_id": "D\n", "recorded_harm_90d": 0, "recorded_tier": "urgent"},
        {"notice_id": 5, "recorded_harm_90d": 0, "recorded_tier": "urgent"},
        {"notice_id": "F", "recorded_tier": "urgent"},
    ]
    text = "".join(json.dumps(r) + "\n" for r in lines[:3]) + "{not json\n"
    path.write_text(text + "".join(json.dumps(r) + "\n" for r in lines[3:]), "utf-8")
    result = read_outcomes(path)
    assert result.valid["notice_id"].tolist() == ["A", "B"]
    assert result.valid["recorded_harm_90d"].tolist() == [1, 1]
    assert [(e.row, e.field) for e in result.errors] == [
        (3, "recorded_harm_90d"),
        (4, None),  # the line that is not JSON
        (5, "notice_id"),  # an id ending in a newline: the contract's pattern, matched whole
        (6, "notice_id"),
        (7, "recorded_harm_90d"),
    ]


def test_a_repeated_notice_id_names_both_rows_and_keeps_neither(tmp_path):
    rows = [*GOOD, dict(GOOD[0], recorded_tier="standard")]
    result = read_outcomes(_write(rows, tmp_path / "outcomes.parquet"))
    assert result.valid["notice_id"].tolist() == ["N-002", "N-003"]
    assert [(e.row, e.notice_id) for e in result.errors] == [(1, "N-001"), (4, "N-001")]
    assert result.errors[0].message.endswith("got one also on row 4")
    assert result.errors[1].message.endswith("got one also on row 1")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("outcomes.xlsx", b"PK", "expected a .parquet, .csv or .jsonl file"),
        ("outcomes.parquet", b"not parquet at all", "cannot read outcomes.parquet"),
        ("outcomes.csv", b"\xff\xfe,recorded_harm_90d\n", "line 1: expected a header line"),
        ("outcomes.csv", b"", "outcomes.csv is empty"),
        ("outcomes.csv", b"notice_id,notice_id,recorded_tier\n", "appears more than once"),
    ],
)
def test_an_unreadable_file_is_one_line_never_a_traceback(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    assert expected in _refusal(path)


def test_a_missing_file_is_one_line(tmp_path):
    assert "no such file" in _refusal(tmp_path / "absent.csv")


def test_join_aligns_the_outcomes_to_the_notices_and_counts_what_is_left_out(tmp_path):
    notices = validate_notices(make_records(5, seed=3)).valid
    ids = notices["notice_id"].tolist()
    rows = [
        {"notice_id": ids[3], "recorded_harm_90d": 1, "recorded_tier": "urgent"},
        {"notice_id": "ORPHAN-1", "recorded_harm_90d": 0, "recorded_tier": "standard"},
        {"notice_id": ids[0], "recorded_harm_90d": 0, "recorded_tier": "standard"},
        {"notice_id": ids[1], "recorded_harm_90d": 0, "recorded_tier": "immediate"},
    ]
    outcomes = read_outcomes(_write(rows, tmp_path / "outcomes.csv")).valid
    kept, aligned, messages = join_outcomes(notices, outcomes)
    assert kept["notice_id"].tolist() == [ids[0], ids[1], ids[3]]
    assert aligned["notice_id"].tolist() == kept["notice_id"].tolist()
    assert aligned["recorded_tier"].tolist() == ["standard", "immediate", "urgent"]
    assert list(kept.columns) == list(notices.columns)
    assert messages == [
        f"2 notices have no recorded outcome and are left out (first: notice_id {ids[2]})",
        "1 outcome has no notice and is left out (first: notice_id ORPHAN-1)",
    ]


def test_join_refuses_a_frame_without_ids_or_with_a_repeated_one():
    outcomes = pd.DataFrame({"notice_id": ["A", "A"], "recorded_harm_90d": [0, 1]})
    notices = pd.DataFrame({"notice_id": ["A"]})
    with pytest.raises(InvalidParameter, match="^outcomes: expected each notice_id once"):
        join_outcomes(notices, outcomes)
    with pytest.raises(InvalidParameter, match="^notices: expected a notice_id column"):
        join_outcomes(pd.DataFrame({"x": [1]}), outcomes)


def test_a_stored_pandas_index_is_skipped_unless_a_simulator_name_marks_it(tmp_path):
    frame = pd.DataFrame(GOOD, index=pd.Index([10, 11, 12], name="row"))
    frame.to_parquet(tmp_path / "indexed.parquet", index=True)
    assert read_outcomes(tmp_path / "indexed.parquet").n_valid == 3

    frame.index.name = "true_tier"
    frame.to_parquet(tmp_path / "truth.parquet", index=True)
    assert "'true_tier'" in _refusal(tmp_path / "truth.parquet")
