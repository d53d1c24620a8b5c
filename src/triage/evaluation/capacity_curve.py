"""Recall and precision at capacity over a range of daily capacities: the capacity curve.

A run is evaluated at one capacity ``k`` (the notices the centres can take in
the test period). The curve shows what each candidate and the oracle achieve
when that capacity is smaller or larger: ``k = round(per_day * days)`` for a
range of daily capacities, with the worst/best tie ordering of
``top_k_metrics``. Pure functions: ``capacity_curve`` returns a plain,
JSON-ready dict; ``capacity_curve_figure`` draws it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ._capacity import top_k_metrics
from .figure_text import figure_text

MULTIPLES: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
"""Daily capacities of the curve, as multiples of the configured one (1.0 is always on it)."""
OUTCOMES: tuple[str, ...] = ("true", "recorded")
"""Outcomes a curve is drawn for that have words of their own (another shows its name)."""
KEYS: tuple[str, ...] = (
    "recall_at_k_worst",
    "recall_at_k_best",
    "precision_at_k_worst",
    "precision_at_k_best",
)


def capacity_grid(per_day: float, *, multiples: Sequence[float] = MULTIPLES) -> list[float]:
    """Daily capacities around the configured ``per_day`` (sorted, without duplicates)."""
    if not per_day > 0:
        raise ValueError(f"per_day must be positive; got {per_day!r}")
    return sorted({round(per_day * m, 6) for m in (*multiples, 1.0)})


def capacity_curve(
    outcomes: Mapping[str, np.ndarray],
    scores: Mapping[str, np.ndarray],
    *,
    per_day: Sequence[float],
    days: float,
    configured: float | None = None,
) -> dict:
    """Recall and precision at ``k = round(c * days)`` (clipped to 1..n) for each daily capacity ``c``.

    ``outcomes``: outcome name → 0/1 array; ``scores``: candidate (and oracle)
    → ranking score, all of the same length. Returns ``{"days", "n",
    "configured_per_day", "per_day", "k", "outcomes": {outcome: {candidate:
    {metric: [value per capacity]}}}}``; ``nan`` (no positive) becomes ``None``.
    """
    if not days > 0:
        raise ValueError(f"days must be positive; got {days!r}")
    lengths = {len(a) for a in (*outcomes.values(), *scores.values())}
    if len(lengths) != 1:
        raise ValueError("outcomes and scores must all have the same length")
    (n,) = lengths
    caps = [float(c) for c in per_day]
    ks = np.clip(np.rint(np.asarray(caps) * days).astype(int), 1, n)
    out: dict[str, dict] = {}
    for outcome, y in outcomes.items():
        out[outcome] = {}
        for name, s in scores.items():
            m = top_k_metrics(y, s, ks)
            out[outcome][name] = {
                key: [None if not np.isfinite(v) else float(v) for v in m[key]] for key in KEYS
            }
    return {
        "days": float(days),
        "n": int(n),
        "configured_per_day": None if configured is None else float(configured),
        "per_day": caps,
        "k": [int(k) for k in ks],
        "outcomes": out,
    }


def capacity_curve_figure(curve: dict, *, outcome: str = "true", lang: str = "en") -> Figure:
    """Recall (left) and precision (right) at capacity against notices a day; a matplotlib Figure.

    Lines are the worst tie ordering; a shaded band reaches the best one. Drawn
    from the logged ``curve`` at run time and again, in its language, for a model
    card; words in ``lang`` (for Japanese the caller puts a CJK font first:
    ``triage.explain.figures.figure_lang``). A bare Figure on the Agg canvas, no pyplot state.
    """
    x = np.asarray(curve["per_day"], dtype=float)
    fig = Figure(figsize=(10, 4), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2, sharex=True)
    outcome_words = figure_text(f"outcome_{outcome}", lang) if outcome in OUTCOMES else outcome
    for ax, what in zip(axes, ("recall", "precision"), strict=True):
        for name, m in curve["outcomes"][outcome].items():
            worst = np.array([np.nan if v is None else v for v in m[f"{what}_at_k_worst"]])
            best = np.array([np.nan if v is None else v for v in m[f"{what}_at_k_best"]])
            style = {"color": "black", "linestyle": "--"} if name.startswith("oracle") else {}
            (line,) = ax.plot(x, worst, marker="o", markersize=3, label=name, **style)
            ax.fill_between(x, worst, best, color=line.get_color(), alpha=0.15)
        if curve.get("configured_per_day"):
            ax.axvline(curve["configured_per_day"], color="0.5", lw=0.8, linestyle=":")
        ax.set_xlabel(figure_text("capacity_x", lang))
        ax.set_ylabel(figure_text(f"capacity_{what}", lang, outcome=outcome_words))
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(figure_text("capacity_title", lang, days=curve["days"], n=curve["n"]))
    return fig
