"""The review's numbers, all aggregates: what the report in any language is made of."""

from __future__ import annotations

import sqlite3
from typing import Any

import pandas as pd

from triage.audit.config import AuditConfig

from .agreement import agreement
from .gaps import group_gaps
from .group_rates import group_rates
from .override_rates import directions, override_rates
from .reading import read_decisions
from .reasons import reason_lengths
from .settings import review_features
from .timing import decision_times
from .truth import toward_truth
from .workers import worker_counts

REVIEW_VERSION = "1"


def analyse_frame(
    frame: pd.DataFrame, config: AuditConfig, truth: pd.Series | None = None
) -> dict[str, Any]:
    """Every section's numbers for the decisions in ``frame`` (``read_decisions``'s table)."""
    level = config.level
    return {
        "review_version": REVIEW_VERSION,
        "settings": {
            "min_n": config.min_n,
            "level": level,
            "n_boot": config.n_boot,
            "seed": config.seed,
            "reference": config.reference,
            "band": {"low": config.band.low, "high": config.band.high},
            "flag_tiers": list(config.flag_tiers),
            "sensitive": list(config.sensitive),
        },
        "decisions": int(len(frame)),
        "workers": worker_counts(frame),
        "agreement": agreement(frame, n_boot=config.n_boot, seed=config.seed, level=level),
        "overrides": override_rates(frame, level=level),
        "direction": directions(frame, level=level),
        "groups": group_rates(frame, config),
        "gaps": group_gaps(frame, config),
        "timing": decision_times(frame),
        "reasons": reason_lengths(frame),
        "truth": None if truth is None else toward_truth(frame, truth, level=level),
    }


def analyse_store(
    conn: sqlite3.Connection, config: AuditConfig, truth: pd.Series | None = None
) -> dict[str, Any]:
    """Verify the store, read its latest decisions and analyse them (raises ``ReviewError``)."""
    return analyse_frame(read_decisions(conn, review_features(config)), config, truth)
