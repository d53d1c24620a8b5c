"""Tiers: the codes of the tier names, and from calibrated risk to tiers.

Owns ``tier_codes`` / ``tier_names`` / ``higher_tier`` (the one place tier names
become codes, 0 = immediate) and ``TierThresholds`` with the two ways to set
them: fixed cut points, or what the caseworkers can take a day.

Layer: domain. May import ``triage.labels``, ``triage.notices`` and ``triage.contract``.
"""

from triage.tiers.codes import NOT_TIERS, TIER_NAMES, higher_tier, tier_codes, tier_names
from triage.tiers.thresholds import (
    TierThresholds,
    from_capacity,
    from_cut_points,
    thresholds_for,
)

__all__ = [
    "NOT_TIERS",
    "TIER_NAMES",
    "TierThresholds",
    "from_capacity",
    "from_cut_points",
    "higher_tier",
    "thresholds_for",
    "tier_codes",
    "tier_names",
]
