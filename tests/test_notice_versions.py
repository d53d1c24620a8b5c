"""Notice versions: a stored notice never changes; an amendment is a new version beside it.

Real stores in tmp_path; notices from ``notice_factory``; no model (a score row
is written by hand where a decision needs one, as ``test_decisions_chain`` does).
"""

from __future__ import annotations

import re
import sqlite3

import pytest

from notice_factory import make_notice
from triage.contract.errors import TriageError
from triage.decisions import (
    DB_NAME,
    NoticeEntryError,
    add_notice,
    amend_notice,
    connect,
    latest_version,
    latest_versions,
    new_notice_id,
    notice_versions,
    read_snapshot,
)
from triage.decisions.notice_versions import NOTICE_CHANGED


@pytest.fixture
def conn(tmp_path):
    c = connect(tmp_path / "store")
    yield c
    c.close()


def test_a_new_notice_gets_a_fresh_pseudonymous_id_and_who_entered_it(conn):
    stored = add_notice(conn, make_notice(notice_id="CASE-1"), entered_by="sato", source="page")
    assert re.fullmatch(r"E-[0-9A-HJKMNP-TV-Z]{8}", stored.notice_id)
    assert stored.version == 1
    assert stored.record["notice_id"] == stored.notice_id
    assert (stored.entered_by, stored.source) == ("sato", "page")
    assert latest_version(conn, stored.notice_id) == stored
    assert notice_versions(conn, stored.notice_id) == [stored]
    assert latest_version(conn, "CASE-1") is None  # the sender's id was not kept


def test_new_notice_id_never_gives_a_stored_id(conn):
    ids = {
        add_notice(conn, make_notice(), entered_by="sato", source="page").notice_id
        for _ in range(3)
    }
    assert len(ids) == 3
    assert new_notice_id(conn) not in ids


def test_a_kept_id_sent_again_is_unchanged_and_other_facts_under_it_are_refused(conn):
    first = add_notice(conn, make_notice(), entered_by="cms", source="api", keep_id=True)
    assert first.notice_id == "N0001"
    again = add_notice(conn, make_notice(), entered_by="cms", source="api", keep_id=True)
    assert again == first
    with pytest.raises(NoticeEntryError) as caught:
        add_notice(conn, make_notice(siblings=3), entered_by="cms", source="api", keep_id=True)
    assert str(caught.value) == NOTICE_CHANGED.format(id="N0001")
    assert caught.value.status == 409
    assert notice_versions(conn, "N0001") == [first]


def test_an_invalid_notice_is_refused_naming_each_field_in_one_line(conn):
    with pytest.raises(NoticeEntryError) as caught:
        add_notice(
            conn, make_notice(child_age_years=30, injury="bad"), entered_by="sato", source="page"
        )
    err = caught.value
    assert isinstance(err, TriageError)
    assert [f for f, _ in err.errors] == ["child_age_years", "injury"]
    assert "\n" not in str(err) and str(err).startswith("child_age_years: ")
    assert "1 more problem" in str(err)
    assert err.status == 422
    assert conn.execute("SELECT COUNT(*) FROM notices").fetchone()[0] == 0


def test_an_amendment_is_a_new_version_and_the_first_is_kept(conn):
    first = add_notice(conn, make_notice(), entered_by="sato", source="page")
    conn.execute(
        "INSERT INTO scores(notice_id, line, score_hash, model, scorer_key, as_of, suggested_tier, "
        "rules, safety_deadline) VALUES (?, '{}', 'h', 'm', 'k', 'a', 'urgent', '[]', 'd')",
        (first.notice_id,),
    )
    second = amend_notice(
        conn,
        first.notice_id,
        {"siblings": 2, "safety_confirmed_at": "2023-04-03T15:00:00+09:00"},
        entered_by="suzuki",
        source="api",
    )
    assert second.version == 2
    assert second.record == {
        **first.record,
        "siblings": 2,
        "safety_confirmed_at": "2023-04-03T15:00:00+09:00",
    }
    assert (second.entered_by, second.source) == ("suzuki", "api")
    assert second.notice_hash != first.notice_hash
    assert notice_versions(conn, first.notice_id) == [first, second]
    assert latest_version(conn, first.notice_id) == second
    assert latest_versions(conn) == {first.notice_id: second}
    # Its cached score was of the first version: gone, so the next refresh scores the second.
    assert conn.execute("SELECT COUNT(*) FROM scores").fetchone()[0] == 0


def test_an_amendment_that_changes_nothing_stores_nothing(conn):
    first = add_notice(conn, make_notice(), entered_by="sato", source="page")
    same = amend_notice(conn, first.notice_id, {"siblings": 1}, entered_by="sato", source="page")
    assert same == first
    assert notice_versions(conn, first.notice_id) == [first]


def test_an_unknown_fact_made_known_then_unknown_again(conn):
    first = add_notice(conn, make_notice(), entered_by="sato", source="page")
    known = amend_notice(
        conn, first.notice_id, {"weapon_used": True}, entered_by="s", source="page"
    )
    unknown = amend_notice(
        conn, first.notice_id, {"weapon_used": None}, entered_by="s", source="page"
    )
    assert (known.record["weapon_used"], unknown.record["weapon_used"]) == (True, None)
    assert [v.version for v in notice_versions(conn, first.notice_id)] == [1, 2, 3]


