"""Decisions: append-only, hash-chained, verified and exported by `triage decisions`.

Each test works on its own copy of one small store: a dozen sample notices
scored by the model the web tests train (real registry, real SQLite).
"""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3

import pandas as pd
import pytest
from typer.testing import CliRunner

from test_web import SAMPLE, open_web_state, trained_registry
from triage.cli import app as cli
from triage.contract import TIERS
from triage.decisions import (
    COLUMNS,
    DB_NAME,
    DecisionError,
    DecisionInput,
    connect,
    identifier_in_text,
    record_decision,
)
from triage.web.intake import stored_notice

pytestmark = pytest.mark.slow
N_DECISIONS = 4


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A store with 12 scored notices and four decisions by two workers."""
    registry = trained_registry(tmp_path_factory)
    root = tmp_path_factory.mktemp("decisions")
    notices = root / "twelve.jsonl"
    notices.write_text("".join(SAMPLE.read_text("utf-8").splitlines(True)[:12]), "utf-8")
    store = root / "store"
    state = open_web_state(registry, store, routing_model=None, load_sample=False, notices=notices)
    conn = connect(store)
    ids = [r["notice_id"] for r in conn.execute("SELECT notice_id FROM notices ORDER BY seq")]
    general = [i for i in ids if stored_notice(conn, i)["notice"]["notice_kind"] == "general"][
        :N_DECISIONS
    ]
    for k, nid in enumerate(general):
        score = stored_notice(conn, nid)["score"]
        if k % 2:
            other = next(t for t in TIERS if t != score["suggested_tier"])
            decision = DecisionInput(
                notice_id=nid, decided_tier=other, override_reason="家庭訪問の予定を前倒し"
            )
        else:
            decision = DecisionInput(notice_id=nid, decided_tier=score["suggested_tier"])
        record_decision(conn, decision, user=f"worker{k % 2 + 1}")
    conn.close()
    return store, state


@pytest.fixture
def store(template, tmp_path):
    copy = tmp_path / "store"
    shutil.copytree(template[0], copy)
    return copy


def _cli(*args: str):
    return CliRunner().invoke(cli, list(args))


def _raw(store):
    """The database as someone editing it by hand would open it: triggers dropped first."""
    db = sqlite3.connect(store / DB_NAME)
    db.execute("DROP TRIGGER decisions_no_update")
    db.execute("DROP TRIGGER decisions_no_delete")
    return db


def test_an_intact_chain_verifies(store):
    result = _cli("decisions", "verify", "--store", str(store))
    assert result.exit_code == 0, result.output
    assert f"ok: {N_DECISIONS} decisions" in result.stdout and "head" in result.stdout


def _edit_record(db, decision_id: int, **changes) -> None:
    (text,) = db.execute(
        "SELECT record FROM decisions WHERE decision_id = ?", (decision_id,)
    ).fetchone()
    record = {**json.loads(text), **changes}
    db.execute(
        "UPDATE decisions SET record = ? WHERE decision_id = ?",
        (
            json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
            decision_id,
        ),
    )


@pytest.mark.parametrize(
    "edit",
    [
        lambda db: _edit_record(db, 2, decided_tier="standard", tier_overridden=False),
        lambda db: _edit_record(db, 2, override_reason="理由を書き換えた"),
        lambda db: _edit_record(db, 2, decided_by="someone_else"),
        lambda db: db.execute("UPDATE decisions SET record = record || ' ' WHERE decision_id = 2"),
        lambda db: db.execute("UPDATE decisions SET hash = ? WHERE decision_id = 2", ("f" * 64,)),
        lambda db: db.execute(
            "UPDATE decisions SET prev_hash = ? WHERE decision_id = 2", ("0" * 64,)
        ),
    ],
    ids=["tier", "reason", "worker", "whitespace", "hash", "prev_hash"],
)
def test_editing_a_stored_decision_by_hand_fails_verify_naming_it(store, edit):
    db = _raw(store)
    edit(db)
    db.commit()
    db.close()
    result = _cli("decisions", "verify", "--store", str(store))
    assert result.exit_code == 1
    assert "decision 2:" in result.stderr and "BROKEN" in result.stderr


def test_an_edit_that_recomputes_its_own_hash_without_the_key_is_found_at_that_decision(store):
    import hashlib

    from triage.decisions import canonical_json

    db = _raw(store)
    text, prev = db.execute(
        "SELECT record, prev_hash FROM decisions WHERE decision_id = 2"
    ).fetchone()
    record = canonical_json({**json.loads(text), "decided_by": "someone_else"})
    unkeyed = hashlib.sha256((record + prev).encode()).hexdigest()  # the chain before it had a key
    db.execute("UPDATE decisions SET record = ?, hash = ? WHERE decision_id = 2", (record, unkeyed))
    db.commit()
    result = _cli("decisions", "verify", "--store", str(store))
    assert result.exit_code == 1 and "decision 2:" in result.stderr


def test_removing_a_decision_breaks_the_chain_at_the_next(store):
    db = _raw(store)
    db.execute("DELETE FROM decisions WHERE decision_id = 2")
    db.commit()
    result = _cli("decisions", "verify", "--store", str(store))
    assert result.exit_code == 1 and "decision 3:" in result.stderr


def test_the_store_refuses_update_and_delete_of_decisions(store):
    conn = connect(store)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE decisions SET notice_id = 'X' WHERE decision_id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM decisions")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_export_has_the_decision_fields_and_no_other_free_text(store, tmp_path, suffix):
    out = tmp_path / f"decisions{suffix}"
    result = _cli("decisions", "export", "--store", str(store), "--out", str(out))
    assert result.exit_code == 0, result.output
    if suffix == ".csv":
        with out.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        columns = list(rows[0])
    elif suffix == ".jsonl":
        rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
        columns = list(rows[0])
    else:
        frame = pd.read_parquet(out)
        rows, columns = frame.to_dict("records"), list(frame.columns)
    assert columns == list(COLUMNS) and len(rows) == N_DECISIONS
    assert "decided_by" not in columns and "notice_json" not in columns
    workers = {r["worker"] for r in rows}
    assert len(workers) == 2 and all(w.startswith("W-") for w in workers)
    reasons = [r["override_reason"] for r in rows if isinstance(r["override_reason"], str)]
    reasons = [r for r in reasons if r]  # CSV writes a missing reason as ""
    assert reasons == ["家庭訪問の予定を前倒し"] * (N_DECISIONS // 2)


def test_export_can_name_workers_and_refuses_a_broken_chain(store, tmp_path):
    out = tmp_path / "d.jsonl"
    assert (
        _cli(
            "decisions", "export", "--store", str(store), "--out", str(out), "--worker-ids"
        ).exit_code
        == 0
    )
    workers = {json.loads(line)["worker"] for line in out.read_text("utf-8").splitlines()}
    assert workers == {"worker1", "worker2"}
    db = _raw(store)
    _edit_record(db, 3, decided_by="someone_else")
    db.commit()
    result = _cli("decisions", "export", "--store", str(store), "--out", str(tmp_path / "x.csv"))
    assert result.exit_code == 1 and "decision 3" in result.stderr
    assert not (tmp_path / "x.csv").exists()
    bad = _cli("decisions", "export", "--store", str(store), "--out", str(tmp_path / "x.xlsx"))
    assert bad.exit_code == 1


def test_verify_on_a_missing_store_says_so_and_creates_nothing(tmp_path):
    result = _cli("decisions", "verify", "--store", str(tmp_path / "none"))
    assert result.exit_code == 2 and "no intake store" in result.stderr
    assert not (tmp_path / "none").exists()


def _first_score(store, kind: str = "general") -> dict:
    conn = connect(store)
    for (nid,) in conn.execute("SELECT notice_id FROM notices ORDER BY seq"):
        stored = stored_notice(conn, nid)
        if stored["notice"]["notice_kind"] == kind:
            return stored
    raise AssertionError(kind)


def test_a_reason_without_an_override_is_refused(store):
    stored = _first_score(store)
    decision = DecisionInput(
        notice_id=stored["notice"]["notice_id"],
        decided_tier=stored["score"]["suggested_tier"],
        override_reason="no change",
    )
    with pytest.raises(DecisionError) as err:
        record_decision(connect(store), decision, user="worker1")
    assert err.value.field == "override_reason" and err.value.code == "reason_only"


def test_a_decision_below_the_rule_floor_is_recorded_and_flagged(store):
    conn = connect(store)
    floored = [
        stored_notice(conn, nid)
        for (nid,) in conn.execute("SELECT notice_id FROM scores WHERE rule_floor = 'immediate'")
    ]
    stored = next(s for s in floored if s["notice"]["notice_kind"] == "general")
    record = record_decision(
        conn,
        DecisionInput(
            notice_id=stored["notice"]["notice_id"],
            decided_tier="standard",
            override_reason="already seen by the centre this morning",
        ),
        user="worker1",
    )
    assert record["below_rule_floor"] is True and record["rule_floor"] == "immediate"
    assert record["notice_hash"] == stored["notice_hash"]
    assert "notice" not in record and "child_age_years" not in record  # the hash, not a copy


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("連絡先 taro@example.jp", "an e-mail address"),
        ("母の携帯 090-1234-5678 に連絡", "a phone number"),
        ("〒100-0001 の住所", "a postal code"),
        ("個人番号 123456789012", "an individual number"),
        ("3回目の通告、48時間以内に家庭訪問済み", None),
        ("seen at school on 2024-04-01 at 10:30", None),
    ],
)
def test_identifiers_in_a_reason_are_recognised(text, what):
    assert identifier_in_text(text) == what


@pytest.mark.parametrize("sent", ["N-1\n", " N-1", "N-1\r\n", "N-1\t"])
def test_a_notice_id_with_a_line_break_or_spaces_is_refused_not_stripped_onto_another(sent):
    # Stripping "N-1\n" to "N-1" would record the decision on another notice.
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="no surrounding whitespace"):
        DecisionInput(notice_id=sent, decided_tier="urgent")
    assert DecisionInput(notice_id="N-1", decided_tier="urgent").notice_id == "N-1"


@pytest.mark.parametrize(
    "reason", ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3+cmd", "@SUM(1+9)"]
)
def test_a_csv_export_never_hands_a_spreadsheet_a_formula(store, tmp_path, reason):
    from triage.decisions import write_export

    source = tmp_path / "d.jsonl"
    assert _cli("decisions", "export", "--store", str(store), "--out", str(source)).exit_code == 0
    rows = [json.loads(line) for line in source.read_text("utf-8").splitlines()]
    rows[0]["override_reason"] = reason
    out = write_export(rows, tmp_path / "d.csv")
    with out.open(encoding="utf-8") as fh:
        exported = list(csv.DictReader(fh))
    assert exported[0]["override_reason"] == "'" + reason
    json_out = write_export(rows, tmp_path / "again.jsonl")  # JSON keeps the text as written
    assert json.loads(json_out.read_text("utf-8").splitlines()[0])["override_reason"] == reason
