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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from triage.contract import TriageError
from triage.decisions import (
    canonical_json,
    notice_versions,
    sha256_text,
    store_checked_notices,
)
from triage.decisions.notice_versions import (
    LATEST_NOTICES_SQL,
    NOTICE_CHANGED,
    canonical_records,
)
from triage.notices import (
    RowError,
    ValidationResult,
    epoch_micro,
    epoch_micros,
    shorten,
    validate_notices,
)
from triage.rules import SAFETY_WINDOW
from triage.scoring.lines import score_line

BATCH = 500
NAMED = 3
"""How many clashing ids or invalid rows a summary names before it just counts."""


class NoticeImportError(TriageError):
    """A notice file gave the store nothing: unreadable, or every notice invalid or clashing."""


@dataclass
class ImportResult:
    added: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    clashed: list[str] = field(default_factory=list)
    """notice_ids already in the store with other contents (not imported)."""
    n_rows: int = 0
    rejected_rows: list[int] = field(default_factory=list)

    @property
    def conflicts(self) -> list[str]:
        return [NOTICE_CHANGED.format(id=i) for i in self.clashed]


def notice_hash(record: dict[str, Any]) -> str:
    return sha256_text(canonical_json(record))


def import_notices(conn: sqlite3.Connection, source: Any, *, source_name: str) -> ImportResult:
    """Validate ``source`` (path, frame or dicts) and add its valid notices to the store.

    A notice already stored under its id is skipped: counted ``unchanged`` when
    its contents are the same, listed in ``clashed`` when not (a stored notice
    never changes).
    """
    return _add_valid(conn, validate_notices(source), source_name=source_name)


def _add_valid(
    conn: sqlite3.Connection, result: ValidationResult, *, source_name: str
) -> ImportResult:
    out = ImportResult(
        errors=list(result.errors), n_rows=result.n_rows, rejected_rows=list(result.rejected_rows)
    )
    outcomes = store_checked_notices(
        conn, canonical_records(result.valid), entered_by=None, source=source_name, keep_id=True
    )
    for outcome in outcomes:
        if outcome.status == "stored":
            out.added += 1
        elif outcome.status == "unchanged":
            out.unchanged += 1
        else:
            out.clashed.append(outcome.notice_id)
    return out


def _named(items: list[str], *, sep: str = ", ") -> str:
    more = len(items) - NAMED
    return sep.join(items[:NAMED]) + (f" and {more} more" if more > 0 else "")


def clash_summary(result: ImportResult, *, sample_in_store: bool) -> str:
    """One sentence for all the clashing ids: how many, the first few, and what to do."""
    n = len(result.clashed)
    why = (
        f"{n} of {result.n_rows} notices have a notice_id already in the store with other "
        f"contents ({_named(result.clashed)}), and a stored notice never changes (decisions "
        "hash it)"
    )
    new_store = (
        "serve them from a new store (--store NEW_FOLDER, after "
        "`triage users add NAME --store NEW_FOLDER`: a store keeps its own logins)"
    )
    if sample_in_store:
        return (
            f"{why}; this store holds the synthetic sample, loaded when it was empty, whose "
            f"ids `triage synth` also gives: {new_store}"
        )
    return f"{why}: give the new facts new notice_ids, or {new_store}"


def invalid_summary(result: ImportResult, path: Path) -> str:
    """One sentence for the invalid rows: how many, the first problem of the first few, where to see all."""
    unit = "row" if path.suffix.lower() == ".parquet" else "line"
    first: dict[int, RowError] = {}
    for e in result.errors:
        first.setdefault(e.row, e)
    rows = [f"{unit} {e.row}: {e.message}" for e in first.values()]
    return (
        f"{len(result.rejected_rows)} of {result.n_rows} notices invalid ({_named(rows, sep='; ')}); "
        f"`triage validate {path}` lists every problem"
    )


def import_notice_file(
    conn: sqlite3.Connection, path: Path, *, sample_in_store: bool, log: Any = print
) -> ImportResult:
    """Import a notice file at start-up; summarise what was skipped in a line or two.

    Raises :class:`NoticeImportError` when the file cannot be read or gives the
    store nothing (no notice added and none already there): a server started
    on it would show an empty queue and look as if it worked. Importing the
    same file again is harmless: its notices are already there, and counted.
    """
    import pyarrow as pa

    try:
        valid = validate_notices(path)
    except FileNotFoundError:
        raise NoticeImportError(f"notices: no such file: {path}", param="notices") from None
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise NoticeImportError(
            f"notices: cannot read {path}: {shorten(str(exc))}", param="notices"
        ) from None
    result = _add_valid(conn, valid, source_name=path.name)
    problems = []
    if result.rejected_rows:
        problems.append(invalid_summary(result, path))
    if result.clashed:
        problems.append(clash_summary(result, sample_in_store=sample_in_store))
    if result.added == 0 and result.unchanged == 0:
        why = "; ".join(problems) or "it holds no notices"
        raise NoticeImportError(f"notices: nothing imported from {path}: {why}", param="notices")
    for problem in problems:
        log(f"warning: {path}: {problem}")
    skipped = len(result.rejected_rows) + len(result.clashed)
    log(
        f"{path}: imported {result.added} notices ({result.unchanged} already there"
        + (f", {skipped} skipped" if skipped else "")
        + ")"
    )
    return result


