"""Layer 3: pass/fail flags against a band around parity (aequitas ``fairness.py``).

A disparity is flagged only when both hold: its 95% interval excludes parity
(ratio 1, i.e. difference 0), and its point ratio lies outside the band
(default 0.8-1.25). A wide interval never flags; a tiny but certain gap never
flags either. A group (or reference) with no event in the metric's numerator
is never flagged: its resamples are all zero, so the interval says nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import Band


def flag_table(disparities: pd.DataFrame, band: Band) -> pd.DataFrame:
    """``disparities`` with ``excludes_parity``, ``outside_band``, ``flag`` and ``status``."""
    t = disparities.copy()
    excludes = (t["ratio_low"] > 1.0) | (t["ratio_high"] < 1.0)
    outside = (t["ratio"] < band.low) | (t["ratio"] > band.high)
    t["excludes_parity"] = excludes.fillna(False).astype(bool)
    t["outside_band"] = outside.fillna(False).astype(bool)
    no_events = (t["events"] == 0) | (t["reference_events"] == 0)
    t["flag"] = t["excludes_parity"] & t["outside_band"] & ~t["suppressed"] & ~no_events
    t["status"] = np.select(
        [t["suppressed"], t["ratio"].isna(), no_events, t["flag"]],
        ["suppressed", "undefined", "no events", "flag"],
        default="pass",
    )
    t.attrs.update(disparities.attrs, band_low=band.low, band_high=band.high)
    return t
