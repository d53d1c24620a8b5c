"""The queue page's data: cached scores in queue order (``build_queue``), filters, counts.

Two steps: :func:`queue_rows` reads the store and orders every row (the
costly part, shared between requests by ``queue_cache.py``);
:func:`queue_page` then counts, filters and pages them for one request.

Ordering and overdue come from :func:`triage.scoring.queue.build_queue`, the
function behind `triage queue`, applied to the whole store; filters then
pick rows without renumbering, so a notice keeps its place in the queue.
Without a model the rows are the rules' verdicts (``rule_floors.py``): no
suggested tier, ordered, counted and filtered by the rules' floor.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from triage.contract import TIERS
from triage.decisions import decisions_for, latest_decisions
from triage.decisions.notice_versions import LATEST_NOTICES_SQL
from triage.notices import epoch_micro, epoch_micros
from triage.scoring.queue import DayCapacity, build_queue

PAGE_SIZE = 100


class QueueFilters(BaseModel):
    """Query parameters of the queue page and ``GET /api/queue``."""

    model_config = ConfigDict(extra="forbid")

    tier: Literal["immediate", "urgent", "standard"] | None = None
    route: str | None = None
    dv: Literal["dv", "cgc", "municipality", "none"] | None = None
    undecided: bool = False
    offset: int = 0
    limit: int = PAGE_SIZE


@dataclass(frozen=True)
class QueuePage:
    as_of: pd.Timestamp
    entries: list[dict[str, Any]]  # this page's rows
    total: int  # rows matching the filters
    counts_open: dict[str, int]
    counts_today: dict[str, int]
    capacity: DayCapacity
    over_today: dict[str, bool]
    rules_only: bool = False
    """No model: rows carry the rules' floor and no suggested tier; counts are by floor."""

    def data(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "rules_only": self.rules_only,
            "total": self.total,
            "counts_open": self.counts_open,
            "counts_received_last_24h": self.counts_today,
            "capacity": {
                "immediate": self.capacity.immediate,
                "immediate+urgent": self.capacity.per_day,
            },
            "over_capacity_last_24h": self.over_today,
            "queue": self.entries,
        }


def queue_tier(entry: dict[str, Any]) -> str:
    """The tier a row is counted and filtered by: the suggestion; without a model, the tier
    the rules alone give (their floor, else the lowest)."""
    return entry["suggested_tier"] or entry["rule_floor"] or TIERS[-1]


def _keep(entry: dict[str, Any], f: QueueFilters) -> bool:
    if f.tier and queue_tier(entry) != f.tier:
        return False
    if f.route and entry["route"] != f.route:
        return False
    if f.dv == "dv" and entry["notice_kind"] != "dv_witness":
        return False
    if f.dv == "none" and entry["notice_kind"] == "dv_witness":
        return False
    if f.dv in ("cgc", "municipality") and entry["dv_route"] != f.dv:
        return False
    return not (f.undecided and entry["decision"] is not None)


def _counts(entries: list[dict[str, Any]]) -> dict[str, int]:
    return {t: sum(queue_tier(e) == t for e in entries) for t in TIERS}


@dataclass(frozen=True)
class QueueRows:
    """The whole queue in order, each row with its latest decision: what requests share.

    Built by :func:`queue_rows`; never changed afterwards (a page copies the rows it shows)."""

    entries: list[dict[str, Any]]
    received_us: np.ndarray  # each entry's received_at, UTC microseconds
    counts_open: dict[str, int]
    position: dict[str, int]  # notice_id → its index in entries
    decided_up_to: int  # the largest decision_id taken in (0: none)
    rules_only: bool = False  # no model: the rules' verdicts (see ``rule_floors.py``)


DECISION_FIELDS = (
    "decision_id",
    "decided_tier",
    "decided_dv_route",
    "tier_overridden",
    "dv_route_overridden",
    "decided_by",
    "decided_at",
)