@pytest.mark.parametrize(
    ("changes", "field", "status"),
    [
        ({"notice_id": "OTHER"}, "notice_id", 422),
        ({"received_at": "2023-04-04T09:15:00+09:00"}, "received_at", 422),
        ({"child_age_years": -1}, "child_age_years", 422),
        ({"not_a_field": True}, "not_a_field", 422),
    ],
)
def test_an_amendment_is_refused_naming_the_field(conn, changes, field, status):
    first = add_notice(conn, make_notice(), entered_by="sato", source="page")
    with pytest.raises(NoticeEntryError) as caught:
        amend_notice(conn, first.notice_id, changes, entered_by="sato", source="page")
    assert caught.value.errors[0][0] == field
    assert str(caught.value).startswith(f"{field}: ")
    assert caught.value.status == status
    assert notice_versions(conn, first.notice_id) == [first]


def test_the_same_received_at_written_another_way_is_no_change(conn):
    first = add_notice(conn, make_notice(), entered_by="sato", source="page")
    same = amend_notice(
        conn,
        first.notice_id,
        {"received_at": "2023-04-03T00:15:00Z"},
        entered_by="s",
        source="page",
    )
    assert same == first


def test_amending_an_unknown_notice_is_not_found(conn):
    with pytest.raises(NoticeEntryError) as caught:
        amend_notice(conn, "NOPE", {"siblings": 1}, entered_by="sato", source="page")
    assert caught.value.status == 404
    assert caught.value.errors[0][0] == "notice_id"


def test_stored_versions_and_authors_cannot_be_edited_or_removed(conn):
    first = add_notice(conn, make_notice(), entered_by="sato", source="page")
    amend_notice(conn, first.notice_id, {"siblings": 2}, entered_by="sato", source="page")
    for sql in (
        "UPDATE notice_versions SET notice_json = '{}'",
        "DELETE FROM notice_versions",
        "UPDATE notice_authors SET entered_by = 'x'",
        "DELETE FROM notice_authors",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)


def test_a_store_made_before_versions_reads_as_version_one_and_gets_the_tables(tmp_path):
    store = tmp_path / "store"
    conn = connect(store)
    first = add_notice(conn, make_notice(), entered_by="sato", source="page")
    conn.close()
    raw = sqlite3.connect(store / DB_NAME)
    raw.executescript("DROP TABLE notice_versions; DROP TABLE notice_authors;")
    raw.close()

    def read(c):
        return latest_version(c, first.notice_id), latest_versions(c)

    old, everything = read_snapshot(store, read)  # read-only: creates nothing
    assert (old.version, old.entered_by, old.record) == (1, None, first.record)
    assert list(everything) == [first.notice_id]
    conn = connect(store)
    try:
        second = amend_notice(conn, first.notice_id, {"siblings": 2}, entered_by="s", source="page")
    finally:
        conn.close()
    assert second.version == 2


def _decided_store(tmp_path):
    """A store with one notice amended once and a decision on each version (scores by hand)."""
    from test_decisions_chain import score_by_hand
    from triage.decisions import DecisionInput, record_decision

    store = tmp_path / "store"
    conn = connect(store)
    first = add_notice(conn, make_notice(), entered_by="sato", source="page")
    score_by_hand(conn, first.notice_id)
    on_first = record_decision(
        conn, DecisionInput(notice_id=first.notice_id, decided_tier="urgent"), user="sato"
    )
    second = amend_notice(conn, first.notice_id, {"siblings": 2}, entered_by="s", source="page")
    score_by_hand(conn, first.notice_id)
    on_second = record_decision(
        conn, DecisionInput(notice_id=first.notice_id, decided_tier="urgent"), user="sato"
    )
    conn.close()
    return store, first, second, on_first, on_second


def test_each_decision_names_and_hashes_its_version_and_verify_checks_that_version(tmp_path):
    from typer.testing import CliRunner

    from triage.cli import app as cli

    store, first, second, on_first, on_second = _decided_store(tmp_path)
    assert (on_first["notice_version"], on_first["notice_hash"]) == (1, first.notice_hash)
    assert (on_second["notice_version"], on_second["notice_hash"]) == (2, second.notice_hash)
    ok = CliRunner().invoke(cli, ["decisions", "verify", "--store", str(store)])
    assert ok.exit_code == 0, ok.output
    raw = sqlite3.connect(store / DB_NAME)
    raw.execute("DROP TRIGGER notice_versions_no_update")
    raw.execute(
        "UPDATE notice_versions SET notice_json = replace(notice_json, '\"siblings\":2', '\"siblings\":5')"
    )
    raw.commit()
    raw.close()
    bad = CliRunner().invoke(cli, ["decisions", "verify", "--store", str(store)])
    assert bad.exit_code == 1, bad.output
    assert "decision 2: version 2 of notice" in bad.output and "edited after" in bad.output


def test_who_entered_a_version_is_shown_only_to_that_worker():
    from triage.web.workers import version_for_viewer

    entry = {"version": 2, "entered_by": "sato", "entered_at": "2024-04-01T00:00:00+00:00"}
    assert version_for_viewer(entry, "sato")["entered_by"] == "sato"
    assert version_for_viewer(entry, "sato")["entered_by_you"] is True
    seen = version_for_viewer(entry, "suzuki")
    assert seen["entered_by"] is None and seen["entered_by_you"] is False
    imported = version_for_viewer({**entry, "entered_by": None}, "sato")
    assert imported["entered_by"] is None and imported["entered_by_you"] is False
