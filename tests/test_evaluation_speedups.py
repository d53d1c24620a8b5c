"""The evaluation's shared sort and grouped bootstrap sums give exactly the old numbers.

Each fast path is checked with ``==`` against the computation it replaced, written out
here as it was (a sort per metric, ``np.unique``, ``lexsort``, a matrix product over all
notices, the cumulated weights of every notice), on random data with ties.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from triage.evaluation import bootstrap_intervals, calibration, evaluate, top_k_mask
from triage.evaluation._bootstrap import _Plan, resample_counts
from triage.evaluation._capacity import ranked_top_k_mask, ranked_top_k_metrics
from triage.evaluation._point import CLIP, Ranking, ranked_auc, ranked_pr_auc
from triage.evaluation._tiers import (
    over_triage,
    over_triage_flags,
    triage_flags,
    triage_shares,
    under_triage,
    under_triage_flags,
)
from triage.evaluation._weighted import NoticeGroups, ScoreStats


def _sample(n: int, seed: int, *, ties: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = expit(rng.normal(-1.5, 1.2, n))
    y = (rng.random(n) < p).astype(float)
    return y, (np.round(p, 2) if ties else p)


def _tiers_of(p: np.ndarray) -> np.ndarray:
    return np.where(p >= 0.4, 0, np.where(p >= 0.15, 1, 2))


# --- the computations the fast paths replaced ----------------------------------------------


def _old_counts_above(y, p):
    order = np.argsort(-p, kind="stable")
    p_sorted = p[order]
    last = np.r_[np.flatnonzero(p_sorted[1:] != p_sorted[:-1]), len(p) - 1]
    tps = np.cumsum(y[order], dtype=np.float64)[last]
    return tps, (last + 1) - tps


def _old_auc(y, p):
    tps, fps = _old_counts_above(y, p)
    return float(
        np.diff(fps, prepend=0.0) @ (tps + np.r_[0.0, tps[:-1]]) / (2.0 * tps[-1] * fps[-1])
    )


def _old_pr_auc(y, p):
    tps, fps = _old_counts_above(y, p)
    return float(np.diff(tps, prepend=0.0) @ (tps / (tps + fps)) / tps[-1])


def _old_mask(y, p, k, ties):
    order = np.lexsort((y if ties == "worst" else -y, -p))
    mask = np.zeros(len(p), dtype=bool)
    mask[order[:k]] = True
    return mask


def _old_calibration(y, p, max_iter=50, tol=1e-10):
    q = np.clip(p, CLIP, 1.0 - CLIP)
    x = np.log(q) - np.log1p(-q)
    design = np.column_stack([np.ones_like(x), x])

    def nll(beta):
        eta = design @ beta
        return float(np.sum(np.logaddexp(0.0, eta) - y * eta))

    beta = np.array([0.0, 1.0])
    current = nll(beta)
    for _ in range(max_iter):
        mu = 0.5 * (1.0 + np.tanh(0.5 * (design @ beta)))
        step = np.linalg.solve(
            (design * (mu * (1.0 - mu))[:, None]).T @ design, design.T @ (mu - y)
        )
        t = 1.0
        while True:
            trial = beta - t * step
            value = nll(trial)
            if value <= current or t < 1e-8:
                break
            t /= 2.0
        beta, previous, current = trial, current, value
        if np.max(np.abs(t * step)) < tol or abs(previous - current) < tol * (1.0 + abs(current)):
            break
    return float(beta[1]), float(beta[0])


def _old_sorted_kernel(y, p, W):
    """The continuous-score AUC as it was: every weight of the larger class cumulated."""
    pos = y == 1.0
    p_rank = -p if pos.sum() > (~pos).sum() else p
    if pos.sum() > (~pos).sum():
        pos = ~pos
    neg_idx, pos_idx = np.flatnonzero(~pos), np.flatnonzero(pos)
    neg = neg_idx[np.argsort(p_rank[neg_idx], kind="stable")]
    cum = np.zeros((W.shape[0], len(neg) + 1), dtype=np.int64)
    np.cumsum(W[:, neg], axis=1, out=cum[:, 1:])
    below = np.searchsorted(p_rank[neg], p_rank[pos_idx], side="left")
    upto = np.searchsorted(p_rank[neg], p_rank[pos_idx], side="right")
    w_pos = W[:, pos_idx].astype(np.int64)
    pairs = np.einsum("ij,ij->i", w_pos, cum[:, below] + cum[:, upto]).astype(np.float64)
    return 0.5 * pairs / (w_pos.sum(axis=1, dtype=np.float64) * cum[:, -1])


# --- the shared ranking ------------------------------------------------------------------


@pytest.mark.parametrize("ties", [False, True])
def test_one_ranking_gives_exactly_what_each_metric_sorting_again_gave(ties):
    y, p = _sample(3000, seed=1, ties=ties)
    ranking = Ranking(p)
    assert ranked_auc(y, ranking) == _old_auc(y, p)
    assert ranked_pr_auc(y, ranking) == _old_pr_auc(y, p)
    values, inverse = ranking.distinct()
    expected_values, expected_inverse = np.unique(p, return_inverse=True)
    np.testing.assert_array_equal(values, expected_values)
    np.testing.assert_array_equal(inverse, expected_inverse)
    for k in (1, 7, 300, 1499, 3000):
        for ties_at_cut in ("worst", "best"):
            mask = ranked_top_k_mask(y, ranking, k, ties=ties_at_cut)
            np.testing.assert_array_equal(mask, _old_mask(y, p, k, ties_at_cut))
            np.testing.assert_array_equal(top_k_mask(y, p, k, ties=ties_at_cut), mask)
        recall = ranked_top_k_metrics(y, ranking, k)
        assert recall["recall_at_k_worst"] == _old_mask(y, p, k, "worst") @ y / y.sum()
        assert recall["recall_at_k_best"] == _old_mask(y, p, k, "best") @ y / y.sum()


def test_ranking_tie_blocks_cover_each_position():
    ranking = Ranking(np.array([0.2, 0.9, 0.2, 0.5, 0.9, 0.2]))
    first, stop = ranking.tie_block(np.arange(6))
    np.testing.assert_array_equal(first, [0, 0, 2, 3, 3, 3])
    np.testing.assert_array_equal(stop, [2, 2, 3, 6, 6, 6])


@pytest.mark.parametrize("ties", [False, True])
def test_evaluate_with_a_shared_ranking_equals_evaluate_alone(ties):
    y, p = _sample(3000, seed=2, ties=ties)
    tiers, true = _tiers_of(p), _tiers_of(np.clip(p + 0.05, 0, 1))
    alone = evaluate(y, p, tiers=tiers, true_tiers=true, k=250)
    shared = evaluate(y, p, tiers=tiers, true_tiers=true, k=250, ranking=Ranking(p))
    assert shared == alone
    assert alone["auc"] == _old_auc(y, p) and alone["pr_auc"] == _old_pr_auc(y, p)
    assert (alone["cal_slope"], alone["cal_intercept"]) == _old_calibration(y, p)


def test_evaluate_refuses_a_ranking_of_another_length():
    y, p = _sample(100, seed=3, ties=False)
    with pytest.raises(ValueError, match="same length"):
        evaluate(y, p, ranking=Ranking(p[:50]))


def test_calibration_keeps_the_old_fits_to_the_last_digit():
    for seed in range(4):
        y, p = _sample(5000, seed=seed, ties=seed % 2 == 1)
        assert calibration(y, p) == _old_calibration(y, p)


def test_tier_shares_and_flags_read_once_equal_the_separate_ones():
    rng = np.random.default_rng(4)
    given, true = rng.integers(0, 3, 500), rng.integers(0, 3, 500)
    assert triage_shares(given, true) == {
        "under_triage": under_triage(given, true),
        "over_triage": over_triage(given, true),
    }
    for got, expected in zip(
        triage_flags(given, true),
        (*under_triage_flags(given, true), *over_triage_flags(given, true)),
        strict=True,
    ):
        np.testing.assert_array_equal(got, expected)
    high, under = under_triage_flags(given, true)
    np.testing.assert_array_equal(high, np.isin(true, [0, 1]))
    np.testing.assert_array_equal(under, np.isin(true, [0, 1]) & (given == 2))


# --- the bootstrap's kernels -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("ties", "flip"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_continuous_kernel_summing_runs_equals_cumulating_every_notice(ties, flip):
    y, p = _sample(3000, seed=5, ties=ties)
    y = 1.0 - y if flip else y  # flipped: positives are the majority, the kernel swaps classes
    counts = resample_counts(np.random.SeedSequence(6), 8, len(y))
    kernel = ScoreStats(y, p, 10, grouped=False)
    expected = _old_sorted_kernel(y, p, counts)
    np.testing.assert_array_equal(kernel(counts).auc, expected)
    np.testing.assert_array_equal(kernel(counts.astype(np.float64), counts=True).auc, expected)
    shared = ScoreStats(y, p, 10, grouped=False, ranking=Ranking(p))(counts)
    np.testing.assert_array_equal(shared.auc, expected)


def test_notice_groups_sum_each_code_exactly():
    rng = np.random.default_rng(7)
    n = 2000
    codes = [rng.integers(0, 2, n), rng.integers(0, 3, n), rng.integers(0, 40, n)]
    groups = NoticeGroups(codes)
    W = resample_counts(np.random.SeedSequence(8), 5, n).astype(np.float64)
    sums = groups.sums(W)
    assert groups.count == len({tuple(c[i] for c in codes) for i in range(n)})
    np.testing.assert_array_equal(sums.sum(axis=1), W.sum(axis=1))
    for code in codes:
        count = int(code.max()) + 1
        direct = np.stack([[w[code == c].sum() for c in range(count)] for w in W])
        np.testing.assert_array_equal(groups.regroup(sums, code, count), direct)


def test_notice_groups_renumber_codes_whose_product_overflows_an_int64():
    rng = np.random.default_rng(9)
    codes = [rng.integers(0, 2, 300) for _ in range(70)]  # 2**70 combinations
    groups = NoticeGroups(codes)
    rows = {tuple(c[i] for c in codes) for i in range(300)}
    assert groups.count == len(rows)
    for i in range(300):  # notices in one group share every code
        first = groups.first[groups.of[i]]
        assert all(c[i] == c[first] for c in codes)


def test_plan_figures_equal_the_direct_weighted_sums():
    y, p = _sample(4000, seed=10, ties=False)
    scores = {"oracle": p, "rounded": np.round(np.clip(p + 0.03, 0, 1), 1)}
    tiers = {name: _tiers_of(s) for name, s in scores.items()}
    true = _tiers_of(p)
    k = 400
    rankings = {name: Ranking(s) for name, s in scores.items()}
    plan = _Plan(y, scores, tiers, true, k, 10, "oracle", rankings)
    W = resample_counts(np.random.SeedSequence(11), 6, len(y))
    got = plan(W)
    Wf = W.astype(np.float64)
    for name, s in scores.items():
        sums = ScoreStats(y, s, 10)(W)
        np.testing.assert_array_equal(got[name, "auc"], sums.auc)
        np.testing.assert_array_equal(got[name, "brier"], sums.sq_err / Wf.sum(axis=1))
        for ties_at_cut in ("worst", "best"):
            hits = y * _old_mask(y, s, k, ties_at_cut)
            np.testing.assert_array_equal(
                got[name, f"recall_at_k_{ties_at_cut}"], (Wf @ hits) / (Wf @ y)
            )
        high, under = under_triage_flags(tiers[name], true)
        np.testing.assert_array_equal(got[name, "under_triage"], (Wf @ under) / (Wf @ high))


def test_bootstrap_with_shared_rankings_equals_the_bootstrap_alone():
    y, p = _sample(3000, seed=12, ties=False)
    scores = {"oracle": p, "rounded": np.round(p, 1)}
    tiers = {name: _tiers_of(s) for name, s in scores.items()}
    args = dict(tiers=tiers, true_tiers=_tiers_of(p), k=300, n_boot=60, seed=3)
    alone = bootstrap_intervals(y, scores, **args)
    rankings = {name: Ranking(s) for name, s in scores.items()}
    shared = bootstrap_intervals(y, scores, rankings=rankings, **args)
    assert alone.equals(shared)
