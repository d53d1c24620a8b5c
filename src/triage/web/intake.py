"""Notices into the intake store, scored once and cached, re-scored only when something changed.

A cached score stays valid until one of three things happens: the models or
rules change (``scorer_key``), or the clock passes a moment at which a rule's
verdict flips (``valid_until_us``: the 48-hour deadline of a notice still
unconfirmed, or a recorded confirmation time still in the future). The queue
asks :func:`refresh_scores` first, so it never shows a stale suggestion, yet
only the few notices whose moment has come are scored again.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from triage.decisions import canonical_json, sha256_text
from triage.notices import RowError, validate_notices, write_notices
from triage.rules import SAFETY_WINDOW
from triage.scoring.lines import score_line

BATCH = 500
NOTICE_CHANGED = (
    "notice_id: {id} is already in the store with other contents; a stored notice never "
    "changes (decisions hash it): import the new facts under a new notice_id"
)


@dataclass
class ImportResult:
    added: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def canonical_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Valid notices as the JSON objects `triage.notices.write_notices` writes: one form whatever the input was."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "n.jsonl"
        write_notices(frame, path)
        return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]


def notice_hash(record: dict[str, Any]) -> str:
    return sha256_text(canonical_json(record))


def import_notices(conn: sqlite3.Connection, source: Any, *, source_name: str) -> ImportResult:
    """Validate ``source`` (path, frame or dicts) and add its valid notices to the store."""
    result = validate_notices(source)
    out = ImportResult(errors=list(result.errors))
    now = datetime.now(UTC).isoformat(timespec="seconds")
    conn.execute("BEGIN IMMEDIATE")
    try:
        for rec in canonical_records(result.valid):
            text = canonical_json(rec)
            digest = sha256_text(text)
            row = conn.execute(
                "SELECT notice_hash FROM notices WHERE notice_id = ?", (rec["notice_id"],)
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO notices(notice_id, notice_json, notice_hash, source, imported_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (rec["notice_id"], text, digest, source_name, now),
                )
                out.added += 1
            elif row["notice_hash"] == digest:
                out.unchanged += 1
            else:
                out.conflicts.append(NOTICE_CHANGED.format(id=rec["notice_id"]))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return out


def _micros(values: pd.Series) -> np.ndarray:
    """UTC microseconds since the epoch; missing → NaN."""
    ts = pd.to_datetime(values, utc=True)
    us = (ts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(microseconds=1)
    return us.to_numpy(dtype="float64", na_value=np.nan)


def valid_until(frame: pd.DataFrame, as_of: pd.Timestamp) -> list[int | None]:
    """Per notice, the next moment after ``as_of`` at which a rule's verdict changes, or None."""
    now = int((as_of - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(microseconds=1))
    received = _micros(frame["received_at"])
    if "safety_confirmed_at" in frame.columns:
        confirmed = _micros(frame["safety_confirmed_at"])
    else:
        confirmed = np.full(len(frame), np.nan)
    deadline = received + SAFETY_WINDOW.value // 1000
    unconfirmed = np.isnan(confirmed) | (confirmed > now)
    moments = np.full(len(frame), np.inf)
    pending_deadline = unconfirmed & (deadline > now)
    moments[pending_deadline] = deadline[pending_deadline]
    future_confirmation = ~np.isnan(confirmed) & (confirmed > now)
    moments[future_confirmation] = np.minimum(
        moments[future_confirmation], confirmed[future_confirmation]
    )
    return [None if np.isinf(m) else int(m) for m in moments]


def _frame(conn: sqlite3.Connection, ids: list[str]) -> pd.DataFrame:
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT notice_json FROM notices WHERE notice_id IN ({marks}) ORDER BY seq", ids
    ).fetchall()
    return validate_notices([json.loads(r["notice_json"]) for r in rows]).valid


def score_notices(
    conn: sqlite3.Connection, scorer: Any, ids: list[str], *, as_of: pd.Timestamp, scorer_key: str
) -> int:
    """Score the given notices at ``as_of`` and cache their lines (in Japanese, the default)."""
    done = 0
    for start in range(0, len(ids), BATCH):
        frame = _frame(conn, ids[start : start + BATCH])
        if frame.empty:
            continue
        records = scorer.score(frame, as_of=as_of, lang="ja")
        until = valid_until(frame, as_of)
        rows = []
        for rec, vu in zip(records, until, strict=True):
            line = score_line(rec)
            rows.append(
                (
                    rec["notice_id"],
                    line,
                    sha256_text(line),
                    rec["model"],
                    scorer_key,
                    as_of.isoformat(),
                    vu,
                    rec["suggested_tier"],
                    json.dumps(rec["rules"]),
                    rec["rule_floor"],
                    rec["safety_deadline"],
                    rec["dv_route"],
                )
            )
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "INSERT OR REPLACE INTO scores(notice_id, line, score_hash, model, scorer_key, as_of, "
                "valid_until_us, suggested_tier, rules, rule_floor, safety_deadline, dv_route) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        done += len(rows)
    return done


def refresh_scores(
    conn: sqlite3.Connection, scorer: Any, *, as_of: pd.Timestamp, scorer_key: str
) -> int:
    """Score what is unscored, scored by other models or rules, or past its ``valid_until``."""
    now = int((as_of - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(microseconds=1))
    rows = conn.execute(
        "SELECT n.notice_id FROM notices n LEFT JOIN scores s ON s.notice_id = n.notice_id "
        "WHERE s.notice_id IS NULL OR s.scorer_key != ? OR s.valid_until_us <= ? ORDER BY n.seq",
        (scorer_key, now),
    ).fetchall()
    ids = [r["notice_id"] for r in rows]
    return score_notices(conn, scorer, ids, as_of=as_of, scorer_key=scorer_key) if ids else 0


def stored_notice(conn: sqlite3.Connection, notice_id: str) -> dict[str, Any] | None:
    """The notice, its hash, and its cached score record (None when unscored)."""
    row = conn.execute(
        "SELECT n.notice_json, n.notice_hash, s.line, s.score_hash, s.as_of FROM notices n "
        "LEFT JOIN scores s ON s.notice_id = n.notice_id WHERE n.notice_id = ?",
        (notice_id,),
    ).fetchone()
    if row is None:
        return None
    return {
        "notice": json.loads(row["notice_json"]),
        "notice_hash": row["notice_hash"],
        "score": None if row["line"] is None else json.loads(row["line"]),
        "score_hash": row["score_hash"],
        "score_as_of": row["as_of"],
    }
