"""How often the suggestion was overridden: by suggested tier, by DV route, by rule floor.

Every rate is a share of decisions with its Wilson interval. The direction of
a tier override is counted apart (up = a more urgent tier than suggested):
the upward rate among decisions that could go up (not suggested
``immediate``), the downward rate among those that could go down.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from triage.contract import DV_ROUTES, TIERS
from triage.rules import RULES

from .intervals import wilson

FLOOR_RULES: tuple[str, ...] = tuple(rule.id for rule in RULES if rule.floor)
"""The built-in rules that set a floor (R-ONSITE, R-SEVERE)."""
NO_FLOOR = "none"


def tier_moves(frame: pd.DataFrame) -> np.ndarray:
    """Per decision: -1 decided below the suggestion, 0 kept, +1 above (more urgent)."""
    rank = {t: i for i, t in enumerate(TIERS)}  # 0 = immediate: a smaller index is more urgent
    suggested = frame["suggested_tier"].map(rank).to_numpy()
    decided = frame["decided_tier"].map(rank).to_numpy()
    return np.sign(suggested - decided).astype(int)


def _rates(frame: pd.DataFrame, masks: dict[str, pd.Series], column: str, level: float) -> list:
    values = frame[column].astype(bool)
    return [
        {"key": key, **wilson(int(values[mask].sum()), int(mask.sum()), level).data()}
        for key, mask in masks.items()
        if mask.any()
    ]


def override_rates(frame: pd.DataFrame, *, level: float) -> dict:
    everyone = pd.Series(True, index=frame.index)
    by_tier = {t: frame["suggested_tier"] == t for t in TIERS}
    route = frame["suggested_dv_route"].fillna("none")
    by_route = {r: route == r for r in (*DV_ROUTES, "none")}
    floor = frame["rule_floor"].fillna(NO_FLOOR)
    by_floor = {"absent": floor == NO_FLOOR, "present": floor != NO_FLOOR}
    by_floor_rule = {
        rule: frame["rules"].map(lambda fired, rule=rule: rule in fired) for rule in FLOOR_RULES
    }
    dv = frame["suggested_dv_route"].notna()
    return {
        "overall": _rates(frame, {"all": everyone}, "tier_overridden", level)[0],
        "by_tier": _rates(frame, by_tier, "tier_overridden", level),
        "by_route": _rates(frame, by_route, "tier_overridden", level),
        "route_overridden": _rates(frame, {"dv_witness": dv}, "dv_route_overridden", level),
        "by_floor": _rates(frame, by_floor, "tier_overridden", level),
        "by_floor_rule": _rates(frame, by_floor_rule, "tier_overridden", level),
        "below_floor": wilson(
            int(frame["below_rule_floor"].astype(bool).sum()), int((floor != NO_FLOOR).sum()), level
        ).data(),
    }


def directions(frame: pd.DataFrame, *, level: float) -> dict:
    """Upward and downward overrides: counts, and rates among decisions that could move so."""
    moves = tier_moves(frame)
    could_up = (frame["suggested_tier"] != TIERS[0]).to_numpy()
    could_down = (frame["suggested_tier"] != TIERS[-1]).to_numpy()
    by_tier = []
    for tier in TIERS:
        at = (frame["suggested_tier"] == tier).to_numpy()
        if at.any():
            by_tier.append(
                {
                    "tier": tier,
                    "n": int(at.sum()),
                    "up": int((moves[at] > 0).sum()),
                    "down": int((moves[at] < 0).sum()),
                }
            )
    return {
        "up": wilson(int((moves > 0).sum()), int(could_up.sum()), level).data(),
        "down": wilson(int((moves < 0).sum()), int(could_down.sum()), level).data(),
        "by_tier": by_tier,
    }
