"""The keyed decision chain under tampering: every class of edit `verify` must find.

Each test works on its own copy of one small real store: six sample notices
imported by the intake's own importer, each given a score row by hand (the
decision rules read only the row, so no model is trained), and four
decisions recorded by ``record_decision``. The tampering is done as someone
with write access to the database but not to the key would do it: triggers
dropped, rows edited, hashes recomputed with the unkeyed formula.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from triage.cli import app as cli
from triage.decisions import (
    ANCHOR,
    CHAIN_KEY,
    DB_NAME,
    DecisionInput,
    canonical_json,
    chain_hash,
    connect,
    record_decision,
    sha256_text,
)

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "synthetic" / "sample" / "notices.jsonl"
N_NOTICES = 6
N_DECISIONS = 4
SCORED_AT = "2024-04-01T09:00:00+09:00"


def score_by_hand(conn: sqlite3.Connection, notice_id: str, tier: str = "urgent") -> None:
    """A score row as the intake caches one (what ``record_decision`` reads)."""
    rec = {
        "notice_id": notice_id,
        "model": "models:/intake-urgency/1",
        "risk": 0.42,
        "model_tier": tier,
        "rule_floor": None,
        "rules": [],
        "suggested_tier": tier,
        "dv_route": None,
        "safety_deadline": "2024-04-03T09:00:00+09:00",
    }
    line = json.dumps(rec, ensure_ascii=False)
    conn.execute(
        "INSERT OR REPLACE INTO scores(notice_id, line, score_hash, model, scorer_key, as_of, "
        "valid_until_us, suggested_tier, rules, rule_floor, safety_deadline, dv_route) "
        "VALUES (?, ?, ?, ?, 'by-hand', ?, NULL, ?, '[]', NULL, ?, NULL)",
        (notice_id, line, sha256_text(line), rec["model"], SCORED_AT, tier, rec["safety_deadline"]),
    )


def make_store(folder: Path, sample_dir: Path) -> list[str]:
    """A new store with six scored notices and four decisions (two overrides); the notice ids."""
    from triage.web.intake import import_notices

    notices = sample_dir / "six.jsonl"
    notices.write_text("".join(SAMPLE.read_text("utf-8").splitlines(True)[:N_NOTICES]), "utf-8")
    conn = connect(folder)
    try:
        import_notices(conn, notices, source_name=notices.name)
        ids = [r[0] for r in conn.execute("SELECT notice_id FROM notices ORDER BY seq")]
        for nid in ids:
            score_by_hand(conn, nid)
        for k, nid in enumerate(ids[:N_DECISIONS]):
            override = k % 2 == 1
            decision = DecisionInput(
                notice_id=nid,
                decided_tier="standard" if override else "urgent",
                override_reason="家庭訪問の予定を前倒し" if override else None,
            )
            record_decision(conn, decision, user=f"worker{k % 2 + 1}")
    finally:
        conn.close()
    return ids


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("chain")
    ids = make_store(root / "store", root)
    return root / "store", ids


@pytest.fixture
def store(template, tmp_path):
    copy = tmp_path / "store"
    shutil.copytree(template[0], copy)
    return copy


@pytest.fixture
def ids(template):
    return template[1]


def verify(store: Path, *flags: str):
    return CliRunner().invoke(cli, ["decisions", "verify", "--store", str(store), *flags])


def raw(store: Path) -> sqlite3.Connection:
    """The database as someone editing it by hand would open it: triggers dropped first."""
    db = sqlite3.connect(store / DB_NAME)
    db.execute("DROP TRIGGER decisions_no_update")
    db.execute("DROP TRIGGER decisions_no_delete")
    return db


def restore_triggers(db: sqlite3.Connection) -> None:
    """Put the triggers back, so that only the tampering under test is left to find."""
    from triage.decisions._db import APPEND_ONLY_TRIGGERS

    for sql in APPEND_ONLY_TRIGGERS.values():
        db.execute(sql)


def unkeyed(record: str, prev: str) -> str:
    """The chain's hash as it was before it had a key: anyone could recompute it."""
    return hashlib.sha256((record + prev).encode()).hexdigest()


def rechain(db: sqlite3.Connection, hasher) -> None:
    """Recompute every decision's link and hash, in order, with ``hasher(record, prev)``."""
    prev = "0" * 64
    rows = db.execute("SELECT decision_id, record FROM decisions ORDER BY decision_id").fetchall()
    for did, record in rows:
        digest = hasher(record, prev)
        db.execute(
            "UPDATE decisions SET prev_hash = ?, hash = ? WHERE decision_id = ?",
            (prev, digest, did),
        )
        prev = digest


