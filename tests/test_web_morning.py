"""The demo queue looks like a real morning (issue 17, item 10).

An empty store given no notices is seeded by the real start-up (``open_state``)
into a SQLite store in tmp_path. Before the fix it held all 2,000 committed
sample notices (2021-04 to 2024-03) and opened on notices marked about 1,087
days overdue. Each expectation is computed from the committed file itself, not
from the seeding code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from bare_web import CI_CONFIG

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "synthetic" / "sample" / "notices.jsonl"
WINDOW = pd.Timedelta(days=14)
SAFETY_WINDOW = pd.Timedelta(hours=48)


def _committed() -> list[dict]:
    return [json.loads(line) for line in SAMPLE.read_text("utf-8").splitlines() if line]


def _clock(records: list[dict]) -> pd.Timestamp:
    """09:00 the morning after the sample's last notice (+09:00, as the notices carry)."""
    last = max(pd.Timestamp(r["received_at"]) for r in records)
    return last.normalize() + pd.Timedelta(days=1, hours=9)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The seeded state, and the notices as stored."""
    from triage.decisions import connect
    from triage.web.state import WebSettings, open_state

    folder = tmp_path_factory.mktemp("morning")
    lines: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)  # no model anywhere: the queue is the rules' (fast, and enough here)
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        state = open_state(
            WebSettings(store=folder / "store", config=CI_CONFIG, routing_model=None),
            log=lines.append,
        )
    conn = connect(folder / "store")
    try:
        stored = [json.loads(r[0]) for r in conn.execute("SELECT notice_json FROM notices")]
    finally:
        conn.close()
    return state, stored, lines


def test_the_demo_holds_the_notices_of_the_days_before_its_clock(demo):
    state, stored, lines = demo
    committed = _committed()
    clock = _clock(committed)
    assert state.now() == clock and state.synthetic
    expected = {
        r["notice_id"]
        for r in committed
        if clock - WINDOW < pd.Timestamp(r["received_at"]) <= clock
    }
    assert 0 < len(expected) < len(committed)
    assert {r["notice_id"] for r in stored} == expected
    assert any(f"loaded {len(expected)} synthetic sample notices" in line for line in lines)


def test_nothing_the_page_knows_is_later_than_its_clock(demo):
    state, stored, _ = demo
    for r in stored:
        assert pd.Timestamp(r["received_at"]) <= state.now()
        confirmed = r.get("safety_confirmed_at")
        assert confirmed is None or pd.Timestamp(confirmed) <= state.now()


def test_the_overdue_marks_are_those_the_48_hour_rule_gives_at_the_clock(demo):
    from triage.web.queue import QueueFilters

    state, stored, _ = demo
    clock = state.now()
    page = state.queue_page(QueueFilters(limit=1000))
    assert page.total == len(stored)
    overdue = {e["notice_id"] for e in page.entries if e["overdue"]}
    committed = {r["notice_id"]: r for r in _committed()}
    unconfirmed_past_48h = set()
    for nid in (r["notice_id"] for r in stored):
        r = committed[nid]
        confirmed = r.get("safety_confirmed_at")
        known = confirmed is not None and pd.Timestamp(confirmed) <= clock
        if not known and pd.Timestamp(r["received_at"]) + SAFETY_WINDOW <= clock:
            unconfirmed_past_48h.add(nid)
    assert overdue == unconfirmed_past_48h
    for e in page.entries:  # no notice overdue by more than the window
        assert pd.Timestamp(e["safety_deadline"]) > clock - WINDOW


def test_a_confirmation_after_the_clock_is_not_known_at_the_clock():
    from triage.web.demo_sample import as_known_at

    clock = pd.Timestamp("2024-04-01T09:00:00+09:00")
    records = [
        {"notice_id": "OLD", "received_at": "2024-03-01T10:00:00+09:00"},
        {
            "notice_id": "LATE",
            "received_at": "2024-03-29T10:00:00+09:00",
            "safety_confirmed_at": "2024-04-02T10:00:00+09:00",
        },
        {
            "notice_id": "SEEN",
            "received_at": "2024-03-30T10:00:00+09:00",
            "safety_confirmed_at": "2024-03-30T18:00:00+09:00",
        },
        {"notice_id": "AFTER", "received_at": "2024-04-01T10:00:00+09:00"},
    ]
    known = {r["notice_id"]: r for r in as_known_at(records, clock)}
    assert set(known) == {"LATE", "SEEN"}
    assert known["LATE"]["safety_confirmed_at"] is None
    assert known["SEEN"]["safety_confirmed_at"] == "2024-03-30T18:00:00+09:00"
