"""The intake team's queue: suggested tier first, then the 48-hour safety deadline, overdue first.

Built from score records (the one scoring path), so the queue never disagrees
with what `triage score` says about a notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from triage.contract import TIERS
from triage.labels import DECISION_SUPPORT_NOTICE

OVERDUE_RULE = "R-ONSITE"
"""The rule that fires when a notice is unconfirmed 48 h after receipt: overdue."""


@dataclass(frozen=True)
class DayCapacity:
    """New CGC cases a day (immediate + urgent) and the immediate part of them."""

    per_day: float
    immediate: float


@dataclass(frozen=True)
class QueueView:
    entries: list[dict[str, Any]]  # score records in queue order, with position and overdue
    counts: dict[str, int]
    capacity: DayCapacity

    def over_capacity(self) -> dict[str, bool]:
        cgc = self.counts["immediate"] + self.counts["urgent"]
        return {
            "immediate": self.counts["immediate"] > self.capacity.immediate,
            "immediate+urgent": cgc > self.capacity.per_day,
        }

    def data(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "capacity": {
                "immediate": self.capacity.immediate,
                "immediate+urgent": self.capacity.per_day,
            },
            "over_capacity": self.over_capacity(),
            "queue": self.entries,
        }


def build_queue(records: list[dict[str, Any]], capacity: DayCapacity) -> QueueView:
    rank = {t: i for i, t in enumerate(TIERS)}
    overdue = [OVERDUE_RULE in r["rules"] for r in records]
    deadline = pd.to_datetime([r["safety_deadline"] for r in records], utc=True)
    order = sorted(
        range(len(records)),
        key=lambda i: (rank[records[i]["suggested_tier"]], not overdue[i], deadline[i], i),
    )
    entries = [
        {"position": pos + 1, "overdue": overdue[i], **records[i]} for pos, i in enumerate(order)
    ]
    counts = {t: sum(r["suggested_tier"] == t for r in records) for t in TIERS}
    return QueueView(entries=entries, counts=counts, capacity=capacity)


def print_queue(view: QueueView, console, *, as_of: str, limit: int = 200) -> None:
    from rich.table import Table

    table = Table(
        title=f"Intake queue at {as_of}: suggested tier, then safety deadline (overdue first)"
    )
    for col in (
        "#",
        "notice",
        "tier",
        "rule floor",
        "safety deadline",
        "overdue",
        "DV route",
        "rules",
    ):
        table.add_column(col)
    for e in view.entries[:limit]:
        table.add_row(
            str(e["position"]),
            e["notice_id"],
            e["suggested_tier"],
            e["rule_floor"] or "—",
            e["safety_deadline"],
            "OVERDUE" if e["overdue"] else "",
            e["dv_route"] or "",
            " ".join(e["rules"]),
        )
    console.print(table)
    if len(view.entries) > limit:
        console.print(f"… and {len(view.entries) - limit} more (use --json for all)")
    cap = view.capacity
    over = view.over_capacity()
    console.print(
        f"immediate: {view.counts['immediate']} (capacity {cap.immediate:.0f} a day"
        f"{', OVER' if over['immediate'] else ''}); "
        f"immediate + urgent: {view.counts['immediate'] + view.counts['urgent']} "
        f"(capacity {cap.per_day:.0f} a day{', OVER' if over['immediate+urgent'] else ''}); "
        f"standard: {view.counts['standard']}"
    )
    console.print(DECISION_SUPPORT_NOTICE["en"], markup=False)
