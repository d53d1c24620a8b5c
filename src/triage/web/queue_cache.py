"""The ordered queue rows, built once and shared until the store's scores or decisions change.

Building them (2,000 notices: read, parse, order, join the latest decisions)
costs 60 to 150 ms of CPU; fifty workers polling the queue would spend the
server on it. What the rows depend on is small to check on every request:

- the scores: rewritten only by ``WebState.refresh`` in this process, which
  counts its rewrites (``scores_version``: a new model, a notice imported,
  the clock passing a score's ``valid_until_us``); the table's row count
  and largest rowid are checked too, in case another process wrote it;
- the decisions: append-only, so the largest ``decision_id`` says whether
  one was added (by this server or another process); then only the notices
  decided since are read again (``with_new_decisions``), not the whole queue.

The clock itself does not change the rows (``queue_page`` counts the last
24 hours from them per request). Without a model the rows are built from the
rules' verdicts instead (``build``), which ``WebState.refresh`` renews and
counts in ``scores_version`` the same way.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable

from triage.web.queue import QueueRows, queue_rows, with_new_decisions

ScoresKey = tuple[int, int | None, int]


def _look(conn: sqlite3.Connection, scores_version: int) -> tuple[ScoresKey, int]:
    """What the rows depend on: the scores' key, and the newest decision's id (0: none)."""
    row = conn.execute(
        "SELECT (SELECT MAX(rowid) FROM scores), (SELECT COUNT(*) FROM scores), "
        "(SELECT MAX(decision_id) FROM decisions)"
    ).fetchone()
    return (scores_version, row[0], row[1]), row[2] or 0


class QueueCache:
    """The latest :class:`QueueRows` and the scores' key they were built at; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # One tuple, replaced whole: a request reads key and rows that belong together.
        self._built: tuple[ScoresKey, QueueRows] | None = None

    def rows(
        self,
        conn: sqlite3.Connection,
        scores_version: int,
        build: Callable[[sqlite3.Connection], QueueRows] = queue_rows,
    ) -> QueueRows:
        key, newest_decision = _look(conn, scores_version)
        built = self._built
        if built is not None and built[0] == key and built[1].decided_up_to >= newest_decision:
            return built[1]
        # One request updates; those arriving meanwhile wait for its rows instead of
        # building the same again.
        with self._lock:
            key, newest_decision = _look(conn, scores_version)
            built = self._built
            if built is None or built[0] != key:
                built = (key, build(conn))
            elif built[1].decided_up_to < newest_decision:
                built = (key, with_new_decisions(conn, built[1]))
            self._built = built
            return built[1]
