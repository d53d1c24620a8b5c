"""On synthetic notices: did overrides move toward the true tier, away from it, or neither?

The truth is the ``truth.parquet`` that ``triage synth`` writes beside its
notices (``notice_id``, ``true_tier``). An override moved toward the truth
when the decided tier is fewer steps from the true tier than the suggested
one was, away when more, neither when as many (it jumped over it, or both miss
by the same). Only overridden decisions on notices with a truth row count.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from triage.contract import TIERS
from triage.contract.columns import TRUE_TIER
from triage.synth.output import TRUTH_FILE

from .errors import TRUTH_COLUMNS, TRUTH_MISSING, TRUTH_TIERS, TRUTH_UNREADABLE, ReviewError
from .intervals import wilson

OUTCOMES: tuple[str, ...] = ("toward", "away", "neither")


def read_truth(path: str | Path) -> pd.Series:
    """notice_id → true tier, from a truth table (or a data set folder holding ``truth.parquet``)."""
    path = Path(path)
    if path.is_dir():
        path = path / TRUTH_FILE
    if not path.is_file():
        raise ReviewError(TRUTH_MISSING.format(path=path), param="truth")
    try:
        suffix = path.suffix.lower()
        if suffix == ".csv":
            table = pd.read_csv(path, dtype={"notice_id": str})
        elif suffix in (".jsonl", ".json"):
            table = pd.read_json(path, lines=suffix == ".jsonl", dtype={"notice_id": str})
        else:
            table = pd.read_parquet(path, columns=None)
    except (OSError, ValueError, ImportError) as exc:
        why = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise ReviewError(TRUTH_UNREADABLE.format(path=path, why=why), param="truth") from None
    for column in ("notice_id", TRUE_TIER):
        if column not in table.columns:
            raise ReviewError(TRUTH_COLUMNS.format(path=path, column=column), param="truth")
    tiers = table[TRUE_TIER].astype(object)
    bad = ~tiers.isin(TIERS)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise ReviewError(
            TRUTH_TIERS.format(path=path, bad=tiers[bad].iloc[0], row=row, tiers=list(TIERS)),
            param="truth",
        )
    return pd.Series(tiers.to_numpy(), index=table["notice_id"].astype(str).to_numpy())


def toward_truth(frame: pd.DataFrame, truth: pd.Series, *, level: float) -> dict:
    overridden = frame[frame["tier_overridden"].astype(bool)]
    true = overridden["notice_id"].map(truth)
    known = true.notna()
    rank = {t: i for i, t in enumerate(TIERS)}
    before = (overridden.loc[known, "suggested_tier"].map(rank) - true[known].map(rank)).abs()
    after = (overridden.loc[known, "decided_tier"].map(rank) - true[known].map(rank)).abs()
    n = int(known.sum())
    counts = {
        "toward": int((after < before).sum()),
        "away": int((after > before).sum()),
        "neither": int((after == before).sum()),
    }
    return {
        "overrides": int(len(overridden)),
        "with_truth": n,
        **{k: wilson(v, n, level).data() for k, v in counts.items()},
    }
