"""Without a model, the national rules alone: each notice's floor, rules, actions and deadline.

The rules need no model. The page judges them with the code ``Scorer.score``
uses (``triage.rules.apply_rules``, the same rule set, at the page's clock),
with the lowest tier standing in for the model's: what shows is what the rules
require whatever a model would say (the floor, the rules firing at it, their
actions, the 48-hour deadline). A DV-witness notice that no model routed
counts as routed to the municipality, so once it is overdue R-MUNI-48H's
referral to the centre shows too. Nothing is made up: no risk, no model tier,
no suggested tier (``suggested_tier`` and ``model`` are None), and a DV route
only where the floor itself sends the notice to the centre.

A verdict changes only when a notice is added or the clock passes a moment at
which a rule flips (``intake.valid_until``), as for the cached scores.
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from triage.contract import TIERS
from triage.decisions.notice_versions import LATEST_NOTICES_SQL
from triage.notices import validate_notices
from triage.rules import CGC_TIERS, apply_rules
from triage.web.intake import valid_until

NOTICE_FIELDS = ("route", "notice_kind", "received_at")
"""The notice's own fields a queue row shows beside the rules' verdict."""


@dataclass(frozen=True)
class RuleVerdicts:
    """Every stored notice's rule verdict at ``as_of``, in store order (by ``notice_id``)."""

    by_id: dict[str, dict[str, Any]]
    as_of: pd.Timestamp
    newest_seq: int | None
    """The newest notice judged: a later one means judging again."""
    valid_until_us: float
    """The earliest moment (UTC microseconds) at which a verdict flips; inf: never."""


def judge_store(conn: sqlite3.Connection, *, rule_set: Any, as_of: pd.Timestamp) -> RuleVerdicts:
    """The rules' verdict on every notice in the store at ``as_of``."""
    newest = conn.execute("SELECT MAX(seq) FROM notices").fetchone()[0]
    stored = {
        rec["notice_id"]: rec
        for rec in (
            json.loads(r[0])
            for r in conn.execute(f"SELECT notice_json FROM ({LATEST_NOTICES_SQL}) ORDER BY seq")
        )
    }
    frame = validate_notices(list(stored.values())).valid if stored else pd.DataFrame()
    if frame.empty:
        return RuleVerdicts(by_id={}, as_of=as_of, newest_seq=newest, valid_until_us=math.inf)
    lowest = np.full(len(frame), TIERS[-1], dtype=object)
    outcome = apply_rules(frame, lowest, as_of=as_of, rule_set=rule_set)
    by_id = {}
    for notice_id, verdict, route in zip(
        frame["notice_id"].tolist(),
        outcome.records(),
        outcome.dv_route.tolist(),
        strict=True,
    ):
        by_id[notice_id] = {
            **verdict,
            "suggested_tier": None,
            "model": None,
            "dv_route": route if verdict["rule_floor"] in CGC_TIERS else None,
            **{k: stored[notice_id].get(k) for k in NOTICE_FIELDS},
        }
    moments = [m for m in valid_until(frame, as_of) if m is not None]
    return RuleVerdicts(
        by_id=by_id, as_of=as_of, newest_seq=newest, valid_until_us=min(moments, default=math.inf)
    )


def queue_records(verdicts: RuleVerdicts) -> list[dict[str, Any]]:
    """The verdicts as queue records, ordered by the tier the rules alone give.

    ``build_queue`` orders by ``suggested_tier``: here that is the floor (the
    lowest tier when no rule sets one); ``queue.ordered_rows`` takes it away again.
    """
    return [
        {**v, "notice_id": nid, "suggested_tier": v["rule_floor"] or TIERS[-1], "score_hash": None}
        for nid, v in verdicts.by_id.items()
    ]