def valid_until(frame: pd.DataFrame, as_of: pd.Timestamp) -> list[int | None]:
    """Per notice, the next moment after ``as_of`` at which a rule's verdict changes, or None."""
    now = epoch_micro(as_of)
    received = epoch_micros(frame["received_at"])
    if "safety_confirmed_at" in frame.columns:
        confirmed = epoch_micros(frame["safety_confirmed_at"])
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


def _frame(conn: sqlite3.Connection, ids: list[str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """The latest version of each notice as a frame, and which version each is."""
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT notice_id, version, notice_json FROM ({LATEST_NOTICES_SQL}) "
        f"WHERE notice_id IN ({marks}) ORDER BY seq",
        ids,
    ).fetchall()
    frame = validate_notices([json.loads(r["notice_json"]) for r in rows]).valid
    return frame, {r["notice_id"]: r["version"] for r in rows}


def _still_latest(conn: sqlite3.Connection, scored: dict[str, int]) -> set[str]:
    """The notices whose scored version is still their latest (read in the write transaction)."""
    marks = ",".join("?" * len(scored))
    rows = conn.execute(
        "SELECT notice_id, MAX(version) AS version FROM notice_versions "
        f"WHERE notice_id IN ({marks}) GROUP BY notice_id",
        list(scored),
    ).fetchall()
    latest = {r["notice_id"]: r["version"] for r in rows}
    return {nid for nid, version in scored.items() if latest.get(nid, 1) == version}


def score_notices(
    conn: sqlite3.Connection, scorer: Any, ids: list[str], *, as_of: pd.Timestamp, scorer_key: str
) -> int:
    """Score the latest versions of the given notices at ``as_of`` and cache their lines
    (in Japanese, the default)."""
    done = 0
    for start in range(0, len(ids), BATCH):
        frame, versions = _frame(conn, ids[start : start + BATCH])
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
            # A notice amended while it was being scored keeps no score: the score
            # cached is always of the latest version, and the next refresh scores it.
            current = _still_latest(conn, versions)
            rows = [r for r in rows if r[0] in current]
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
    now = epoch_micro(as_of)
    rows = conn.execute(
        "SELECT n.notice_id FROM notices n LEFT JOIN scores s ON s.notice_id = n.notice_id "
        "WHERE s.notice_id IS NULL OR s.scorer_key != ? OR s.valid_until_us <= ? ORDER BY n.seq",
        (scorer_key, now),
    ).fetchall()
    ids = [r["notice_id"] for r in rows]
    return score_notices(conn, scorer, ids, as_of=as_of, scorer_key=scorer_key) if ids else 0


def stored_notice(conn: sqlite3.Connection, notice_id: str) -> dict[str, Any] | None:
    """The notice's latest version, its hash and number, its versions (number, who entered
    it, when), and its cached score record (None when unscored)."""
    row = conn.execute(
        f"SELECT n.notice_json, n.notice_hash, n.version, s.line, s.score_hash, s.as_of "
        f"FROM ({LATEST_NOTICES_SQL}) n "
        "LEFT JOIN scores s ON s.notice_id = n.notice_id WHERE n.notice_id = ?",
        (notice_id,),
    ).fetchone()
    if row is None:
        return None
    return {
        "notice": json.loads(row["notice_json"]),
        "notice_hash": row["notice_hash"],
        "version": row["version"],
        "versions": version_list(conn, notice_id),
        "score": None if row["line"] is None else json.loads(row["line"]),
        "score_hash": row["score_hash"],
        "score_as_of": row["as_of"],
    }


def latest_version_numbers(conn: sqlite3.Connection, ids: list[str]) -> dict[str, int]:
    """Each notice's latest version number (1 when never amended)."""
    numbers = dict.fromkeys(ids, 1)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            "SELECT notice_id, MAX(version) FROM notice_versions "
            f"WHERE notice_id IN ({marks}) GROUP BY notice_id",
            chunk,
        ).fetchall()
        numbers.update({r[0]: r[1] for r in rows})
    return numbers


def version_list(conn: sqlite3.Connection, notice_id: str) -> list[dict[str, Any]]:
    """What the notice page and API say of each version: its number, who entered it and when."""
    return [
        {"version": v.version, "entered_by": v.entered_by, "entered_at": v.entered_at}
        for v in notice_versions(conn, notice_id)
    ]
