"""Intervals for a share: Wilson's score interval (sound at small counts and at 0 or 1)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import norm


@dataclass(frozen=True)
class Share:
    """``k`` of ``n`` with its Wilson interval at ``level`` (all ``nan`` when ``n`` is 0)."""

    k: int
    n: int
    rate: float
    low: float
    high: float

    def data(self) -> dict[str, float | int]:
        return {"k": self.k, "n": self.n, "rate": self.rate, "low": self.low, "high": self.high}


def wilson(k: int, n: int, level: float = 0.95) -> Share:
    if n == 0:
        return Share(k, n, math.nan, math.nan, math.nan)
    z = float(norm.ppf(0.5 + level / 2.0))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Share(k, n, p, max(0.0, centre - half), min(1.0, centre + half))
