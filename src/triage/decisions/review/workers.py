"""Who decided, as counts only: how many workers, and how the decisions spread over them."""

from __future__ import annotations

import pandas as pd


def worker_counts(frame: pd.DataFrame) -> dict:
    per_worker = frame.groupby("worker").size()
    return {
        "workers": int(per_worker.size),
        "decisions_median": float(per_worker.median()),
        "decisions_max": int(per_worker.max()),
    }
