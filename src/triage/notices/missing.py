"""The one test of a missing value: what every layer treats as "unknown"."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def is_missing(value: Any) -> bool:
    """None, pandas ``NA``/``NaT``, a float NaN (Python or numpy) or a numpy ``NaT``.

    Containers (a list of alleged types, say) are values, never missing.
    """
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    return type(value).__name__ in ("NAType", "NaTType")
