"""Evaluation of triage candidates beside the oracle: pure functions on arrays.

- point metrics of a probability for a binary outcome (``auc``, ``brier``, ``ece``, …);
- tier metrics against the true tier (``under_triage``, ``over_triage``, ``tier_confusion``);
- recall and precision at a capacity ``k`` with worst/best tie ordering (``top_k_metrics``);
- ``evaluate``: one candidate's flat metric dict; ``versus_oracle``: gap to the oracle;
- ``bootstrap_intervals``: paired, vectorised bootstrap intervals for all candidates;
- ``reliability_table`` / ``reliability_figure``: calibration by bin.

``METRICS`` declares each metric's direction (higher better, lower better, or neither).

Layer: analysis. May import tracking, the domain (tiers), labels, notices and contract.
"""

from ._bootstrap import BOOTSTRAP_METRICS, CHUNK_ELEMENTS, bootstrap_intervals, resample_counts
from ._capacity import top_k_mask, top_k_metrics
from ._evaluate import evaluate, versus_oracle
from ._point import Ranking, auc, base_rate, brier, calibration, ece, log_loss, pr_auc
from ._registry import METRICS, Metric
from ._reliability import reliability_figure, reliability_table
from ._tiers import over_triage, tier_confusion, under_triage
from ._weighted import LinearStats, ScoreStats, weighted_auc, weighted_brier, weighted_ece

__all__ = [
    "BOOTSTRAP_METRICS",
    "CHUNK_ELEMENTS",
    "LinearStats",
    "ScoreStats",
    "resample_counts",
    "METRICS",
    "Metric",
    "Ranking",
    "auc",
    "base_rate",
    "bootstrap_intervals",
    "brier",
    "calibration",
    "ece",
    "evaluate",
    "log_loss",
    "over_triage",
    "pr_auc",
    "reliability_figure",
    "reliability_table",
    "tier_confusion",
    "top_k_mask",
    "top_k_metrics",
    "under_triage",
    "versus_oracle",
    "weighted_auc",
    "weighted_brier",
    "weighted_ece",
]
