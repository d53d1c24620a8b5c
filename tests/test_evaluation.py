"""Tests of triage.evaluation: point, tier and capacity metrics, the bootstrap, the figure."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy.special import expit
from sklearn import metrics as skm

from triage.contract import TIERS
from triage.evaluation import (
    METRICS,
    auc,
    base_rate,
    bootstrap_intervals,
    brier,
    calibration,
    ece,
    evaluate,
    log_loss,
    over_triage,
    pr_auc,
    reliability_figure,
    reliability_table,
    tier_confusion,
    top_k_mask,
    top_k_metrics,
    under_triage,
    versus_oracle,
    weighted_auc,
    weighted_brier,
    weighted_ece,
)
from triage.evaluation._bootstrap import resample_counts
from triage.evaluation._checks import NOT_BINARY, NOT_PROBABILITY, ONE_CLASS
from triage.evaluation._tiers import TIERS_WITHOUT_TRUTH
from triage.evaluation._weighted import ScoreStats
from triage.tiers import NOT_TIERS, tier_codes


def _sample(n: int, seed: int = 0, *, ties: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = expit(rng.normal(-1.5, 1.2, n))
    y = (rng.random(n) < p).astype(float)
    if ties:
        p = np.round(p, 1)
    return y, p


def _tiers_of(p: np.ndarray) -> np.ndarray:
    return np.where(p >= 0.4, 0, np.where(p >= 0.15, 1, 2))


# --- point metrics -------------------------------------------------------------------------


@pytest.mark.parametrize("ties", [False, True])
def test_point_metrics_match_sklearn(ties):
    y, p = _sample(3000, ties=ties)
    assert auc(y, p) == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)
    assert pr_auc(y, p) == pytest.approx(skm.average_precision_score(y, p), abs=1e-12)
    assert brier(y, p) == pytest.approx(skm.brier_score_loss(y, p), abs=1e-12)
    q = np.clip(p, 1e-15, 1 - 1e-15)
    assert log_loss(y, p) == pytest.approx(skm.log_loss(y, q), abs=1e-12)
    assert base_rate(y) == pytest.approx(y.mean())


def test_log_loss_clips_certain_wrong_predictions_to_a_finite_value():
    assert np.isfinite(log_loss([1, 0], [0.0, 1.0]))


def test_ece_is_small_for_calibrated_and_large_for_distorted_scores():
    y, p = _sample(200_000, seed=1)
    assert ece(y, p) < 0.01
    distorted = expit(2.5 * (np.log(p) - np.log1p(-p)) + 0.5)
    assert ece(y, distorted) > 0.05


def test_ece_by_hand_with_counts_as_bin_weights():
    # bin [0, .5): p .2 .2 y 0 1 -> gap 0.3; bin [.5, 1]: p 1.0 y 1 -> gap 0
    y = [0, 1, 1]
    p = [0.2, 0.2, 1.0]
    assert ece(y, p, bins=2) == pytest.approx(2 / 3 * 0.3)


def test_calibration_slope_and_intercept_of_calibrated_scores_are_one_and_zero():
    y, p = _sample(100_000, seed=2)
    slope, intercept = calibration(y, p)
    assert slope == pytest.approx(1.0, abs=0.05)
    assert intercept == pytest.approx(0.0, abs=0.05)


def test_calibration_slope_below_one_for_over_confident_scores():
    y, p = _sample(100_000, seed=3)
    logit = np.log(p) - np.log1p(-p)
    slope, _ = calibration(y, expit(2.0 * logit))
    assert slope == pytest.approx(0.5, abs=0.05)


def test_calibration_matches_an_unpenalised_sklearn_fit():
    from sklearn.linear_model import LogisticRegression

    y, p = _sample(5000, seed=4)
    x = (np.log(p) - np.log1p(-p))[:, None]
    fit = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(x, y)
    slope, intercept = calibration(y, p)
    assert slope == pytest.approx(fit.coef_[0, 0], abs=1e-5)
    assert intercept == pytest.approx(fit.intercept_[0], abs=1e-5)


def test_invalid_inputs_raise_the_shared_messages():
    with pytest.raises(ValueError, match=re.escape(NOT_BINARY)):
        auc([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match=re.escape(NOT_PROBABILITY)):
        brier([0, 1], [0.1, 1.2])
    with pytest.raises(ValueError, match=re.escape(ONE_CLASS.format("AUC"))):
        auc([1, 1], [0.1, 0.2])


# --- tiers -----------------------------------------------------------------------------


def test_under_and_over_triage_on_a_hand_made_example():
    true = ["immediate", "immediate", "urgent", "urgent", "standard", "standard", "standard"]
    given = ["immediate", "standard", "urgent", "standard", "urgent", "standard", "standard"]
    assert under_triage(given, true) == pytest.approx(2 / 4)
    assert over_triage(given, true) == pytest.approx(1 / 3)
    codes = [TIERS.index(t) for t in given]
    assert under_triage(codes, pd.Categorical(true, categories=TIERS)) == pytest.approx(0.5)


def test_tier_confusion_lists_every_tier_with_names():
    true = ["immediate", "urgent", "standard", "standard"]
    given = ["urgent", "urgent", "standard", "immediate"]
    table = tier_confusion(given, true)
    assert list(table.index) == list(TIERS) and list(table.columns) == list(TIERS)
    assert table.loc["immediate", "urgent"] == 1
    assert table.loc["standard", "immediate"] == 1
    assert table.to_numpy().sum() == 4


def test_bad_tiers_are_refused():
    with pytest.raises(ValueError, match="expected names of TIERS"):
        tier_codes(["immediate", "soon"])
    with pytest.raises(ValueError, match="expected names of TIERS"):
        tier_codes([0, 3])
    assert NOT_TIERS.startswith("{name}: expected names of TIERS")
    with pytest.raises(ValueError, match=TIERS_WITHOUT_TRUTH):
        evaluate([0, 1], [0.2, 0.8], tiers=["urgent", "urgent"])


def test_evaluate_gives_nan_calibration_when_the_score_separates_y():
    out = evaluate([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert np.isnan(out["cal_slope"]) and out["auc"] == 1.0


# --- capacity --------------------------------------------------------------------------


def test_recall_and_precision_at_k_with_ties_by_hand():
    # scores sorted: .9 (y1) | .5 .5 .5 .5 (y 1 0 1 0) | .1 (y1); k = 3 cuts the tie block.
    y = np.array([1, 1, 0, 1, 0, 1])
    s = np.array([0.9, 0.5, 0.5, 0.5, 0.5, 0.1])
    m = top_k_metrics(y, s, 3)
    # worst: two tie slots go to the two negatives -> 1 hit; best: both to positives -> 3
    assert m["recall_at_k_worst"] == pytest.approx(1 / 4)
    assert m["recall_at_k_best"] == pytest.approx(3 / 4)
    assert m["precision_at_k_worst"] == pytest.approx(1 / 3)
    assert m["precision_at_k_best"] == pytest.approx(3 / 3)
    # k = 4: three tie slots -> worst 1 + 1, best 1 + 2
    m4 = top_k_metrics(y, s, [4])
    assert m4["recall_at_k_worst"][0] == pytest.approx(2 / 4)
    assert m4["recall_at_k_best"][0] == pytest.approx(3 / 4)
    for ties in ("worst", "best"):
        mask = top_k_mask(y, s, 3, ties=ties)
        assert mask.sum() == 3
        assert y[mask].sum() / y.sum() == pytest.approx(m[f"recall_at_k_{ties}"])


def test_recall_at_k_worst_and_best_agree_without_ties_and_bracket_with_ties():
    y, p = _sample(2000, seed=5)
    ks = np.arange(1, 2001, 37)
    m = top_k_metrics(y, p, ks)
    np.testing.assert_array_equal(m["recall_at_k_worst"], m["recall_at_k_best"])
    order = np.argsort(-p)
    expected = np.cumsum(y[order])[ks - 1] / y.sum()
    np.testing.assert_allclose(m["recall_at_k_worst"], expected)
    yt, pt = _sample(2000, seed=5, ties=True)
    mt = top_k_metrics(yt, pt, ks)
    assert np.all(mt["recall_at_k_worst"] <= mt["recall_at_k_best"])
    assert np.any(mt["recall_at_k_worst"] < mt["recall_at_k_best"])


# --- evaluate and the registry -----------------------------------------------------------


def test_evaluate_returns_every_metric_named_in_the_registry():
    y, p = _sample(3000, seed=6)
    tiers, true = _tiers_of(p), _tiers_of(np.clip(p + 0.05, 0, 1))
    out = evaluate(y, p, tiers=tiers, true_tiers=true, k=300)
    assert set(out) <= set(METRICS)
    assert {"auc", "brier", "ece", "cal_slope", "under_triage", "recall_at_k_best"} <= set(out)
    assert all(isinstance(v, float) for v in out.values())
    assert METRICS["auc"].higher_is_better is True
    assert METRICS["brier"].higher_is_better is False
    assert set(evaluate(y, p)) == {
        "base_rate",
        "auc",
        "pr_auc",
        "brier",
        "log_loss",
        "ece",
        "cal_slope",
        "cal_intercept",
    }


def test_versus_oracle_gives_ratio_and_excess():
    gap = versus_oracle({"auc": 0.76, "brier": 0.11}, {"auc": 0.8, "brier": 0.1})
    assert gap["auc_ratio"] == pytest.approx(0.95)
    assert gap["brier_excess"] == pytest.approx(0.01)


# --- weighted kernels --------------------------------------------------------------------


@pytest.mark.parametrize("ties", [False, True])
def test_weighted_metrics_with_unit_weights_match_sklearn(ties):
    y, p = _sample(4000, seed=7, ties=ties)
    w = np.ones(len(y))
    assert weighted_auc(y, p, w) == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)
    assert weighted_brier(y, p, w) == pytest.approx(skm.brier_score_loss(y, p), abs=1e-12)
    assert weighted_ece(y, p, w) == pytest.approx(ece(y, p), abs=1e-12)


@pytest.mark.parametrize("ties", [False, True])
def test_weighted_metrics_with_counts_equal_the_repeated_sample(ties):
    y, p = _sample(1500, seed=8, ties=ties)
    counts = np.random.default_rng(9).multinomial(len(y), np.full(len(y), 1 / len(y)), size=3)
    aucs = weighted_auc(y, p, counts)
    briers = weighted_brier(y, p, counts)
    eces = weighted_ece(y, p, counts)
    for b, c in enumerate(counts):
        ry, rp = np.repeat(y, c), np.repeat(p, c)
        assert aucs[b] == pytest.approx(skm.roc_auc_score(ry, rp), abs=1e-12)
        assert briers[b] == pytest.approx(skm.brier_score_loss(ry, rp), abs=1e-12)
        assert eces[b] == pytest.approx(ece(ry, rp), abs=1e-12)
    # integer counts and the same counts as floats agree (the two code paths)
    np.testing.assert_allclose(weighted_auc(y, p, counts.astype(float)), aucs, atol=1e-12)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("positives_majority", [False, True])
def test_score_kernels_grouped_and_sorted_give_the_same_numbers(ties, positives_majority):
    y, p = _sample(3000, seed=12, ties=ties)
    if positives_majority:
        y = 1.0 - y
    counts = resample_counts(np.random.SeedSequence(5), 6, len(y))
    assert counts.dtype == np.uint8
    for w in (counts, counts.astype(np.int64), counts * 0.5):
        grouped = ScoreStats(y, p, 10, grouped=True)(w)
        ranked = ScoreStats(y, p, 10, grouped=False)(w)
        np.testing.assert_array_equal(grouped.auc, ranked.auc)  # the same integer pair counts
        np.testing.assert_allclose(grouped.sq_err, ranked.sq_err, rtol=1e-12)
        np.testing.assert_allclose(grouped.ece_gaps, ranked.ece_gaps, rtol=1e-12, atol=1e-9)
    assert ScoreStats(y, p).grouped is ties  # the default: grouped when scores are few


def test_bootstrap_counts_are_multinomial_resamples_row_by_row():
    n = 500
    counts = resample_counts(np.random.SeedSequence(3), 40, n)
    assert counts.shape == (40, n)
    assert (counts.sum(axis=1) == n).all()
    idx = np.random.default_rng(np.random.SeedSequence(3)).integers(0, n, size=(40, n))
    np.testing.assert_array_equal(counts[7], np.bincount(idx[7], minlength=n))


def test_weighted_auc_is_symmetric_when_positives_are_the_majority():
    y, p = _sample(1000, seed=10)
    y = 1.0 - y  # positives now the majority: the kernel flips the classes
    w = np.random.default_rng(0).poisson(1.0, len(y))
    mask = w > 0
    ry, rp = np.repeat(y[mask], w[mask]), np.repeat(p[mask], w[mask])
    assert weighted_auc(y, p, w) == pytest.approx(skm.roc_auc_score(ry, rp), abs=1e-12)


# --- bootstrap -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def candidates():
    rng = np.random.default_rng(11)
    n = 4000
    eta = rng.normal(-1.5, 1.2, n)
    oracle = expit(eta)
    y = (rng.random(n) < oracle).astype(float)
    scores = {
        "oracle": oracle,
        "noisy": expit(eta + rng.normal(0, 0.8, n)),
        "checklist": np.round(expit(eta + rng.normal(0, 0.5, n)), 1),
    }
    tiers = {name: _tiers_of(p) for name, p in scores.items()}
    return y, scores, tiers, _tiers_of(oracle)


def test_bootstrap_estimates_equal_the_point_metrics_and_lie_in_their_intervals(candidates):
    y, scores, tiers, true = candidates
    table = bootstrap_intervals(y, scores, tiers=tiers, true_tiers=true, k=400, n_boot=200)
    assert list(table.columns) == ["estimate", "low", "high"]
    for name, p in scores.items():
        point = evaluate(y, p, tiers=tiers[name], true_tiers=true, k=400)
        for metric in ("auc", "brier", "ece", "under_triage", "recall_at_k_worst"):
            assert table.loc[(name, metric), "estimate"] == pytest.approx(point[metric], abs=1e-12)
    gap = versus_oracle(
        evaluate(y, scores["noisy"]),
        evaluate(y, scores["oracle"]),
    )
    assert table.loc[("noisy", "auc_ratio"), "estimate"] == pytest.approx(gap["auc_ratio"])
    assert ("oracle", "auc_ratio") not in table.index
    for metric in ("auc", "brier", "recall_at_k_worst", "auc_ratio", "brier_excess"):
        row = table.loc[("noisy", metric)]
        assert row["low"] <= row["estimate"] <= row["high"]


def test_bootstrap_is_reproducible_by_seed_and_independent_of_threads(candidates):
    y, scores, _, _ = candidates
    a = bootstrap_intervals(y, scores, n_boot=150, seed=3, n_jobs=1)
    b = bootstrap_intervals(y, scores, n_boot=150, seed=3, n_jobs=2)
    c = bootstrap_intervals(y, scores, n_boot=150, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_bootstrap_chunks_cover_all_replicates(candidates, monkeypatch):
    import triage.evaluation._bootstrap as boot

    y, scores, _, _ = candidates
    whole = bootstrap_intervals(y, scores, n_boot=100, seed=1)
    monkeypatch.setattr(boot, "CHUNK_ELEMENTS", 7 * len(y))  # 15 chunks, the last partial
    chunked = bootstrap_intervals(y, scores, n_boot=100, seed=1)
    assert np.all(np.isfinite(chunked[["low", "high"]].to_numpy()))
    # different chunking draws different replicates, but intervals agree closely
    np.testing.assert_allclose(chunked.to_numpy(), whole.to_numpy(), atol=0.02)


def test_paired_auc_ratio_interval_is_narrower_than_an_unpaired_one(candidates):
    y, scores, _, _ = candidates
    paired = bootstrap_intervals(y, scores, n_boot=300, seed=0)
    row = paired.loc[("noisy", "auc_ratio")]
    # unpaired: ratio of independent draws of the two AUC distributions
    rng = np.random.default_rng(0)
    n = len(y)
    counts_a = rng.multinomial(n, np.full(n, 1 / n), size=300)
    counts_b = rng.multinomial(n, np.full(n, 1 / n), size=300)
    ratio = weighted_auc(y, scores["noisy"], counts_a) / weighted_auc(y, scores["oracle"], counts_b)
    low, high = np.quantile(ratio, [0.025, 0.975])
    assert row["high"] - row["low"] < 0.8 * (high - low)


def test_bootstrap_without_replicates_gives_estimates_only(candidates):
    y, scores, _, _ = candidates
    table = bootstrap_intervals(y, scores, n_boot=0)
    assert table["estimate"].notna().all()
    assert table[["low", "high"]].isna().all().all()


# --- reliability -----------------------------------------------------------------------


def test_reliability_table_and_figure_are_produced_without_a_display(candidates):
    y, scores, _, _ = candidates
    table = reliability_table(y, scores["oracle"], bins=10)
    assert table["count"].sum() == len(y)
    fig = reliability_figure(y, scores, bins=10)
    assert isinstance(fig, Figure)
    top = fig.axes[0]
    assert len(top.get_lines()) == len(scores) + 1  # the diagonal and one line per candidate
    fig.canvas.draw()  # renders with Agg
