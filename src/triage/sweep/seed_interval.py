"""A metric across a cell's seeds: the mean and a t-interval.

The seeds are the only replication a sweep has, and there are few of them (three in the
shipped sweeps): the t-interval, not a normal one, is honest about that. One seed gives
a value and no interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

LEVEL = 0.95


@dataclass(frozen=True)
class SeedInterval:
    mean: float
    low: float | None
    high: float | None
    n: int

    def text(self, digits: int = 3) -> str:
        """``0.812 [0.790, 0.834] n=3``, or ``0.812 n=1`` without an interval."""
        shown = f"{self.mean:.{digits}f}"
        if self.low is not None and self.high is not None:
            shown += f" [{self.low:.{digits}f}, {self.high:.{digits}f}]"
        return f"{shown} n={self.n}"

    def as_dict(self) -> dict[str, float | int | None]:
        return {"mean": self.mean, "low": self.low, "high": self.high, "n": self.n}


def seed_interval(values: Sequence[float], level: float = LEVEL) -> SeedInterval | None:
    """Mean and t-interval of the finite ``values``; None when there is none."""
    from scipy import stats

    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    n = len(finite)
    if n == 0:
        return None
    mean = sum(finite) / n
    if n == 1:
        return SeedInterval(mean, None, None, 1)
    sd = math.sqrt(sum((v - mean) ** 2 for v in finite) / (n - 1))
    half = float(stats.t.ppf(0.5 + level / 2, df=n - 1)) * sd / math.sqrt(n)
    return SeedInterval(mean, mean - half, mean + half, n)
