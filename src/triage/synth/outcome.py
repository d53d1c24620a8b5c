"""The ground truth of a notice: its harm probability, true tier and true DV route.

The truth table sits beside the notices, never among their features; it also
carries what a record would say (``triage.synth.recording``) so that the
audit can set recorded labels against true ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from triage.contract import TIERS
from triage.contract.columns import (
    LATENT_SEVERITY,
    P_HARM,
    RECORDED_DV_ROUTE,
    RECORDED_HARM,
    RECORDED_TIER,
    TRUE_DV_ROUTE,
    TRUE_HARM,
    TRUE_TIER,
)
from triage.synth.spec import Spec

TRUTH_COLUMNS = (
    "notice_id",
    P_HARM,
    TRUE_HARM,
    TRUE_TIER,
    TRUE_DV_ROUTE,
    RECORDED_HARM,
    RECORDED_TIER,
    RECORDED_DV_ROUTE,
    LATENT_SEVERITY,
)


def tier_codes(p: np.ndarray, spec: Spec) -> np.ndarray:
    """0 immediate, 1 urgent, 2 the rest: the spec's cut-offs on a harm probability."""
    cuts = spec.outcome.tiers
    return np.where(p >= cuts["immediate"], 0, np.where(p >= cuts["urgent"], 1, 2)).astype(np.int8)


def truth_frame(spec, values, levels, p_harm, harm, recorded, recorded_tier) -> pd.DataFrame:
    """The truth per notice in draw order, without ``notice_id`` (given once they are sorted)."""
    true_tier = tier_codes(p_harm, spec)
    is_dv = values["notice_kind"] == levels["notice_kind"].index("dv_witness")
    tiers = pd.CategoricalDtype(TIERS)
    routes = pd.CategoricalDtype(("cgc", "municipality"))

    def dv_route(tier: np.ndarray) -> pd.Categorical:
        # only DV-witness notices are routed; the rest stay missing
        codes = np.where(is_dv, np.where(tier <= 1, 0, 1), -1)
        return pd.Categorical.from_codes(codes, dtype=routes)

    return pd.DataFrame(
        {
            P_HARM: p_harm,
            TRUE_HARM: harm,
            TRUE_TIER: pd.Categorical.from_codes(true_tier, dtype=tiers),
            TRUE_DV_ROUTE: dv_route(true_tier),
            RECORDED_HARM: recorded,
            RECORDED_TIER: pd.Categorical.from_codes(recorded_tier, dtype=tiers),
            RECORDED_DV_ROUTE: dv_route(recorded_tier),
            LATENT_SEVERITY: values["severity"],
        }
    )
