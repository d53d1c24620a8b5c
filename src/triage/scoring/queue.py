"""The intake team's queue: suggested tier first, then the 48-hour safety deadline, overdue first.

Built from score records (the one scoring path), so the queue never disagrees
with what `triage score` says about a notice. The command line prints it
(``triage.cli.printers_queue``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from triage.contract import TIERS

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
