"""Paired, vectorised bootstrap intervals for the headline metrics of every candidate.

Replicates are drawn as multinomial counts: ``n`` draws with replacement of
the ``n`` notices, i.e. ``B`` index arrays turned into a ``(B, n)`` count
matrix ``W``, drawn in chunks of rows so memory stays near ``CHUNK_ELEMENTS``
numbers per array; chunk ``i`` draws from ``default_rng`` seeded with the
``i``-th child of ``SeedSequence(seed)``. Each metric is
then a weighted metric under ``W`` (see ``_weighted``), computed for all
replicates of a chunk in array form. The same ``W`` serves every candidate and
the oracle, so differences and ratios to the oracle are paired.

Intervals are percentile intervals. ECE is biased upwards under resampling
(noise adds calibration gaps), so for a well-calibrated score its estimate
sits near the low end of its interval. Replicates where a metric is undefined
(for instance no truly high-risk notice drawn) are left out of its quantiles.

Recall at ``k`` under resampling: the top-``k`` set is fixed once, by score
rank on the original sample (ties at the cut ordered worst- or best-case
with the original outcomes); a replicate's recall is the weighted positives
in that set over all weighted positives. With unit weights it equals
``recall_at_k_worst`` / ``recall_at_k_best``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from triage.contract.threads import thread_budget
from triage.tiers import tier_codes

from ._capacity import ranked_top_k_mask
from ._checks import as_binary, as_probability, check_bins, same_length
from ._integer_sums import count_draws
from ._point import Ranking, ranking_of
from ._tiers import TIERS_WITHOUT_TRUTH, triage_flags
from ._weighted import LinearStats, NoticeGroups, ScoreStats

CHUNK_ELEMENTS = 4_000_000
"""Target size (numbers) of one chunk of the weight matrix: rows = this // n.

