"""Override rates by group (the audit's sensitive features), with the audit's suppression.

Three rates: any override (all decisions), upward (decisions that could go
up) and downward (could go down). Each group's rate has its Wilson interval;
its ratio to the reference group has the audit's paired bootstrap interval and
flag. Groups under the minimum cell size are shown as suppressed, without numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from triage.audit.config import AuditConfig
from triage.audit.disparity import disparity_table
from triage.audit.flags import flag_table
from triage.contract import TIERS

from .audit_view import audit_inputs, groups_with_references
from .intervals import wilson
from .override_rates import tier_moves

MEASURES: tuple[str, ...] = ("any", "up", "down")


def _subset(frame: pd.DataFrame, measure: str) -> tuple[pd.DataFrame, np.ndarray]:
    moves = tier_moves(frame)
    if measure == "up":
        mask = (frame["suggested_tier"] != TIERS[0]).to_numpy()
        return frame[mask], moves[mask] > 0
    if measure == "down":
        mask = (frame["suggested_tier"] != TIERS[-1]).to_numpy()
        return frame[mask], moves[mask] < 0
    return frame, frame["tier_overridden"].astype(bool).to_numpy()


def _number(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


def group_rates(frame: pd.DataFrame, config: AuditConfig) -> dict[str, list[dict]]:
    """Per measure, one row per (feature, group)."""
    out: dict[str, list[dict]] = {}
    for measure in MEASURES:
        part, overridden = _subset(frame, measure)
        if part.empty:
            out[measure] = []
            continue
        inputs = audit_inputs(part, overridden, np.zeros(len(part)), config)
        table, kept, refs = groups_with_references(inputs, config)
        ratios = pd.DataFrame()
        if kept.groups:
            disparities = disparity_table(
                kept, table, refs, n_boot=config.n_boot, seed=config.seed,
                level=config.level, metrics=("base_rate",),
            )  # fmt: skip
            ratios = flag_table(disparities, config.band).set_index(["feature", "group"])
        rows = []
        for rec in table.itertuples(index=False):
            row: dict = {
                "feature": rec.feature,
                "group": rec.group,
                "suppressed": bool(rec.suppressed),
            }
            if not rec.suppressed:
                events = int(rec.fn + rec.tp)
                row.update(wilson(events, int(rec.n), config.level).data())
                row["reference"] = refs.get(rec.feature)
                if (rec.feature, rec.group) in ratios.index:
                    r = ratios.loc[(rec.feature, rec.group)]
                    row.update(
                        ratio=_number(r["ratio"]), ratio_low=_number(r["ratio_low"]),
                        ratio_high=_number(r["ratio_high"]), status=str(r["status"]),
                    )  # fmt: skip
                elif row["reference"] == rec.group:
                    row.update(ratio=1.0, ratio_low=None, ratio_high=None, status="reference")
            rows.append(row)
        out[measure] = rows
    return out
