"""The queue page's data: cached scores in queue order (``build_queue``), filters, counts.

Ordering and overdue come from :func:`triage.scoring.queue.build_queue`, the
function behind `triage queue`, applied to the whole store; filters then
pick rows without renumbering, so a notice keeps its place in the queue.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

from triage.contract import TIERS
from triage.decisions import latest_decisions
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

    def data(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
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


def _keep(entry: dict[str, Any], f: QueueFilters) -> bool:
    if f.tier and entry["suggested_tier"] != f.tier:
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
    return {t: sum(e["suggested_tier"] == t for e in entries) for t in TIERS}


def queue_page(
    conn: sqlite3.Connection, *, as_of: pd.Timestamp, capacity: DayCapacity, filters: QueueFilters
) -> QueuePage:
    rows = conn.execute(
        "SELECT s.notice_id, s.suggested_tier, s.rule_floor, s.rules, s.safety_deadline, s.dv_route, "
        "s.score_hash, json_extract(n.notice_json, '$.route') AS route, "
        "json_extract(n.notice_json, '$.notice_kind') AS notice_kind, "
        "json_extract(n.notice_json, '$.received_at') AS received_at "
        "FROM scores s JOIN notices n ON n.notice_id = s.notice_id ORDER BY n.seq"
    ).fetchall()
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
    view = build_queue(records, capacity)
    latest = latest_decisions(conn)
    for e in view.entries:
        d = latest.get(e["notice_id"])
        e["decision"] = (
            None
            if d is None
            else {
                k: d[k]
                for k in (
                    "decision_id",
                    "decided_tier",
                    "decided_dv_route",
                    "tier_overridden",
                    "dv_route_overridden",
                    "decided_by",
                    "decided_at",
                )
            }
        )
    received = pd.to_datetime([e["received_at"] for e in view.entries], utc=True)
    since = as_of - pd.Timedelta(hours=24)
    today = [e for e, t in zip(view.entries, received, strict=True) if since < t <= as_of]
    counts_today = _counts(today)
    kept = [e for e in view.entries if _keep(e, filters)]
    limit = max(1, min(filters.limit, 1000))
    offset = max(0, filters.offset)
    cgc = counts_today["immediate"] + counts_today["urgent"]
    return QueuePage(
        as_of=as_of,
        entries=kept[offset : offset + limit],
        total=len(kept),
        counts_open=_counts([e for e in view.entries if e["decision"] is None]),
        counts_today=counts_today,
        capacity=capacity,
        over_today={
            "immediate": counts_today["immediate"] > capacity.immediate,
            "immediate+urgent": cgc > capacity.per_day,
        },
    )
