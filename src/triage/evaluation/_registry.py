"""The metrics the evaluation reports, and which direction is better for each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """A reported metric: its name, whether higher is better, and what it measures.

    ``higher_is_better`` is ``None`` for descriptive figures (the base rate)
    that are not a quality of the candidate.
    """

    name: str
    higher_is_better: bool | None
    description: str


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("base_rate", None, "share of positive outcomes"),
        Metric("auc", True, "ROC AUC: P(score of a positive > score of a negative), ties 1/2"),
        Metric("pr_auc", True, "average precision (area under the precision-recall curve)"),
        Metric("brier", False, "mean squared error of the probability"),
        Metric("log_loss", False, "mean negative log-likelihood (p clipped to [1e-15, 1 - 1e-15])"),
        Metric("ece", False, "expected calibration error, equal-width bins weighted by count"),
        Metric("cal_slope", None, "calibration slope (1 = calibrated; < 1 over-confident)"),
        Metric("cal_intercept", None, "calibration intercept of the joint fit (0 = calibrated)"),
        Metric("under_triage", False, "share of truly immediate/urgent notices given standard"),
        Metric("over_triage", False, "share of truly standard notices given immediate/urgent"),
        Metric("recall_at_k_worst", True, "recall in the top k, positives last among ties"),
        Metric("recall_at_k_best", True, "recall in the top k, positives first among ties"),
        Metric("precision_at_k_worst", True, "precision in the top k, positives last among ties"),
        Metric("precision_at_k_best", True, "precision in the top k, positives first among ties"),
        Metric("auc_ratio", True, "candidate AUC / oracle AUC"),
        Metric("brier_excess", False, "candidate Brier - oracle Brier"),
    )
}
"""Every metric name the evaluation can report, keyed by name.

``cal_slope`` and ``cal_intercept`` have a target (1 and 0) rather than a
direction, hence ``higher_is_better=None``.
"""
