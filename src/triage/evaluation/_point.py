"""Point metrics of a probability score ``p`` for a binary outcome ``y``.

Each function takes ``(y, p)`` as arrays and returns a float. All are written
out: the weighted forms used by the bootstrap (``_weighted``) match them
exactly, and AUC and PR AUC (scikit-learn's definitions, tested against
``roc_auc_score`` and ``average_precision_score`` to 1e-12) need one sort
where scikit-learn's checks and curves took five times as long.
"""

from __future__ import annotations

import numpy as np

from ._checks import (
    as_binary,
    as_probability,
    bin_index,
    both_classes,
    check_bins,
    same_length,
)

CLIP = 1e-15
"""Probabilities are clipped to ``[CLIP, 1 - CLIP]`` for the log loss and the logit."""

NO_CONVERGENCE = "calibration fit did not converge (the score may separate y perfectly)"


def _inputs(y, p) -> tuple[np.ndarray, np.ndarray]:
    y, p = as_binary(y), as_probability(p)
    same_length(y, p)
    return y, p


def base_rate(y) -> float:
    """Share of positive outcomes."""
    return float(as_binary(y).mean())


class Ranking:
    """A score sorted once, highest first, shared by every metric that ranks notices.

    ``order`` lists the notices by score descending, ties in notice order (a stable
    sort); ``sorted`` is the score in that order; ``ends`` the position of the last
    notice of each block of tied scores. AUC, PR AUC, recall at ``k``, the
    bootstrap's top-``k`` sets and its score groups all read one ranking, made once
    for both outcomes: the 1M assessment sorted each score six or seven times per
    outcome (its point metrics 1.15 -> 0.63 CPU-s, the bootstrap's set-up 0.72 -> 0.30).
    """

    def __init__(self, score: np.ndarray) -> None:
        self.order = np.argsort(-score, kind="stable")
        self.sorted = score[self.order]
        self.ends = np.r_[np.flatnonzero(self.sorted[1:] != self.sorted[:-1]), len(score) - 1]

    def __len__(self) -> int:
        return len(self.order)

    def counts_above(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positives and negatives scored at or above each distinct score, highest first."""
        tps = np.cumsum(y[self.order], dtype=np.float64)[self.ends]
        return tps, (self.ends + 1) - tps

    def tie_block(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``[first, stop)``: the positions in ``order`` tied with each of ``positions``."""
        block = np.searchsorted(self.ends, positions)
        first = np.where(block > 0, self.ends[np.maximum(block - 1, 0)] + 1, 0)
        return first, self.ends[block] + 1

    def distinct(self) -> tuple[np.ndarray, np.ndarray]:
        """``np.unique(score, return_inverse=True)`` from this sort: values ascending."""
        descending_block = np.zeros(len(self), dtype=np.intp)
        descending_block[self.ends[:-1] + 1] = 1
        np.cumsum(descending_block, out=descending_block)
        inverse = np.empty(len(self), dtype=np.intp)
        inverse[self.order] = (len(self.ends) - 1) - descending_block
        return self.sorted[self.ends][::-1].copy(), inverse


def ranking_of(p, ranking: Ranking | None) -> Ranking:
    """``ranking`` when given (it must rank ``p``'s notices), else ``p`` sorted now."""
    if ranking is None:
        return Ranking(p)
    same_length(p, ranking.order)
    return ranking


def auc(y, p) -> float:
    """ROC AUC (ties count one half); ``ValueError`` when y holds one class.

    The trapezoids under the ROC curve through every distinct score.
    """
    y, p = _inputs(y, p)
    return ranked_auc(y, Ranking(p))


def ranked_auc(y: np.ndarray, ranking: Ranking) -> float:
    """``auc`` of checked ``y`` on a score's ``Ranking``."""
    both_classes(y, "AUC")
    tps, fps = ranking.counts_above(y)
    twice_area = np.diff(fps, prepend=0.0) @ (tps + np.r_[0.0, tps[:-1]])
    return float(twice_area / (2.0 * tps[-1] * fps[-1]))


def pr_auc(y, p) -> float:
    """Area under the precision-recall curve as average precision (step-wise, no interpolation).

    ``sum_k (R_k - R_k-1) P_k`` over the distinct scores, highest first.
    """
    y, p = _inputs(y, p)
    return ranked_pr_auc(y, Ranking(p))


def ranked_pr_auc(y: np.ndarray, ranking: Ranking) -> float:
    """``pr_auc`` of checked ``y`` on a score's ``Ranking``."""
    both_classes(y, "PR AUC")
    tps, fps = ranking.counts_above(y)
    return float(np.diff(tps, prepend=0.0) @ (tps / (tps + fps)) / tps[-1])


def brier(y, p) -> float:
    """Mean squared difference between probability and outcome."""
    y, p = _inputs(y, p)
    return float(np.mean((p - y) ** 2))


def log_loss(y, p) -> float:
    """Mean negative log-likelihood, with ``p`` clipped to ``[CLIP, 1 - CLIP]``."""
    y, p = _inputs(y, p)
    q = np.clip(p, CLIP, 1.0 - CLIP)
    return float(-np.mean(y * np.log(q) + (1.0 - y) * np.log1p(-q)))


def ece(y, p, *, bins: int = 10) -> float:
    """Expected calibration error over ``bins`` equal-width bins of ``[0, 1]``.

    ``sum_b (n_b / n) * |mean p in b - mean y in b|``: bins are weighted by
    their counts; empty bins count zero; ``p = 1`` falls in the last bin.
    """
    y, p = _inputs(y, p)
    bins = check_bins(bins)
    gap = np.bincount(bin_index(p, bins), weights=p - y, minlength=bins)
    return float(np.abs(gap).sum() / len(y))


def logit(p: np.ndarray) -> np.ndarray:
    """``log(p / (1 - p))`` with ``p`` clipped to ``[CLIP, 1 - CLIP]``."""
    q = np.clip(p, CLIP, 1.0 - CLIP)
    return np.log(q) - np.log1p(-q)


def calibration(y, p, *, max_iter: int = 50, tol: float = 1e-10) -> tuple[float, float]:
    """Calibration ``(slope, intercept)`` from an unpenalised logistic fit.

    Fits ``logit P(y = 1) = intercept + slope * logit(p)`` by maximum likelihood
    (Newton-Raphson with step halving; no penalty, unlike scikit-learn's
    default). A calibrated score gives slope 1, intercept 0; slope < 1 means
    over-confident (too extreme), slope > 1 under-confident. The intercept is
    that of the joint fit, not "calibration-in-the-large" (slope fixed at 1).
    ``slope`` is ``nan`` when ``p`` is constant; ``ValueError`` when y holds
    one class or the fit does not converge (perfect separation).
    """
    y, p = _inputs(y, p)
    both_classes(y, "the calibration fit")
    x = logit(p)
    if x[y == 1.0].min() > x[y == 0.0].max() or x[y == 1.0].max() < x[y == 0.0].min():
        raise ValueError(NO_CONVERGENCE)  # perfect separation: no finite maximum
    if np.ptp(x) == 0.0:
        return float("nan"), float(logit(np.array([y.mean()]))[0] - x[0])
    design = np.column_stack([np.ones_like(x), x])

    def nll(eta: np.ndarray) -> float:
        return float(np.sum(np.logaddexp(0.0, eta) - y * eta))

    # The linear predictor of the accepted step is kept for the next gradient: computing
    # it again from beta gave the same numbers at one more pass over the notices.
    beta = np.array([0.0, 1.0])
    eta = design @ beta
    current = nll(eta)
    for _ in range(max_iter):
        mu = 0.5 * (1.0 + np.tanh(0.5 * eta))  # stable sigmoid
        grad = design.T @ (mu - y)
        hess = (design * (mu * (1.0 - mu))[:, None]).T @ design
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while True:
            trial = beta - t * step
            trial_eta = design @ trial
            value = nll(trial_eta)
            if value <= current or t < 1e-8:
                break
            t /= 2.0
        beta, eta, previous, current = trial, trial_eta, current, value
        if np.max(np.abs(t * step)) < tol or abs(previous - current) < tol * (1.0 + abs(current)):
            break
    else:
        raise ValueError(NO_CONVERGENCE)
    if not np.all(np.isfinite(beta)) or np.max(np.abs(beta)) > 1e6:
        raise ValueError(NO_CONVERGENCE)
    return float(beta[1]), float(beta[0])
