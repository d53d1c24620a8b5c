"""Layer 2: disparities against a reference group, with paired bootstrap intervals.

The bootstrap reuses the evaluation's multinomial resampling
(``triage.evaluation.resample_counts``): each replicate is a vector of
resample counts over the notices, and every group's confusion counts under it
are one column of a single matrix product (``LinearStats``), for all
features, groups and replicates at once. Every metric here is a ratio of
those counts, so no replicate ever calls a metric function. All groups share
the replicates, so a group and its reference are paired.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from triage.contract.threads import thread_budget
from triage.evaluation import CHUNK_ELEMENTS, LinearStats, resample_counts

from .config import DISPARITY_METRICS
from .errors import (
    BAD_REFERENCE,
    NO_REFERENCE,
    REFERENCE_SUPPRESSED,
    REFERENCE_UNKNOWN,
)
from .groups import AuditInputs, count_metrics

NUMERATORS: dict[str, tuple[int, ...]] = {
    "base_rate": (2, 3),
    "flag_rate": (1, 3),
    "fnr": (2,),
    "fpr": (1,),
    "for": (2,),
    "precision": (3,),
}
"""Confusion cells (TN 0, FP 1, FN 2, TP 3) counted by each metric's numerator."""


def parse_reference(value: str | dict | None) -> dict[str, str]:
    """``'largest'`` -> ``{}``; ``'f=g,f2=g2'`` -> ``{'f': 'g', 'f2': 'g2'}``."""
    if value is None or isinstance(value, dict):
        return dict(value or {})
    value = value.strip()
    if value in ("", "largest"):
        return {}
    out = {}
    for part in value.split(","):
        feature, sep, group = part.partition("=")
        if not sep or not feature.strip() or not group.strip():
            raise ValueError(BAD_REFERENCE.format(value=value))
        out[feature.strip()] = group.strip()
    return out


def choose_references(groups: pd.DataFrame, named: dict[str, str], *, min_n: int) -> dict:
    """Reference group per feature: the named one, else the largest unsuppressed group."""
    refs = {}
    for feature, rows in groups.groupby("feature", sort=False):
        known = list(rows["group"])
        if feature in named:
            group = named[feature]
            if group not in known:
                raise ValueError(
                    REFERENCE_UNKNOWN.format(group=group, feature=feature, known=known)
                )
            if rows.loc[rows["group"] == group, "suppressed"].item():
                raise ValueError(
                    REFERENCE_SUPPRESSED.format(group=group, feature=feature, min_n=min_n)
                )
            refs[feature] = group
            continue
        shown = rows[~rows["suppressed"]]
        if shown.empty:
            raise ValueError(NO_REFERENCE.format(feature=feature, min_n=min_n))
        refs[feature] = str(shown.loc[shown["n"].idxmax(), "group"])
    return refs


def _stats(inputs: AuditInputs) -> LinearStats:
    """One indicator column per (feature, group, confusion cell)."""
    stats = LinearStats(inputs.n)
    rows = np.arange(inputs.n)
    cells = inputs.cells
    for feature, cats in inputs.groups.items():
        block = np.zeros((inputs.n, 4 * len(cats.categories)))
        block[rows, cats.codes.astype(np.int64) * 4 + cells] = 1.0
        stats.add(feature, block)
    return stats


def bootstrap_counts(
    inputs: AuditInputs, *, n_boot: int, seed: int, n_jobs: int | None = None
) -> dict[str, np.ndarray]:
    """Per feature, ``(n_boot, G, 4)`` confusion counts under multinomial resampling."""
    stats = _stats(inputs)
    n = inputs.n
    out = {f: np.empty((n_boot, len(c.categories), 4)) for f, c in inputs.groups.items()}
    rows = max(1, CHUNK_ELEMENTS // n)
    starts = range(0, n_boot, rows)
    seeds = np.random.SeedSequence(seed).spawn(len(starts))

    def run(start: int, chunk_seed: np.random.SeedSequence) -> None:
        stop = min(n_boot, start + rows)
        W = resample_counts(chunk_seed, stop - start, n).astype(np.float64)
        for feature, sums in stats(W).items():
            out[feature][start:stop] = sums.reshape(stop - start, -1, 4)

    workers = max(1, min(n_jobs or thread_budget(), len(starts)))
    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
        list(pool.map(run, starts, seeds))
    return out


def disparity_table(
    inputs: AuditInputs,
    groups: pd.DataFrame,
    references: dict[str, str],
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    metrics: tuple[str, ...] = DISPARITY_METRICS,
    replicates: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """One row per (feature, group, metric) against the feature's reference group.

    Columns: ``reference``, ``value``, ``reference_value``, ``ratio``,
    ``ratio_low``, ``ratio_high``, ``difference``, ``difference_low``,
    ``difference_high`` (percentile intervals at ``level``; replicates where a
    metric is undefined are left out), ``suppressed``. The reference's own rows
    are omitted; suppressed groups get a row with no numbers.
    """
    if replicates is None:
        replicates = bootstrap_counts(inputs, n_boot=n_boot, seed=seed) if n_boot else {}
    alpha = (1.0 - level) / 2.0
    records = []
    for feature, cats in inputs.groups.items():
        cat_list = [str(c) for c in cats.categories]
        ref = references[feature]
        r = cat_list.index(ref)
        rows = groups[groups["feature"] == feature].set_index("group")
        counts = rows.loc[cat_list, ["tn", "fp", "fn", "tp"]].to_numpy()
        point = count_metrics(counts)
        boot = count_metrics(replicates[feature]) if feature in replicates else None
        for g, group in enumerate(cat_list):
            if g == r:
                continue
            suppressed = bool(rows.loc[group, "suppressed"])
            for metric in metrics:
                rec: dict[str, Any] = {
                    "feature": feature,
                    "group": group,
                    "metric": metric,
                    "reference": ref,
                }
                rec["suppressed"] = suppressed
                if suppressed:
                    records.append(rec)
                    continue
                v, vr = point[metric][g], point[metric][r]
                cells = list(NUMERATORS[metric])
                rec["events"] = counts[g, cells].sum()
                rec["reference_events"] = counts[r, cells].sum()
                with np.errstate(invalid="ignore", divide="ignore"):
                    rec.update(value=v, reference_value=vr, ratio=v / vr, difference=v - vr)
                    for kind in ("ratio", "difference"):
                        low = high = np.nan
                        if boot is not None:
                            a, b = boot[metric][:, g], boot[metric][:, r]
                            draws = a / b if kind == "ratio" else a - b
                            draws = draws[np.isfinite(draws)]
                            if draws.size:
                                low, high = np.quantile(draws, [alpha, 1.0 - alpha])
                        rec[f"{kind}_low"], rec[f"{kind}_high"] = low, high
                records.append(rec)
    columns = [
        "feature", "group", "metric", "reference", "suppressed", "value", "reference_value",
        "ratio", "ratio_low", "ratio_high", "difference", "difference_low", "difference_high",
        "events", "reference_events",
    ]  # fmt: skip
    table = pd.DataFrame.from_records(records, columns=columns)
    numbers = columns[5:]
    table[numbers] = table[numbers].astype(np.float64)
    table.attrs.update(n_boot=n_boot, seed=seed, level=level)
    return table
