"""Agreement of decision with suggestion: the 3×3 table and linear-weighted kappa.

Kappa by suggested tier is degenerate (within one suggested tier the
suggestion never varies), so each tier gets the share of its suggestions kept
and the tier's own kappa: Cohen's kappa of "is this tier" between suggestion
and decision. The overall kappa's interval resamples decisions: a multinomial
draw over the table's nine cells, the same as resampling the decisions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

from triage.contract import TIERS

from .intervals import wilson


def tier_table(frame: pd.DataFrame) -> np.ndarray:
    """Counts, suggested tier (rows) × decided tier (columns), in ``TIERS`` order."""
    s = pd.Categorical(frame["suggested_tier"], categories=TIERS).codes
    d = pd.Categorical(frame["decided_tier"], categories=TIERS).codes
    k = len(TIERS)
    return np.bincount(s * k + d, minlength=k * k).reshape(k, k)


def weighted_kappa(tables: np.ndarray) -> np.ndarray:
    """Linear-weighted kappa of each table (``(..., k, k)`` counts); ``nan`` where undefined."""
    k = tables.shape[-1]
    idx = np.arange(k)
    w = np.abs(idx[:, None] - idx[None, :]) / (k - 1)
    n = tables.sum(axis=(-2, -1), keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = tables / n
        expected = observed.sum(axis=-1, keepdims=True) * observed.sum(axis=-2, keepdims=True)
        return 1.0 - (w * observed).sum(axis=(-2, -1)) / (w * expected).sum(axis=(-2, -1))


def agreement(frame: pd.DataFrame, *, n_boot: int, seed: int, level: float) -> dict:
    table = tier_table(frame)
    n = int(table.sum())
    # sklearn for the estimate (the reference); the same formula on resampled tables for the interval
    estimate = float("nan")
    if np.isfinite(weighted_kappa(table)):  # one tier everywhere: no chance agreement to beat
        estimate = float(
            cohen_kappa_score(
                frame["suggested_tier"], frame["decided_tier"], labels=list(TIERS), weights="linear"
            )
        )
    low = high = float("nan")
    if n_boot and n:
        draws = np.random.default_rng(seed).multinomial(n, table.ravel() / n, size=n_boot)
        kappas = weighted_kappa(draws.reshape(n_boot, *table.shape))
        kappas = kappas[np.isfinite(kappas)]
        if kappas.size:
            alpha = (1.0 - level) / 2.0
            low, high = (float(q) for q in np.quantile(kappas, [alpha, 1.0 - alpha]))
    by_tier = []
    for i, tier in enumerate(TIERS):
        kept = wilson(int(table[i, i]), int(table[i].sum()), level)
        suggested, decided = frame["suggested_tier"] == tier, frame["decided_tier"] == tier
        tier_kappa = (
            float(cohen_kappa_score(suggested, decided))
            if suggested.nunique() > 1 or decided.nunique() > 1
            else float("nan")
        )
        by_tier.append({"tier": tier, "kept": kept.data(), "kappa": tier_kappa})
    return {
        "table": {
            s: {d: int(table[i, j]) for j, d in enumerate(TIERS)} for i, s in enumerate(TIERS)
        },
        "n": n,
        "kappa_linear": {"estimate": estimate, "low": low, "high": high},
        "by_tier": by_tier,
    }
