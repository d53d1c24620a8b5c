"""Everything ``triage decisions verify`` checks, in one place.

1. The file is a sound SQLite database (``PRAGMA quick_check``).
2. The keyed chain: every record against its hash, its link, its columns and
   the notice version it decided on (``_chain.py``, and here for a notice's
   later versions); ids 1..n without gaps.
3. The append-only triggers are there, exactly as the store made them (those
   of notice versions too, once the store has them).
4. The anchor outside the database (``_anchor.py``): the chain still reaches
   the count and head it recorded, so removing the newest decisions is found.
5. Optionally a count and head kept further away (``expect_count``,
   ``expect_head``), for an anchor file put back from an older copy.

Tampering is reported in the :class:`ChainReport`; a file that is not a usable
store raises :class:`StoreUnusable`; a missing key raises ``KeyMissing``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from triage.decisions._anchor import ANCHOR, AnchorProblem, read_anchor
from triage.decisions._chain import GENESIS, ChainReport, ChainRows, sha256_text, verify_chain
from triage.decisions._db import APPEND_ONLY_TRIGGERS, VERSION_TRIGGERS, has_table, store_folder
from triage.decisions._record import chain_rows
from triage.decisions._store_format import DAMAGED, DB_NAME, StoreUnusable

TRIGGER_CHANGED = (
    "trigger {name}: missing or changed (without it decisions can be edited or deleted in place)"
)
VERSION_TRIGGER_CHANGED = (
    "trigger {name}: missing or changed (without it stored notice versions can be edited "
    "or deleted in place)"
)
VERSION_EDITED = (
    "decision {id}: version {version} of notice {notice!r} has stored facts that do not match "
    "its hash (edited after it was stored)"
)
ANCHOR_AHEAD = (
    "the newest decisions were removed: {anchor} counts {anchored} decisions, the store has {n}"
)
ANCHOR_HEAD = (
    "decision {count}: its hash is not the head {anchor} recorded "
    "(the chain was rewritten up to it)"
)
ANCHOR_BEHIND = (
    "{anchor} counts {anchored} of the {n} decisions (its last rewrite was interrupted); "
    "the next decision rewrites it"
)
EXPECT_COUNT = "expect_count: expected at least {expected} decisions, the store has {n}"
EXPECT_HEAD = "expect_head: no decision in the chain has the hash {expected}"
EXPECT_BOTH = "expect_head: decision {count} does not have the hash {expected}"


def verify_store(
    conn: sqlite3.Connection,
    *,
    expect_count: int | None = None,
    expect_head: str | None = None,
) -> ChainReport:
    """Check the store ``conn`` is open on (read-only is enough); the first problem found."""
    _check_integrity(conn)
    folder = store_folder(conn)
    rows = chain_rows(conn)  # reads the key first: KeyMissing if it is gone
    report = verify_chain(rows)  # first: a tampered decision is named, whatever else was done
    if not report.ok:
        return report
    if found := _amended_notice_problem(rows):
        return replace(report, broken_id=found[0], problem=found[1])
    if problem := _trigger_problem(conn):
        return replace(report, problem=problem)
    hashes = [row["hash"] for row in rows]
    try:
        anchor = read_anchor(folder, rows.key)
    except AnchorProblem as exc:
        return replace(report, problem=str(exc))
    problem = _anchor_problem(anchor.count, anchor.head, hashes)
    if problem is not None:
        return replace(report, problem=problem)
    if anchor.count < report.n:
        note = ANCHOR_BEHIND.format(anchor=ANCHOR, anchored=anchor.count, n=report.n)
        report = replace(report, notes=(*report.notes, note))
    problem = _expectation_problem(hashes, expect_count, expect_head)
    return report if problem is None else replace(report, problem=problem)


def _amended_notice_problem(rows: ChainRows) -> tuple[int, str] | None:
    """The first decision on an amended version whose stored facts no longer match its hash.

    ``verify_chain`` hashes each notice's facts once, for the first decision on
    it; a later decision on another version of the notice is checked here.
    """
    seen: set[tuple[str, str]] = set()
    for row in rows:
        version = json.loads(row["record"]).get("notice_version", 1)
        key = (row["notice_id"], row["stored_notice_hash"])
        if version == 1 or key in seen:
            continue
        seen.add(key)
        if sha256_text(row["notice_json"]) != row["stored_notice_hash"]:
            did = int(row["decision_id"])
            return did, VERSION_EDITED.format(id=did, notice=row["notice_id"], version=version)
    return None


def _check_integrity(conn: sqlite3.Connection) -> None:
    """A truncated or damaged file is a store problem (exit 2), not a tampered chain."""
    found = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
    if found != ["ok"]:
        path = store_folder(conn) / DB_NAME
        raise StoreUnusable(DAMAGED.format(path=path, why=found[0]), path=path)


def _trigger_problem(conn: sqlite3.Connection) -> str | None:
    stored: Mapping[str, Any] = {
        row[0]: row[1]
        for row in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    }
    for name, sql in APPEND_ONLY_TRIGGERS.items():
        if stored.get(name) != sql:
            return TRIGGER_CHANGED.format(name=name)
    if has_table(conn, "notice_versions"):  # a store made before versions has none yet
        for name, sql in VERSION_TRIGGERS.items():
            if stored.get(name) != sql:
                return VERSION_TRIGGER_CHANGED.format(name=name)
    return None


def _anchor_problem(count: int, head: str, hashes: Sequence[str]) -> str | None:
    n = len(hashes)
    if count > n:
        return ANCHOR_AHEAD.format(anchor=ANCHOR, anchored=count, n=n)
    if (hashes[count - 1] if count else GENESIS) != head:
        return ANCHOR_HEAD.format(count=count, anchor=ANCHOR)
    return None


def _expectation_problem(
    hashes: Sequence[str], expect_count: int | None, expect_head: str | None
) -> str | None:
    n = len(hashes)
    if expect_count is not None and expect_count > n:
        return EXPECT_COUNT.format(expected=expect_count, n=n)
    if expect_head is None:
        return None
    if expect_count is not None:
        at = hashes[expect_count - 1] if expect_count else GENESIS
        if at != expect_head:
            return EXPECT_BOTH.format(count=expect_count, expected=expect_head)
        return None
    if expect_head != GENESIS and expect_head not in hashes:
        return EXPECT_HEAD.format(expected=expect_head)
    return None
