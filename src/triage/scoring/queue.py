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
    """The queue, its counts per tier, and the counts of one day set against the daily capacity.

    ``day_counts`` are the notices received in the 24 hours before the clock: a
    capacity is a number a day, so only a day's notices can exceed it (a file
    spanning years would otherwise always look "over").
    """

    entries: list[dict[str, Any]]  # score records in queue order, with position and overdue
    counts: dict[str, int]
    capacity: DayCapacity
    day_counts: dict[str, int] | None = None

    def over_capacity(self) -> dict[str, bool]:
        day = self.day_counts if self.day_counts is not None else self.counts
        cgc = day["immediate"] + day["urgent"]
        return {
            "immediate": day["immediate"] > self.capacity.immediate,
            "immediate+urgent": cgc > self.capacity.per_day,
        }

    def data(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "counts_last_24h": self.day_counts,
            "capacity": {
                "immediate": self.capacity.immediate,
                "immediate+urgent": self.capacity.per_day,
            },
            "over_capacity": self.over_capacity(),
            "queue": self.entries,
        }


def received_in_day(received_at: pd.Series, as_of: Any) -> list[bool]:
    """Which notices were received in the 24 hours up to ``as_of`` (the day a capacity covers)."""
    when = pd.Timestamp(as_of)
    received = pd.to_datetime(received_at, utc=True, format="ISO8601")
    return list((received > when - pd.Timedelta(hours=24)) & (received <= when))


def build_queue(
    records: list[dict[str, Any]],
    capacity: DayCapacity,
    *,
    in_day: list[bool] | None = None,
) -> QueueView:
    """The queue of ``records``; ``in_day`` (aligned to them) marks the day's notices."""
    rank = {t: i for i, t in enumerate(TIERS)}
    overdue = [OVERDUE_RULE in r["rules"] for r in records]
    # ISO 8601 each on its own (fractions of a second or not); in the unit the text needs
    deadline = pd.to_datetime(
        [r["safety_deadline"] for r in records], utc=True, format="ISO8601"
    )
    order = sorted(
        range(len(records)),
        key=lambda i: (rank[records[i]["suggested_tier"]], not overdue[i], deadline[i], i),
    )
    entries = [
        {"position": pos + 1, "overdue": overdue[i], **records[i]} for pos, i in enumerate(order)
    ]
    counts = {t: sum(r["suggested_tier"] == t for r in records) for t in TIERS}
    day = None
    if in_day is not None:
        day = {
            t: sum(r["suggested_tier"] == t for r, d in zip(records, in_day, strict=True) if d)
            for t in TIERS
        }
    return QueueView(entries=entries, counts=counts, capacity=capacity, day_counts=day)
