"""The capacity curve a run logs: one logging for intake runs (tiers) and DV runs (routes).

The card's capacity section reads ``evaluation/capacity_curve.json`` and draws the
figure again in its language; the PNG beside it is the English figure of the run.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

CURVE_DATA = "evaluation/capacity_curve.json"
CURVE_FIGURE = "evaluation/capacity_curve.png"


def log_capacity_curve(
    outcomes: Mapping[str, np.ndarray],
    scores: Mapping[str, np.ndarray],
    *,
    per_day: float,
    days: float,
    outcome: str,
) -> None:
    """Into the active run: recall and precision at capacity for daily capacities around
    ``per_day`` (the JSON, and its figure for ``outcome``).

    ``outcomes``: name → 0/1 over the test notices; ``scores``: candidate (and oracle) →
    ranking; ``days``: the test period's length, which turns a daily capacity into ``k``.
    """
    import mlflow

    from triage.evaluation.capacity_curve import (
        capacity_curve,
        capacity_curve_figure,
        capacity_grid,
    )

    grid = capacity_grid(per_day)
    curve = capacity_curve(outcomes, scores, per_day=grid, days=days, configured=per_day)
    mlflow.log_dict(curve, CURVE_DATA)
    mlflow.log_figure(capacity_curve_figure(curve, outcome=outcome), CURVE_FIGURE)
