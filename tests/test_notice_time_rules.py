"""Issue 16, finding 7: a data error must not switch off the 48-hour rule.

A ``safety_confirmed_at`` before ``received_at`` is a row error (the notice would
otherwise count as confirmed), in every reader; an ``as_of`` centuries before the
notices is refused with the reason."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest
from typer.testing import CliRunner

from notice_factory import make_notice
from triage.cli.app import app
from triage.contract.errors import InvalidParameter, TriageError
from triage.notices import (
    AS_OF_SLACK,
    CONFIRMED_BEFORE_RECEIVED,
    refuse_as_of_long_before,
    validate_notices,
    write_notices,
)

RECEIVED = "2023-04-03T09:15:00+09:00"
JST = timezone(timedelta(hours=9))


@pytest.mark.parametrize(
    ("confirmed", "ok"),
    [
        ("2023-04-03T09:14:59+09:00", False),  # one second before
        ("2023-04-03T00:14:59Z", False),  # the same instant minus a second, in UTC
        ("2023-04-03T09:15:00+09:00", True),  # at the moment of receipt
        ("2023-04-03T00:15:00Z", True),  # the same instant, another offset
        ("2023-04-03T09:14:00-05:00", True),  # wall clock earlier, instant 14 h later
        ("1900-01-01T00:00:00+09:00", False),
        (None, True),
    ],
)
def test_a_confirmation_before_the_notice_is_a_row_error(confirmed, ok):
    rows = [make_notice(notice_id="A", received_at=RECEIVED, safety_confirmed_at=confirmed)]
    result = validate_notices(rows)
    assert result.n_valid == int(ok)
    if not ok:
        (error,) = result.errors
        assert (error.row, error.notice_id, error.field) == (1, "A", "safety_confirmed_at")
        assert error.message == CONFIRMED_BEFORE_RECEIVED
        assert "safety_confirmed_at" not in result.rejected[0]  # the value at fault withheld


def _rows():
    return [
        make_notice(notice_id="A", safety_confirmed_at="2023-04-04T10:00:00+09:00"),
        make_notice(notice_id="B", safety_confirmed_at="2023-04-02T10:00:00+09:00"),
        make_notice(notice_id="C", safety_confirmed_at=None),
    ]


def test_the_rule_holds_in_json_lines_parquet_and_tables_with_timestamps(tmp_path):
    path = tmp_path / "n.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _rows()), "utf-8")
    frame = pd.DataFrame(_rows())
    stamped = frame.assign(
        received_at=pd.to_datetime(frame["received_at"], utc=True),
        safety_confirmed_at=pd.to_datetime(frame["safety_confirmed_at"], utc=True),
    )
    parquet = tmp_path / "n.parquet"
    stamped.to_parquet(parquet)
    for source in (_rows(), path, frame, stamped, parquet):
        result = validate_notices(source)
        assert [(e.row, e.field) for e in result.errors] == [(2, "safety_confirmed_at")]
        assert result.valid["notice_id"].tolist() == ["A", "C"]


def test_a_written_notice_frame_never_holds_a_confirmation_before_receipt(tmp_path):
    path = write_notices(validate_notices(_rows()).valid, tmp_path / "n.parquet")
    valid = validate_notices(path).valid
    confirmed = valid["safety_confirmed_at"].dropna()
    assert (confirmed >= valid.loc[confirmed.index, "received_at"]).all()


# ---------------------------------------------------------------- as_of far before the notices


def _received(*texts: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(texts), utc=True)).dt.tz_convert("Asia/Tokyo")


def test_an_as_of_centuries_before_the_notices_is_refused_with_the_reason():
    as_of = datetime(1700, 1, 1, tzinfo=JST)
    with pytest.raises(InvalidParameter) as caught:
        refuse_as_of_long_before(as_of, _received(RECEIVED, "2023-01-01T00:00:00+09:00"))
    days = (datetime(2023, 1, 1, tzinfo=JST) - as_of).days
    assert str(caught.value) == (
        f"as_of: 1700-01-01T00:00:00+09:00 is {days} days before the earliest notice "
        "(received 2023-01-01T00:00:00+09:00); expected a time at or after the notices"
    )
    assert caught.value.param == "as_of" and isinstance(caught.value, TriageError)


def test_an_as_of_up_to_a_year_before_or_any_time_after_is_accepted():
    earliest = datetime(2023, 4, 3, 9, 15, tzinfo=JST)
    received = _received(RECEIVED)
    for as_of in (earliest - AS_OF_SLACK, earliest, earliest + timedelta(days=3650)):
        refuse_as_of_long_before(as_of, received)
    refuse_as_of_long_before(datetime(1700, 1, 1, tzinfo=JST), _received())  # no notices
    with pytest.raises(InvalidParameter):
        refuse_as_of_long_before(earliest - AS_OF_SLACK - timedelta(seconds=1), received)


@pytest.mark.parametrize("command", ["score", "queue"])
def test_score_and_queue_refuse_an_as_of_centuries_early_before_scoring(tmp_path, command):
    path = tmp_path / "n.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _rows()), "utf-8")
    result = CliRunner().invoke(app, [command, str(path), "--as-of", "1700-01-01T00:00:00+09:00"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("error: --as-of: 1700-01-01T00:00:00+09:00 is ")
    assert lines[-1].endswith("; expected a time at or after the notices")


def test_a_large_batch_judges_the_times_as_a_single_notice_does():
    # 64 rows or more take the vectorised path; fewer, the per-value one (the API's)
    times = [
        "2023-04-03T09:14:59.9999999+09:00",
        "2023-04-03T00:15:00Z",
        None,
        "2023-04-02T15:14:00-09:00",
    ]
    rows = [
        make_notice(notice_id=f"N{i}", received_at=RECEIVED, safety_confirmed_at=times[i % 4])
        for i in range(80)
    ]
    one_by_one = [validate_notices([row]).n_valid for row in rows[:4]]
    assert one_by_one == [0, 1, 1, 0]
    assert validate_notices(rows).rejected_rows == [i + 1 for i in range(80) if i % 4 in (0, 3)]
