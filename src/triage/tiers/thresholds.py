"""From calibrated risk to tiers: fixed cut points, or what the caseworkers can take a day."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from triage.tiers.codes import tier_names


@dataclass(frozen=True)
class TierThresholds:
    """Risk at or above ``immediate`` → immediate; at or above ``urgent`` → urgent; else standard."""

    immediate: float
    urgent: float
    basis: str

    def assign(self, risk: np.ndarray) -> np.ndarray:
        """Tier names, one per risk."""
        return tier_names(self.codes(risk))

    def codes(self, risk: np.ndarray) -> np.ndarray:
        """Tier positions in ``TIERS`` (0 = immediate)."""
        risk = np.asarray(risk, dtype=float)
        return np.where(risk >= self.immediate, 0, np.where(risk >= self.urgent, 1, 2)).astype(
            np.int8
        )


def from_cut_points(immediate: float, urgent: float) -> TierThresholds:
    return TierThresholds(immediate=immediate, urgent=urgent, basis="cut points from config")


def from_capacity(
    risk: np.ndarray, *, days: float, per_day: float, immediate_share: float
) -> TierThresholds:
    """Cut points that fill the daily capacity on the calibration notices.

    With ``v`` notices a day and capacity ``c``, the riskiest ``c / v`` of notices
    are immediate or urgent, the riskiest ``immediate_share`` of those immediate.
    """
    risk = np.asarray(risk, dtype=float)
    volume = len(risk) / days
    flagged = min(1.0, per_day / volume)
    urgent = float(np.quantile(risk, 1 - flagged, method="higher")) if flagged < 1 else 0.0
    immediate = float(np.quantile(risk, 1 - flagged * immediate_share, method="higher"))
    immediate = max(immediate, np.nextafter(urgent, 1.0))
    basis = (
        f"capacity {per_day:.1f} CGC cases a day against {volume:.1f} notices a day "
        f"(top {100 * flagged:.1f}% immediate or urgent, top {100 * flagged * immediate_share:.1f}% immediate)"
    )
    return TierThresholds(immediate=immediate, urgent=urgent, basis=basis)


def thresholds_for(cfg, risk: np.ndarray, *, days: float) -> TierThresholds:
    """The config's tier rule applied to calibration-window risks (``cfg``: a ``TierConfig``)."""
    if cfg.mode == "cut_points":
        return from_cut_points(cfg.cut_points.immediate, cfg.cut_points.urgent)
    cap = cfg.capacity
    return from_capacity(risk, days=days, per_day=cap.per_day, immediate_share=cap.immediate_share)
