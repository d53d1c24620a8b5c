"""Decisions as one table: what was suggested, what was decided, and the notice's groups.

The latest decision on each notice counts (as on the notice page). The chain
is verified first, as for the research export: a tampered record is not
evidence. Logins never leave this module: workers become numbers (only their
count and spread are reported), and the override reason only its length.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

import pandas as pd

from triage.decisions._db import store_folder
from triage.decisions._verify import verify_store

from .errors import BROKEN, NO_DECISIONS, NOTICE_MISSING, NoDecisions, ReviewError, StoreTampered
from .notice_facts import notice_records

DECISION_COLUMNS: tuple[str, ...] = (
    "suggested_tier",
    "decided_tier",
    "tier_overridden",
    "suggested_dv_route",
    "decided_dv_route",
    "dv_route_overridden",
    "rule_floor",
    "below_rule_floor",
)


def read_decisions(conn: sqlite3.Connection, features: Sequence[str]) -> pd.DataFrame:
    """One row per decided notice (its latest decision) with ``features`` of the version decided on.

    Columns: ``notice_id`` (for the truth join only, never reported), ``worker``
    (a number), ``DECISION_COLUMNS``, ``rules`` (list), ``reason_length`` (0 without
    a reason), ``decided_at`` and ``received_at`` (UTC), ``notice_kind``, then ``features``.
    """
    report = verify_store(conn)
    if not report.ok:
        raise StoreTampered(BROKEN.format(problem=report.problem), param="store")
    rows = conn.execute(
        "SELECT decision_id, record FROM decisions WHERE decision_id IN "
        "(SELECT MAX(decision_id) FROM decisions GROUP BY notice_id) ORDER BY decision_id"
    ).fetchall()
    if not rows:
        raise NoDecisions(NO_DECISIONS.format(path=store_folder(conn)), param="store")
    records = [(row["decision_id"], json.loads(row["record"])) for row in rows]
    keys = {(r["notice_id"], int(r.get("notice_version") or 1)) for _, r in records}
    notices = notice_records(conn, keys)
    workers: dict[str, int] = {}
    out = []
    for decision_id, rec in records:
        version = int(rec.get("notice_version") or 1)
        notice = notices.get((rec["notice_id"], version))
        if notice is None:
            raise ReviewError(
                NOTICE_MISSING.format(decision_id=decision_id, version=version), param="store"
            )
        out.append(_row(rec, notice, workers.setdefault(rec["decided_by"], len(workers)), features))
    frame = pd.DataFrame(out)
    for column in ("decided_at", "received_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame


def _row(rec: dict[str, Any], notice: dict[str, Any], worker: int, features: Sequence[str]) -> dict:
    row: dict[str, Any] = {"notice_id": rec["notice_id"], "worker": worker}
    row.update({c: rec.get(c) for c in DECISION_COLUMNS})
    row["rules"] = list(rec.get("rules") or [])
    row["reason_length"] = len(rec.get("override_reason") or "")
    row["decided_at"] = rec["decided_at"]
    row["received_at"] = notice["received_at"]
    row["notice_kind"] = notice.get("notice_kind")
    row.update({f: notice.get(f) for f in features})
    return row
