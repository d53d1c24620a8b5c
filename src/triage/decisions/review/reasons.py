"""Override reasons, without their text: how long they are (characters), never what they say."""

from __future__ import annotations

import pandas as pd

LENGTH_BINS: tuple[int, ...] = (0, 10, 30, 100, 300)
"""Bins of reason length: 1-10, 11-30, 31-100, 101-300, over 300 characters."""


def reason_lengths(frame: pd.DataFrame) -> dict:
    overridden = frame["tier_overridden"].astype(bool) | frame["dv_route_overridden"].astype(bool)
    lengths = frame.loc[overridden, "reason_length"]
    edges = [*LENGTH_BINS, float("inf")]
    counts = pd.cut(lengths, edges, right=True).value_counts(sort=False)
    bins = [
        {"from": int(lo) + 1, "to": None if hi == float("inf") else int(hi), "n": int(n)}
        for (lo, hi), n in zip(zip(edges[:-1], edges[1:], strict=True), counts, strict=True)
    ]
    if lengths.empty:
        return {"n": 0, "median": None, "p90": None, "bins": bins}
    return {
        "n": int(len(lengths)),
        "median": float(lengths.median()),
        "p90": float(lengths.quantile(0.9)),
        "bins": bins,
    }
