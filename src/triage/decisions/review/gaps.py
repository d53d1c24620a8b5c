"""Did people's decisions widen or narrow the gaps between groups that the suggestions had?

For each sensitive feature: the share of notices sent high (the audit's
``flag_tiers``, immediate or urgent) in each group shown, by the suggestion
and by the decision; the gap between groups as the largest share over the
smallest (ratio) and minus it (difference); and the change of each gap from
suggestions to decisions with a paired bootstrap interval (the audit's
resampling: one replicate resamples notices, so a notice's suggestion and
decision stay together). A change whose interval lies above 0 has widened
the gap, below 0 narrowed it; otherwise there is no clear change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from triage.audit.config import AuditConfig
from triage.audit.disparity import bootstrap_counts

from .audit_view import audit_inputs, groups_with_references
from .intervals import wilson

GAP_MEASURES: tuple[str, ...] = ("ratio", "difference")


def _gap(shares: np.ndarray) -> dict[str, np.ndarray]:
    """The gap over the last axis (groups): max / min and max − min."""
    high, low = shares.max(axis=-1), shares.min(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"ratio": high / low, "difference": high - low}


def _shares(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(suggested high, decided high) shares from confusion counts ``(..., G, 4)``."""
    n = counts.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (counts[..., 2] + counts[..., 3]) / n, (counts[..., 1] + counts[..., 3]) / n


def verdict(low: float, high: float) -> str:
    if low > 0:
        return "widened"
    if high < 0:
        return "narrowed"
    return "no_clear_change"


def _overall(verdicts: list[str]) -> str:
    found = set(verdicts) - {"no_clear_change"}
    if len(found) == 1:
        return found.pop()
    return "mixed" if found else "no_clear_change"


def group_gaps(frame: pd.DataFrame, config: AuditConfig) -> dict[str, list[dict]]:
    """``shares``: per (feature, group) the two shares; ``gaps``: per feature the gaps and verdicts."""
    sent_high = list(config.flag_tiers)
    suggested = frame["suggested_tier"].isin(sent_high).to_numpy()
    decided = frame["decided_tier"].isin(sent_high).to_numpy()
    inputs = audit_inputs(frame, suggested, decided, config)
    table, kept, _ = groups_with_references(inputs, config)
    shares = []
    for rec in table.itertuples(index=False):
        row: dict = {"feature": rec.feature, "group": rec.group, "suppressed": bool(rec.suppressed)}
        if not rec.suppressed:
            row["suggested"] = wilson(int(rec.fn + rec.tp), int(rec.n), config.level).data()
            row["decided"] = wilson(int(rec.fp + rec.tp), int(rec.n), config.level).data()
        shares.append(row)
    replicates = (
        bootstrap_counts(kept, n_boot=config.n_boot, seed=config.seed)
        if kept.groups and config.n_boot
        else {}
    )
    alpha = (1.0 - config.level) / 2.0
    gaps = []
    for feature in kept.groups:
        rows = table[table["feature"] == feature].reset_index(drop=True)
        shown = ~rows["suppressed"].to_numpy()
        counts = rows[["tn", "fp", "fn", "tp"]].to_numpy()[shown]
        point_s, point_d = (_gap(s) for s in _shares(counts))
        entry: dict = {"feature": feature, "groups": int(shown.sum())}
        verdicts = []
        for measure in GAP_MEASURES:
            change: dict[str, float | None] = {
                "estimate": float(point_d[measure] - point_s[measure]),
                "low": None,
                "high": None,
            }
            said = "no_clear_change"
            if feature in replicates:
                boot_s, boot_d = (_gap(s) for s in _shares(replicates[feature][:, shown]))
                draws = boot_d[measure] - boot_s[measure]
                draws = draws[np.isfinite(draws)]
                if draws.size:
                    low, high = (float(q) for q in np.quantile(draws, [alpha, 1.0 - alpha]))
                    change.update(low=low, high=high)
                    if shown.sum() > 1:  # one group shown: no gap to change
                        said = verdict(low, high)
            verdicts.append(said)
            entry[measure] = {
                "suggested": float(point_s[measure]),
                "decided": float(point_d[measure]),
                "change": change,
                "verdict": said,
            }
        entry["verdict"] = _overall(verdicts)
        gaps.append(entry)
    return {"shares": shares, "gaps": gaps}
