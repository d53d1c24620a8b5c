"""What ``triage queue`` prints: the queue as a table, then the day's counts against capacity."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from triage.labels import DECISION_SUPPORT_NOTICE
from triage.scoring.queue import QueueView

COLUMNS = ("#", "notice", "tier", "rule floor", "safety deadline", "overdue", "DV route", "rules")


def print_queue(view: QueueView, console: Console, *, as_of: str, limit: int = 200) -> None:
    table = Table(
        title=f"Intake queue at {as_of}: suggested tier, then safety deadline (overdue first)"
    )
    for col in COLUMNS:
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
    c, day = view.counts, view.day_counts or view.counts
    console.print(
        f"in the file: immediate {c['immediate']}, urgent {c['urgent']}, "
        f"standard {c['standard']}"
    )
    console.print(
        f"received in the 24 h before {as_of}: immediate {day['immediate']} "
        f"(capacity {cap.immediate:.0f} a day{', OVER' if over['immediate'] else ''}); "
        f"immediate + urgent {day['immediate'] + day['urgent']} "
        f"(capacity {cap.per_day:.0f} a day{', OVER' if over['immediate+urgent'] else ''}); "
        f"standard {day['standard']}"
    )
    console.print(DECISION_SUPPORT_NOTICE["en"], markup=False)
