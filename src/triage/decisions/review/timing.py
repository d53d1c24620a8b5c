"""Time from a notice's receipt to the decision on it, in hours: median and 90th percentile."""

from __future__ import annotations

import pandas as pd

from triage.contract import TIERS


def _summary(hours: pd.Series) -> dict:
    if hours.empty:
        return {"n": 0, "median": None, "p90": None}
    return {
        "n": int(len(hours)),
        "median": float(hours.median()),
        "p90": float(hours.quantile(0.9)),
    }


def decision_times(frame: pd.DataFrame) -> dict:
    hours = (frame["decided_at"] - frame["received_at"]).dt.total_seconds() / 3600.0
    return {
        "overall": _summary(hours),
        "by_tier": [
            {"tier": tier, **_summary(hours[frame["suggested_tier"] == tier])} for tier in TIERS
        ],
    }