def queue_rows(conn: sqlite3.Connection) -> QueueRows:
    """Every cached score in queue order, with its latest decision (the costly part)."""
    rows = conn.execute(
        "SELECT s.notice_id, s.suggested_tier, s.rule_floor, s.rules, s.safety_deadline, s.dv_route, "
        "s.score_hash, json_extract(n.notice_json, '$.route') AS route, "
        "json_extract(n.notice_json, '$.notice_kind') AS notice_kind, "
        "json_extract(n.notice_json, '$.received_at') AS received_at "
        f"FROM scores s JOIN ({LATEST_NOTICES_SQL}) n ON n.notice_id = s.notice_id ORDER BY n.seq"
    ).fetchall()  # the latest version: an amendment may change the route or the kind
    records = [
        {
            "notice_id": r["notice_id"],
            "suggested_tier": r["suggested_tier"],
            "rule_floor": r["rule_floor"],
            "rules": json.loads(r["rules"]),
            "safety_deadline": r["safety_deadline"],
            "dv_route": r["dv_route"],
            "route": r["route"],
            "notice_kind": r["notice_kind"],
            "received_at": r["received_at"],
            "score_hash": r["score_hash"],
        }
        for r in rows
    ]
    return ordered_rows(conn, records)


def ordered_rows(
    conn: sqlite3.Connection, records: list[dict[str, Any]], *, rules_only: bool = False
) -> QueueRows:
    """``records`` in queue order, each with its latest decision.

    ``rules_only``: the records are the rules' verdicts, their ``suggested_tier``
    the rules' tier for ordering only; the rows then carry None there (no model
    suggested anything)."""
    view = build_queue(records, DayCapacity(per_day=0, immediate=0))
    if rules_only:
        for e in view.entries:
            e["suggested_tier"] = None
    latest = latest_decisions(conn)
    for e in view.entries:
        d = latest.get(e["notice_id"])
        e["decision"] = None if d is None else {k: d[k] for k in DECISION_FIELDS}
    received_us = epoch_micros([e["received_at"] for e in view.entries])
    return QueueRows(
        entries=view.entries,
        received_us=np.asarray(received_us, dtype="int64"),
        counts_open=_counts([e for e in view.entries if e["decision"] is None]),
        position={e["notice_id"]: i for i, e in enumerate(view.entries)},
        decided_up_to=max((d["decision_id"] for d in latest.values()), default=0),
        rules_only=rules_only,
    )


def with_new_decisions(conn: sqlite3.Connection, rows: QueueRows) -> QueueRows:
    """``rows`` with the decisions recorded since they were built (cheap: only those notices)."""
    newest = conn.execute(
        "SELECT notice_id, MAX(decision_id) AS newest FROM decisions WHERE decision_id > ? "
        "GROUP BY notice_id",
        (rows.decided_up_to,),
    ).fetchall()
    if not newest:
        return rows
    entries = list(rows.entries)  # a new list: requests may be reading the old one
    for r in newest:
        pos = rows.position.get(r["notice_id"])
        history = decisions_for(conn, r["notice_id"])
        if pos is None or not history:
            continue  # a notice without a score is not in the queue
        entries[pos] = {**entries[pos], "decision": {k: history[-1][k] for k in DECISION_FIELDS}}
    return dataclasses.replace(
        rows,
        entries=entries,
        counts_open=_counts([e for e in entries if e["decision"] is None]),
        # Only what the query saw: a decision recorded meanwhile is taken in next time.
        decided_up_to=max(r["newest"] for r in newest),
    )


def queue_page(
    rows: QueueRows, *, as_of: pd.Timestamp, capacity: DayCapacity, filters: QueueFilters
) -> QueuePage:
    """One page of the queue at ``as_of`` (cheap: the rows are already built)."""
    now = epoch_micro(as_of)
    since = epoch_micro(as_of - pd.Timedelta(hours=24))
    recent = (rows.received_us > since) & (rows.received_us <= now)
    today = [e for e, r in zip(rows.entries, recent, strict=True) if r]
    counts_today = _counts(today)
    kept = [e for e in rows.entries if _keep(e, filters)]
    limit = max(1, min(filters.limit, 1000))
    offset = max(0, filters.offset)
    cgc = counts_today["immediate"] + counts_today["urgent"]
    return QueuePage(
        as_of=as_of,
        # Copies: the caller may change a row it shows (the decision, for its viewer).
        entries=[dict(e) for e in kept[offset : offset + limit]],
        total=len(kept),
        counts_open=dict(rows.counts_open),
        counts_today=counts_today,
        capacity=capacity,
        over_today={
            "immediate": counts_today["immediate"] > capacity.immediate,
            "immediate+urgent": cgc > capacity.per_day,
        },
        rules_only=rows.rules_only,
    )