Its 8-byte temporaries (counts, cumulative weights, the float copy for the
product) then stay under glibc's 32 MiB ceiling for reusing freed memory, so
each chunk recycles the previous one's pages; at 8M numbers every chunk got
fresh pages from the kernel and the bootstrap spent a third of its time
zeroing them (170k notices x 1,000 replicates: 4.2-4.7 s -> 2.8-3.3 s).
"""

BOOTSTRAP_METRICS: tuple[str, ...] = (
    "auc",
    "brier",
    "ece",
    "under_triage",
    "over_triage",
    "recall_at_k_worst",
    "recall_at_k_best",
    "auc_ratio",
    "brier_excess",
)
"""Metrics with intervals, in row order; tier and capacity metrics need their inputs."""

BAD_LEVEL = "level must be strictly between 0 and 1; got {}"
NO_SCORES = "scores must hold at least one candidate"
UNKNOWN_TIER_KEY = "tiers given for candidates without scores: {}"


class _Plan:
    """Everything fixed by the original sample; ``__call__(W)`` gives per-replicate metrics."""

    def __init__(self, y, scores, tiers, true_tiers, k, bins, oracle_key, rankings) -> None:
        self.n = len(y)
        self.names = list(scores)
        self.oracle_key = oracle_key if oracle_key in scores else None
        self.k = k
        self.scores = {
            name: ScoreStats(y, p, bins, ranking=rankings[name]) for name, p in scores.items()
        }
        # The 0/1 flags whose weighted counts give the tier and capacity metrics.
        flags = {"positives": y == 1.0}
        if k is not None:
            for name in scores:
                for ties in ("worst", "best"):
                    taken = ranked_top_k_mask(y, rankings[name], k, ties=ties)
                    flags[f"{name}/hits_{ties}"] = flags["positives"] & taken
        self.tiered = list(tiers)
        if self.tiered:
            codes = tier_codes(true_tiers)
            same_length(y, codes)
            for name, given in tiers.items():  # at least once: self.tiered is non-empty
                high, under, low, over = triage_flags(given, codes)
                flags[f"{name}/under"], flags[f"{name}/over"] = under, over
            flags["high"] = high
            flags["low"] = low
        # Counts are summed per group of notices alike in every flag and few-valued score.
        self.grouped = [name for name, stats in self.scores.items() if stats.grouped]
        self.groups = NoticeGroups(
            [flag.astype(np.int64) for flag in flags.values()]
            + [self.scores[name].group_of for name in self.grouped]
        )
        self.stats = LinearStats(self.groups.count)
        self.stats.add("weight", np.ones(self.groups.count))
        for name, flag in flags.items():
            self.stats.add(name, flag[self.groups.first])

    def __call__(self, W: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
        """Metrics under counts ``W`` (B, n) (integers)."""
        group_sums = self.groups.sums(W)  # integers: the sums below are exact
        s = self.stats(group_sums.astype(np.float64))
        out: dict[tuple[str, str], np.ndarray] = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            for name in self.names:
                stats = self.scores[name]
                if stats.grouped:
                    by_score = self.groups.regroup(group_sums, stats.group_of, stats.groups)
                    sums = stats.from_group_sums(by_score)
                else:
                    sums = stats(W, counts=True)
                out[name, "auc"] = sums.auc
                out[name, "brier"] = sums.sq_err / s["weight"]
                out[name, "ece"] = np.abs(sums.ece_gaps).sum(axis=1) / s["weight"]
                if name in self.tiered:
                    out[name, "under_triage"] = s[f"{name}/under"] / s["high"]
                    out[name, "over_triage"] = s[f"{name}/over"] / s["low"]
                if self.k is not None:
                    for ties in ("worst", "best"):
                        out[name, f"recall_at_k_{ties}"] = s[f"{name}/hits_{ties}"] / s["positives"]
            if self.oracle_key is not None:
                oracle = self.oracle_key
                for name in self.names:
                    if name != oracle:
                        out[name, "auc_ratio"] = out[name, "auc"] / out[oracle, "auc"]
                        out[name, "brier_excess"] = out[name, "brier"] - out[oracle, "brier"]
        return out


def resample_counts(seed: np.random.SeedSequence, rows: int, n: int) -> np.ndarray:
    """``rows`` multinomial resamples of ``n`` notices as a (rows, n) count matrix.

    Counts are uint8 whenever they fit (a notice drawn 256 times is all but
    impossible for n > 10): the kernels read this matrix, and bytes move four
    to eight times faster than int64. Counted without the GIL (``count_draws``),
    so the bootstrap's threads count side by side.
    """
    rng = np.random.default_rng(seed)
    return count_draws(rng.integers(0, n, size=(rows, n), dtype=np.int64), n)


def bootstrap_intervals(
    y,
    scores: dict[str, np.ndarray],
    *,
    tiers: dict[str, np.ndarray] | None = None,
    true_tiers=None,
    k: int | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    oracle_key: str = "oracle",
    bins: int = 10,
    n_jobs: int | None = None,
    rankings: dict[str, Ranking] | None = None,
) -> pd.DataFrame:
    """Percentile bootstrap intervals of the headline metrics, paired across candidates.

    ``scores`` maps candidate name -> probabilities (the oracle under
    ``oracle_key``, if present); ``tiers`` maps some of those names -> tiers
    (with ``true_tiers``) for ``under_triage`` and ``over_triage``; an int
    ``k`` adds ``recall_at_k_worst`` and ``recall_at_k_best``. With an oracle,
    every other candidate also gets ``auc_ratio`` and ``brier_excess``
    (computed per replicate, so paired).

    Returns a DataFrame indexed by (``candidate``, ``metric``) with columns
    ``estimate`` (on the original sample), ``low``, ``high``. ``n_boot = 0``
    gives estimates with ``nan`` bounds. Same inputs and seed -> same result,
    whatever ``n_jobs`` (threads; default: all cores), since each chunk of
    replicates has its own seed spawned from ``seed``. ``rankings``: a ``Ranking`` of
    some scores, when the caller shares them (the others are sorted here).
    """
    if not 0.0 < level < 1.0:
        raise ValueError(BAD_LEVEL.format(level))
    if not scores:
        raise ValueError(NO_SCORES)
    y = as_binary(y)
    scores = {name: as_probability(p) for name, p in scores.items()}
    n = same_length(y, *scores.values())
    tiers = dict(tiers or {})
    if tiers and true_tiers is None:
        raise ValueError(TIERS_WITHOUT_TRUTH)
    if unknown := sorted(set(tiers) - set(scores)):
        raise ValueError(UNKNOWN_TIER_KEY.format(unknown))
    rankings = dict(rankings or {})
    for name, p in scores.items():
        rankings[name] = ranking_of(p, rankings.get(name))
    plan = _Plan(
        y,
        scores,
        tiers,
        true_tiers,
        None if k is None else int(k),
        check_bins(bins),
        oracle_key,
        rankings,
    )

    estimates = plan(np.ones((1, n), dtype=np.int64))
    keys = [
        (name, metric)
        for name in scores
        for metric in BOOTSTRAP_METRICS
        if (name, metric) in estimates
    ]
    replicates = {key: np.empty(n_boot) for key in keys}
    rows = max(1, CHUNK_ELEMENTS // n)
    starts = range(0, n_boot, rows)
    seeds = np.random.SeedSequence(seed).spawn(len(starts))

    def run(start: int, chunk_seed: np.random.SeedSequence) -> None:
        stop = min(n_boot, start + rows)
        values = plan(resample_counts(chunk_seed, stop - start, n))
        for key in keys:
            replicates[key][start:stop] = values[key]

    workers = max(1, min(n_jobs or thread_budget(), len(starts)))
    # Chunks run in threads (numpy releases the GIL); BLAS stays single-threaded so
    # that threads do not oversubscribe the cores. (The limit is process-wide: callers
    # that run two bootstraps side by side hold it around both, as ``assess`` does.)
    if n_boot:
        with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, starts, seeds))

    alpha = (1.0 - level) / 2.0
    records = []
    for key in keys:
        low, high = (np.nan, np.nan)
        draws = replicates[key]
        if np.any(np.isfinite(draws)):
            low, high = np.nanquantile(draws, [alpha, 1.0 - alpha])
        records.append((float(estimates[key][0]), float(low), float(high)))
    frame = pd.DataFrame(
        records,
        index=pd.MultiIndex.from_tuples(keys, names=["candidate", "metric"]),
        columns=["estimate", "low", "high"],
    )
    frame.attrs.update(n_boot=n_boot, seed=seed, level=level, n=n)
    return frame