def edit_record(db: sqlite3.Connection, decision_id: int, **changes) -> None:
    (text,) = db.execute(
        "SELECT record FROM decisions WHERE decision_id = ?", (decision_id,)
    ).fetchone()
    db.execute(
        "UPDATE decisions SET record = ? WHERE decision_id = ?",
        (canonical_json({**json.loads(text), **changes}), decision_id),
    )


def broken(result, decision: int | None = None, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("BROKEN: "), result.stderr
    if decision is not None:
        assert f"decision {decision}:" in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    assert "Traceback" not in result.output


# ------------------------------------------------------------------ intact


def test_an_intact_store_verifies_and_prints_its_head_and_count(store):
    result = verify(store)
    assert result.exit_code == 0, result.output
    assert f"ok: {N_DECISIONS} decisions" in result.stdout
    head = result.stdout.split("head ")[1].split()[0]
    assert len(head) == 64
    assert f"--expect-count {N_DECISIONS} --expect-head {head}" in result.stdout
    again = verify(store, "--expect-count", str(N_DECISIONS), "--expect-head", head)
    assert again.exit_code == 0, again.output


# ------------------------------------------------------------------ tampering, one class each


def test_an_edit_with_the_whole_chain_recomputed_without_the_key_is_found(store):
    db = raw(store)
    edit_record(db, 2, decided_tier="urgent", tier_overridden=False, override_reason=None)
    rechain(db, unkeyed)
    restore_triggers(db)
    db.commit()
    broken(verify(store), 1, "keyed hash")  # not one hash of the recomputed chain is keyed


def test_an_edit_rechained_with_a_guessed_key_is_found(store):
    db = raw(store)
    edit_record(db, 3, decided_by="someone_else")
    rechain(db, lambda record, prev: chain_hash(b"\x00" * 32, record, prev))
    restore_triggers(db)
    db.commit()
    broken(verify(store), 1, "keyed hash")


def test_a_forged_append_is_found(store, ids):
    db = sqlite3.connect(store / DB_NAME)  # appending needs no trigger dropped
    (last, head, text) = db.execute(
        "SELECT decision_id, hash, record FROM decisions ORDER BY decision_id DESC LIMIT 1"
    ).fetchone()
    forged = canonical_json(
        {**json.loads(text), "decision_id": last + 1, "notice_id": ids[5], "decided_by": "x"}
    )
    db.execute(
        "INSERT INTO decisions(decision_id, notice_id, record, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?)",
        (last + 1, ids[5], forged, head, unkeyed(forged, head)),
    )
    db.commit()
    broken(verify(store), last + 1, "keyed hash")


def test_moving_a_decision_to_another_notice_by_its_column_is_found(store, ids):
    # The page lists decisions by the notice_id column, not by the record.
    db = raw(store)
    db.execute("UPDATE decisions SET notice_id = ? WHERE decision_id = 2", (ids[5],))
    restore_triggers(db)
    db.commit()
    broken(verify(store), 2, "notice_id column")


def test_editing_a_decided_notices_stored_facts_is_found(store, ids):
    db = sqlite3.connect(store / DB_NAME)
    (text,) = db.execute(
        "SELECT notice_json FROM notices WHERE notice_id = ?", (ids[1],)
    ).fetchone()
    notice = json.loads(text)
    notice["child_age_years"] = (notice["child_age_years"] or 0) + 3
    db.execute(
        "UPDATE notices SET notice_json = ? WHERE notice_id = ?", (canonical_json(notice), ids[1])
    )
    db.commit()
    broken(verify(store), 2, "stored facts")


def test_editing_a_decided_notice_and_its_hash_together_is_found(store, ids):
    db = sqlite3.connect(store / DB_NAME)
    (text,) = db.execute(
        "SELECT notice_json FROM notices WHERE notice_id = ?", (ids[0],)
    ).fetchone()
    edited = canonical_json({**json.loads(text), "injury": "severe"})
    db.execute(
        "UPDATE notices SET notice_json = ?, notice_hash = ? WHERE notice_id = ?",
        (edited, sha256_text(edited), ids[0]),
    )
    db.commit()
    broken(verify(store), 1, "another hash than the one decided on")


@pytest.mark.parametrize("trigger", ["decisions_no_update", "decisions_no_delete"])
def test_a_dropped_append_only_trigger_is_found(store, trigger):
    db = sqlite3.connect(store / DB_NAME)
    db.execute(f"DROP TRIGGER {trigger}")
    db.commit()
    broken(verify(store), None, f"trigger {trigger}")


def test_a_trigger_replaced_by_one_that_does_nothing_is_found(store):
    db = sqlite3.connect(store / DB_NAME)
    db.execute("DROP TRIGGER decisions_no_delete")
    db.execute("CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions BEGIN SELECT 1; END")
    db.commit()
    broken(verify(store), None, "trigger decisions_no_delete")


def test_a_gap_in_the_ids_is_found_even_when_the_chain_is_keyed(store, ids):
    # Written with the real key (a faulty writer, or someone holding the key):
    # the records and links are all sound, only the id sequence jumps.
    db = sqlite3.connect(store / DB_NAME)
    key = (store / CHAIN_KEY).read_bytes()
    (head, text) = db.execute(
        "SELECT hash, record FROM decisions ORDER BY decision_id DESC LIMIT 1"
    ).fetchone()
    record = canonical_json({**json.loads(text), "decision_id": N_DECISIONS + 2})
    db.execute(
        "INSERT INTO decisions(decision_id, notice_id, record, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            N_DECISIONS + 2,
            json.loads(text)["notice_id"],
            record,
            head,
            chain_hash(key, record, head),
        ),
    )
    db.commit()
    broken(verify(store), N_DECISIONS + 2, f"expected decision {N_DECISIONS + 1} next")


