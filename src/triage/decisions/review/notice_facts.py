"""The facts of the notice version each decision was made on (for its groups and receipt time).

A decision names the version it was shown (``notice_version``; decisions made
before versions existed mean version 1). Version 1 is the ``notices`` row, read
for all decisions at once; later versions (amendments) come from
``notice_versions``. This is the one place that reads notices for the review.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from triage.decisions.notice_versions import notice_versions

NoticeKey = tuple[str, int]
"""(notice_id, version)."""


def notice_records(
    conn: sqlite3.Connection, wanted: Iterable[NoticeKey]
) -> dict[NoticeKey, dict[str, Any]]:
    """The record of each wanted (notice_id, version) the store holds; absent ones are left out."""
    wanted = set(wanted)
    ids = sorted({notice_id for notice_id, _ in wanted})
    out: dict[NoticeKey, dict[str, Any]] = {}
    # Version 1 is the notices table's row; later versions are amendments (notice_versions).
    for notice_id, record in _first_versions(conn, ids):
        if (notice_id, 1) in wanted:
            out[(notice_id, 1)] = record
    later = {key for key in wanted if key[1] != 1}
    if later:
        out.update(_amendments(conn, later))
    return out


def _first_versions(
    conn: sqlite3.Connection, ids: list[str]
) -> Iterable[tuple[str, dict[str, Any]]]:
    chunk = 500  # SQLite's limit on bound parameters is far above this on every build we use
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        marks = ",".join("?" * len(part))
        rows = conn.execute(
            f"SELECT notice_id, notice_json FROM notices WHERE notice_id IN ({marks})", part
        ).fetchall()
        for row in rows:
            yield row["notice_id"], json.loads(row["notice_json"])


def _amendments(conn: sqlite3.Connection, keys: set[NoticeKey]) -> dict[NoticeKey, dict[str, Any]]:
    out: dict[NoticeKey, dict[str, Any]] = {}
    for notice_id in sorted({k[0] for k in keys}):
        for v in notice_versions(conn, notice_id):
            if (notice_id, v.version) in keys:
                out[(notice_id, v.version)] = dict(v.record)
    return out
