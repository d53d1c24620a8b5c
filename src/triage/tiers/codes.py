"""Tier names and their codes: position in ``TIERS``, 0 = immediate (the most urgent).

The one place that turns tier names into codes and back, and that takes the
higher (more urgent) of two tiers; rules, evaluation and scoring all use it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from triage.contract import TIERS
from triage.contract.errors import InvalidParameter
from triage.notices import enum_positions

NOT_TIERS = (
    "{name}: expected names of TIERS {tiers} or codes 0..{last} (highest first), "
    "without missing values; got values that are not tiers: {bad}"
)
WRONG_LENGTH = "{name} has {got} values for {n} notices"

TIER_NAMES = np.asarray(TIERS, dtype=object)
"""Code → name."""


def tier_codes(tiers: Any, *, n: int | None = None, name: str = "tiers") -> np.ndarray:
    """Tiers as int8 codes in ``TIERS`` order (0 = immediate).

    ``tiers``: names (a sequence, array, ``Series`` or ``Categorical``) or codes
    (integers, or floats that are whole codes). ``n``, when given, is the number
    of values expected. Anything else raises ``InvalidParameter`` naming ``name``.
    """
    if isinstance(tiers, str):
        raise InvalidParameter(
            f"{name}: expected one tier per notice, got a single string", param=name
        )
    if isinstance(tiers, pd.Series):
        tiers = tiers.array
    if isinstance(tiers, pd.Categorical):
        tiers = np.asarray(tiers.astype(object))
    arr = np.asarray(tiers)
    if arr.ndim != 1:
        arr = arr.ravel() if n is not None else arr
        if arr.ndim != 1:
            raise InvalidParameter(_not_tiers(name, f"an array of shape {arr.shape}"), param=name)
    if n is not None and len(arr) != n:
        raise InvalidParameter(WRONG_LENGTH.format(name=name, got=len(arr), n=n), param=name)
    if arr.dtype.kind in "iuf":
        whole = np.isin(arr, np.arange(len(TIERS)))
        if not whole.all():
            raise InvalidParameter(_not_tiers(name, _sample(arr[~whole])), param=name)
        return arr.astype(np.int8)
    values = arr.astype(object)
    codes = enum_positions(values, TIERS).astype(np.int8)
    if (codes < 0).any():
        raise InvalidParameter(_not_tiers(name, _sample(values[codes < 0])), param=name)
    return codes


def tier_names(codes: np.ndarray) -> np.ndarray:
    """Codes → tier names (object array)."""
    return TIER_NAMES[np.asarray(codes)]


def higher_tier(a: Any, b: Any) -> np.ndarray:
    """Element-wise the more urgent of two tier-name arrays, as names."""
    return tier_names(np.minimum(tier_codes(a, name="a"), tier_codes(b, name="b")))


def _sample(bad: np.ndarray) -> str:
    return ", ".join(sorted({repr(v) for v in bad.tolist()})[:5])


def _not_tiers(name: str, bad: str) -> str:
    return NOT_TIERS.format(name=name, tiers=TIERS, last=len(TIERS) - 1, bad=bad)
