"""The capacity curve a run logs: one logging for intake runs (tiers) and DV runs (routes).

The card's capacity section reads ``evaluation/capacity_curve.json`` and draws the
figure again in its language; the PNG beside it is the English figure of the run.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

CURVE_DATA = "evaluation/capacity_curve.json"
CURVE_FIGURE = "evaluation/capacity_curve.png"


def draw_capacity_curve(
    outcomes: Mapping[str, np.ndarray],
    scores: Mapping[str, np.ndarray],
    *,
    per_day: float,
    days: float,
    outcome: str,
) -> tuple[dict, bytes]:
    """Recall and precision at capacity for daily capacities around ``per_day``, and the
    figure for ``outcome`` as PNG bytes; logs nothing (a thread of its own can draw it).

    ``outcomes``: name → 0/1 over the test notices; ``scores``: candidate (and oracle) →
    ranking; ``days``: the test period's length, which turns a daily capacity into ``k``.
    """
    from triage.evaluation.capacity_curve import (
        capacity_curve,
        capacity_curve_figure,
        capacity_grid,
    )
    from triage.explain.figures import png

    grid = capacity_grid(per_day)
    curve = capacity_curve(outcomes, scores, per_day=grid, days=days, configured=per_day)
    return curve, png(capacity_curve_figure(curve, outcome=outcome))


def log_capacity_drawing(curve: dict, figure: bytes) -> None:
    """Into the active run: ``draw_capacity_curve``'s JSON and figure."""
    import mlflow

    from triage.tracking import log_png

    mlflow.log_dict(curve, CURVE_DATA)
    log_png(figure, CURVE_FIGURE)


def log_capacity_curve(
    outcomes: Mapping[str, np.ndarray],
    scores: Mapping[str, np.ndarray],
    *,
    per_day: float,
    days: float,
    outcome: str,
) -> None:
    """Into the active run: recall and precision at capacity for daily capacities around
    ``per_day`` (the JSON, and its figure for ``outcome``): ``draw_capacity_curve`` logged."""
    log_capacity_drawing(
        *draw_capacity_curve(outcomes, scores, per_day=per_day, days=days, outcome=outcome)
    )
