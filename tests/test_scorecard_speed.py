"""Scorecard fit's faster pieces give what scikit-learn's plain fit gave: design, Hessian, steps."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

import triage.models.newton_cholesky as newton
import triage.models.scorecard as scorecard
from triage.models import Scorecard


def _one_hot_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One-hot groups that each add up to one, and two counts: the scorecard's usual input."""
    rng = np.random.default_rng(seed)
    X = np.hstack(
        [np.eye(k)[rng.integers(0, k, n)] for k in (3, 4, 5)] + [rng.integers(0, 6, (n, 2))]
    ).astype(np.float32)
    z = X[:, 0] - X[:, 5] + 0.3 * X[:, -1] - 2
    return np.asfortranarray(X), (rng.random(n) < 1 / (1 + np.exp(-z))).astype(np.float64)


def _sklearn_fit(X64, y, C: float, start: np.ndarray | None = None) -> LogisticRegression:
    lr = LogisticRegression(C=C, l1_ratio=0.0, solver="newton-cholesky", warm_start=True)
    if start is not None:
        lr.coef_, lr.intercept_ = start[None, :-1].copy(), start[-1:].copy()
    return lr.fit(X64, y)


def test_design_in_blocks_is_the_csr_of_the_matrix(monkeypatch):
    monkeypatch.setattr(scorecard, "DESIGN_BLOCK", 4)  # blocks that split the rows unevenly
    rng = np.random.default_rng(1)
    X = rng.integers(-2, 3, (11, 6)).astype(np.float64) * rng.random((11, 6))
    X[3] = 0.0  # an empty row
    X[5, 2] = -0.0  # a zero with its sign bit set is still no entry
    for matrix in (X, np.asfortranarray(X.astype(np.float32))):
        design = scorecard._design(matrix)
        expected = sparse.csr_array(matrix.astype(np.float64))
        for part in ("data", "indices", "indptr"):
            np.testing.assert_array_equal(getattr(design, part), getattr(expected, part))
        assert design.indices.dtype == design.indptr.dtype == np.int32


def test_weighted_gram_is_the_weighted_cross_product(monkeypatch):
    monkeypatch.setattr(newton, "HESSIAN_BLOCK", 7)
    X, _ = _one_hot_data(50, seed=2)
    weights = np.random.default_rng(2).random(50)
    expected = X.astype(np.float64).T @ (weights[:, None] * X.astype(np.float64))
    for matrix in (X, np.ascontiguousarray(X, dtype=np.float64)):
        np.testing.assert_allclose(
            newton._weighted_gram(matrix, weights), expected, rtol=1e-13, atol=1e-13
        )


@pytest.mark.parametrize("C", [0.1, 1000.0])
def test_newton_steps_are_scikit_learns_from_a_cold_and_a_warm_start(C):
    X, y = _one_hot_data(4000, seed=3)
    X64 = scorecard._design(X)
    l2 = 1.0 / (C * len(y))
    cold = np.zeros(X.shape[1] + 1)
    warm = np.append(np.full(X.shape[1], 0.05), -1.0)
    for start in (cold, warm):
        found = newton.newton_cholesky(X, X64, y, l2, start, max_iter=100)
        assert found is not None
        lr = _sklearn_fit(X64, y, C, start)
        np.testing.assert_allclose(found[0], np.append(lr.coef_[0], lr.intercept_), atol=1e-9)
        assert found[1] == lr.n_iter_[0]


def test_scorecard_fit_is_the_warm_started_scikit_learn_fit(monkeypatch):
    monkeypatch.setattr(scorecard, "WARM_START_ROWS", 1000)
    X, y = _one_hot_data(6000, seed=4)
    card = Scorecard(C=0.1).fit(X, y)
    # What the scorecard did before its own Newton steps: scikit-learn on a sample, then on all.
    X64 = scorecard._design(X)
    rows = np.sort(np.random.default_rng(0).choice(6000, 1000, replace=False))
    sample = _sklearn_fit(X64[rows], y[rows], 0.1 * 6000 / 1000)
    full = _sklearn_fit(X64, y, 0.1, np.append(sample.coef_[0], sample.intercept_))
    np.testing.assert_allclose(card.coef_, full.coef_[0], atol=1e-10)
    assert abs(card.intercept_ - full.intercept_[0]) < 1e-10
    assert card.n_iter_ == full.n_iter_[0]
    np.testing.assert_array_equal(card.points_, np.rint(full.coef_[0] / 0.1))


def test_where_newton_would_stop_early_scikit_learn_fits_as_before():
    # Separable classes and almost no penalty: scikit-learn leaves Newton's steps for lbfgs.
    rng = np.random.default_rng(9)
    X = rng.normal(size=(2000, 5))
    y = (X[:, 0] > 0).astype(np.float64)
    X64 = scorecard._design(X)
    start = np.zeros(6)
    assert newton.newton_cholesky(X, X64, y, 1.0 / (1e6 * 2000), start, 1000) is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        card = Scorecard(C=1e6).fit(X, y)
        lr = _sklearn_fit(X64, y, 1e6)
    np.testing.assert_array_equal(card.coef_, lr.coef_[0])
    assert card.n_iter_ == lr.n_iter_[0]