@pytest.mark.parametrize("removed", [1, 2])
def test_removing_the_newest_decisions_is_found_by_the_anchor(store, removed):
    db = raw(store)
    db.execute("DELETE FROM decisions WHERE decision_id > ?", (N_DECISIONS - removed,))
    restore_triggers(db)
    db.commit()
    broken(verify(store), None, "newest decisions were removed", ANCHOR)


def test_an_anchor_rewound_without_the_key_is_found(store):
    db = raw(store)
    db.execute("DELETE FROM decisions WHERE decision_id = ?", (N_DECISIONS,))
    (head,) = db.execute("SELECT hash FROM decisions ORDER BY decision_id DESC").fetchone()
    restore_triggers(db)
    db.commit()
    anchor = json.loads((store / ANCHOR).read_text("utf-8"))
    (store / ANCHOR).write_text(json.dumps({**anchor, "count": N_DECISIONS - 1, "head": head}))
    broken(verify(store), None, ANCHOR, "MAC")


def test_an_old_anchor_put_back_is_found_by_the_count_kept_elsewhere(store, ids):
    old_anchor = (store / ANCHOR).read_bytes()
    first = verify(store)
    head = first.stdout.split("head ")[1].split()[0]
    conn = connect(store)
    record_decision(conn, DecisionInput(notice_id=ids[4], decided_tier="urgent"), user="worker1")
    conn.close()
    # Someone removes the newest decision and puts back the anchor that matched it.
    db = raw(store)
    db.execute("DELETE FROM decisions WHERE decision_id = ?", (N_DECISIONS + 1,))
    restore_triggers(db)
    db.commit()
    (store / ANCHOR).write_bytes(old_anchor)
    assert verify(store).exit_code == 0  # the store alone cannot tell
    kept = ("--expect-count", str(N_DECISIONS + 1))
    broken(verify(store, *kept), None, "--expect-count")
    # A head kept from before is still in the chain: decisions added since are fine.
    assert verify(store, "--expect-head", head).exit_code == 0
    broken(verify(store, "--expect-head", "e" * 64), None, "--expect-head")


def test_an_anchor_left_behind_by_a_crash_is_reported_not_broken(store, ids):
    old_anchor = (store / ANCHOR).read_bytes()
    conn = connect(store)
    record_decision(conn, DecisionInput(notice_id=ids[4], decided_tier="urgent"), user="worker1")
    conn.close()
    (store / ANCHOR).write_bytes(old_anchor)  # as if killed between the commit and the anchor
    result = verify(store)
    assert result.exit_code == 0, result.output
    assert f"counts {N_DECISIONS} of the {N_DECISIONS + 1}" in result.stdout


def test_a_missing_anchor_is_found(store):
    (store / ANCHOR).unlink()
    broken(verify(store), None, "no anchor file")


# ------------------------------------------------------------------ concurrency


def test_concurrent_decisions_keep_the_chain_and_anchor_in_step(store, ids):
    from concurrent.futures import ThreadPoolExecutor

    def decide(k: int) -> int:
        conn = connect(store)
        try:
            decision = DecisionInput(notice_id=ids[k % N_NOTICES], decided_tier="urgent")
            return record_decision(conn, decision, user="worker1")["decision_id"]
        finally:
            conn.close()

    with ThreadPoolExecutor(8) as pool:
        made = sorted(pool.map(decide, range(24)))
    assert made == list(range(N_DECISIONS + 1, N_DECISIONS + 25))
    result = verify(store)
    assert result.exit_code == 0 and "note:" not in result.stdout, result.output
    assert json.loads((store / ANCHOR).read_text("utf-8"))["count"] == N_DECISIONS + 24
