"""A test helper that decides like a team with a known habit, into a real store.

Every scored notice gets one decision through ``triage.decisions.record_decision``
(the real checks, the real chain). The habit: a notice whose suggestion could
go up is overridden one tier up at a rate that depends on one boolean fact of
the notice (``feature``): ``rate * factor`` when the fact is true, ``rate``
otherwise (false or unknown). The overridden notices of each group are an
exact share of it (rounded), drawn with a seed, so a review must recover
``factor`` itself, not a noisy draw of it. Every other notice keeps the
suggestion. Decisions are dated ``hours`` after receipt.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from triage.contract import TIERS
from triage.decisions import DecisionInput, record_decision
from triage.decisions.notice_versions import latest_versions

REASON = "訪問時の様子から緊急度を引き上げ"


@dataclass(frozen=True)
class SimulatedDecisions:
    decided: int
    could_go_up: dict[bool, int]
    """Notices that could be overridden upward, by whether ``feature`` is true."""
    overridden_up: dict[bool, int]
    hours: float


def decide_with_pattern(
    conn: sqlite3.Connection,
    *,
    feature: str = "welfare_receipt",
    rate: float = 0.2,
    factor: float = 2.0,
    hours: float = 6.0,
    seed: int = 0,
    users: tuple[str, ...] = ("worker1", "worker2", "worker3"),
) -> SimulatedDecisions:
    scores = {
        row["notice_id"]: row
        for row in conn.execute("SELECT notice_id, suggested_tier, dv_route FROM scores")
    }
    notices = {i: v.record for i, v in latest_versions(conn).items() if i in scores}
    ids = sorted(notices)
    rng = np.random.default_rng(seed)
    could = {flag: [] for flag in (True, False)}
    for notice_id in ids:
        if scores[notice_id]["suggested_tier"] != TIERS[0]:
            could[notices[notice_id].get(feature) is True].append(notice_id)
    up: set[str] = set()
    for flag, members in could.items():
        share = rate * factor if flag else rate
        up.update(rng.permutation(members)[: round(share * len(members))].tolist())
    for k, notice_id in enumerate(ids):
        suggested = scores[notice_id]["suggested_tier"]
        raised = notice_id in up
        decided = TIERS[TIERS.index(suggested) - 1] if raised else suggested
        received = datetime.fromisoformat(notices[notice_id]["received_at"])
        record_decision(
            conn,
            DecisionInput(
                notice_id=notice_id,
                decided_tier=decided,
                decided_dv_route=scores[notice_id]["dv_route"],
                override_reason=REASON if raised else None,
            ),
            user=users[k % len(users)],
            now=received + timedelta(hours=hours),
        )
    return SimulatedDecisions(
        decided=len(ids),
        could_go_up={flag: len(m) for flag, m in could.items()},
        overridden_up={flag: len(up & set(m)) for flag, m in could.items()},
        hours=hours,
    )
