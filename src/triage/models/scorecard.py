"""Integer-points scorecard: a penalised logistic regression a worker can add up by hand.

Coefficients (log-odds per unit) are divided by ``points_scale`` and rounded:
``points = round(coef / points_scale)``, the intercept likewise. The total of a
notice is ``base + Σ points × value`` (value is 0/1 for ``<field>=<state>``
columns, the count itself for number columns), and ``predict_proba`` uses only
that integer total: ``p = 1 / (1 + exp(-(a + b × total)))``, with ``a`` and
``b ≥ 0`` fit on the training totals. A hand sum of ``points_table()`` therefore
gives the same score as the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import expit, logit
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import Interval, StrOptions

from triage.features import feature_groups
from triage.models._base import BinaryClassifier
from triage.models.newton_cholesky import newton_cholesky

BASE_ROW = "(base points)"
"""Name of the intercept row of ``points_table()``."""

WARM_START_ROWS = 50_000
"""Rows of the sample whose fit starts Newton's steps on a large training window."""

TOTAL_BLOCK = 65_536
"""Rows converted to float64 at a time when adding up points."""

DESIGN_BLOCK = 16_384
"""Rows of the feature matrix turned into CSR entries at a time (a few MB: stays in cache)."""


def _design(X: np.ndarray) -> sparse.csr_array:
    """``X`` for the logistic fit: float64, sparse (rows).

    Always float64: the L2 penalty (1 / (C n) per notice) alone holds the directions
    along which one-hot groups add up to one, and float32 sums over half a million
    notices are coarser than that; the solve then met a "singular" Hessian and fell
    back to lbfgs (3-7 s instead of 1.2), or worse, found slightly wrong points.
    Sparse because 85 % of the entries are 0 (one-hot blocks, unknown indicators): at
    550k rows a dense float64 copy was 390 MB of fresh memory and each Newton step made
    another. The fit reaches the same coefficients (to 1e-12); in the pipeline at 1M
    notices it took 2.5-3.6 CPU-s instead of 4.1-5.1, most of the saving kernel time.

    Built straight in row order (CSR), in blocks of rows: the former column-by-column
    build (``np.flatnonzero`` of each float column, then CSC → CSR) took 0.65 CPU-s at
    550k x 89; finding the nonzeros of a boolean block is 3x cheaper than of floats, a
    block of rows stays in cache, and no CSC → CSR conversion is left: 0.24 CPU-s, the
    same arrays bit for bit.
    """
    n_rows, n_cols = X.shape
    columns, values, row_counts = [], [], []
    for start in range(0, n_rows, DESIGN_BLOCK):
        block = np.ascontiguousarray(X[start : start + DESIGN_BLOCK])  # row-major, as CSR
        nonzero = block != 0
        at = np.flatnonzero(nonzero)  # positions in the block, row after row
        columns.append((at % n_cols).astype(np.int32))  # 32-bit indices, as liblinear requires
        values.append(block.ravel()[at].astype(np.float64))
        row_counts.append(nonzero.sum(axis=1))
    starts = np.zeros(n_rows + 1, dtype=np.int32)
    np.cumsum(np.concatenate(row_counts), out=starts[1:])
    return sparse.csr_array(
        (np.concatenate(values), np.concatenate(columns), starts), shape=X.shape
    )


class Scorecard(BinaryClassifier):
    """L2 (Newton-Cholesky) or L1 (liblinear) logistic regression rounded to integer points.

    Parameters
    ----------
    penalty : {"l2", "l1"}, default "l2"
        ``l2`` fits with Newton-Cholesky; ``l1`` with liblinear and
        gives sparser cards.
    C : float, default 0.1
        Inverse regularisation strength, as in ``LogisticRegression``.
    points_scale : float, default 0.1
        Log-odds per point (10 points ≈ odds × e). Smaller is finer but gives
        larger numbers and more rows. On the project's synthetic data (150k
        rows) 0.1 kept the unrounded model's AUC within 0.003; 0.2 lost 0.015,
        mostly by rounding small per-unit count effects to zero.
    max_iter : int, default 1000
    feature_names : sequence of str or None, default None

    Attributes
    ----------
    coef_, intercept_ : the unrounded logistic fit.
    points_ : int64 array, points per unit of each column.
    base_points_ : int, the rounded intercept.
    mapping_ : (a, b), total points → log-odds.
    """

    _parameter_constraints: dict = {
        "penalty": [StrOptions({"l1", "l2"})],
        "C": [Interval(Real, 0, None, closed="neither")],
        "points_scale": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "feature_names": ["array-like", None],
    }

    def __init__(
        self,
        penalty: str = "l2",
        C: float = 0.1,
        points_scale: float = 0.1,
        max_iter: int = 1000,
        feature_names: Sequence[str] | None = None,
    ):
        self.penalty = penalty
        self.C = C
        self.points_scale = points_scale
        self.max_iter = max_iter
        self.feature_names = feature_names

    def _fit(self, X: np.ndarray, y01: np.ndarray) -> None:
        X64 = _design(X)
        if self.penalty == "l1":
            lr = LogisticRegression(
                C=self.C, l1_ratio=1.0, solver="liblinear", intercept_scaling=10.0,
                max_iter=self.max_iter,
            ).fit(X64, y01)  # fmt: skip
            self.n_iter_ = int(np.max(lr.n_iter_))
            coef = np.append(lr.coef_[0], lr.intercept_[0])
        else:
            coef, self.n_iter_ = self._solve_l2(X, X64, y01, self.C, self._warm_start(X, X64, y01))
        self.coef_ = coef[:-1].astype(np.float64)
        self.intercept_ = float(coef[-1])
        self.points_ = np.rint(self.coef_ / self.points_scale).astype(np.int64)
        self.base_points_ = int(np.rint(self.intercept_ / self.points_scale))
        # From the design already built: 0.03 CPU-s at 550k rows instead of 0.18 for
        # converting X to float64 again. The same totals: with integer points and values
        # (all NoticeFeatures columns) every partial sum is an exact integer in float64.
        total = np.rint(X64 @ self.points_.astype(np.float64) + self.base_points_).astype(np.int64)
        rate = float(np.clip(y01.mean(), 1e-6, 1 - 1e-6))
        a, b = float(logit(rate)), 0.0
        if np.ptp(total) > 0:
            # Totals take few distinct values: fitting on (total, outcome) counts as
            # weights gives the same likelihood, hence the same fit, in a fraction of the time.
            keys, counts = np.unique(2 * total + y01, return_counts=True)
            m = LogisticRegression(C=1e4, solver="lbfgs", max_iter=self.max_iter)
            m.fit((keys // 2).reshape(-1, 1).astype(np.float64), keys % 2, sample_weight=counts)
            if m.coef_[0, 0] > 0:  # otherwise points carry no upward signal: flat mapping
                a, b = float(m.intercept_[0]), float(m.coef_[0, 0])
        self.mapping_ = (a, b)

    def _solve_l2(
        self, X: np.ndarray, X64: sparse.csr_array, y01: np.ndarray, C: float, start: np.ndarray
    ) -> tuple[np.ndarray, int]:
        """L2 fit from ``start`` (coefficients, then intercept): ``(coef + [intercept], steps)``.

        Newton-Cholesky: exact optimum in ~5 iterations for many rows and few columns;
        lbfgs stopped ~80 iterations short of it on ill-conditioned one-hot columns.
        """
        l2 = 1.0 / (C * len(y01))  # scikit-learn's penalty per row for C
        found = newton_cholesky(X, X64, y01, l2, start, self.max_iter)
        if found is not None:
            return found
        # Where scikit-learn leaves Newton's steps, it fits (lbfgs fallback, warnings) as before.
        lr = LogisticRegression(
            C=C, l1_ratio=0.0, solver="newton-cholesky", max_iter=self.max_iter, warm_start=True
        )
        lr.coef_, lr.intercept_ = start[None, :-1].copy(), start[-1:].copy()
        lr.fit(X64, y01)
        return np.append(lr.coef_[0], lr.intercept_[0]), int(np.max(lr.n_iter_))

    def _warm_start(self, X: np.ndarray, X64: sparse.csr_array, y01: np.ndarray) -> np.ndarray:
        """Where Newton starts: the fit on ``WARM_START_ROWS`` sampled rows (same penalty per
        row), or zeros.

        From there it needs 2 steps over all rows instead of 5 (550k rows, the whole fit: 1.2 s;
        from 20,000 rows, 3 steps and 2.4 s); the optimum is the same, so the points are too.
        """
        n = X.shape[0]
        cold = np.zeros(X.shape[1] + 1)
        if n < 5 * WARM_START_ROWS:
            return cold
        rows = np.sort(np.random.default_rng(0).choice(n, WARM_START_ROWS, replace=False))
        if np.ptp(y01[rows]) == 0:  # one outcome only in the sample: start cold
            return cold
        C = self.C * n / WARM_START_ROWS
        return self._solve_l2(X[rows], X64[rows], y01[rows], C, cold)[0]

    def _total(self, X: np.ndarray) -> np.ndarray:
        # In blocks of rows: no float64 copy of a whole training window (390 MB at half a
        # million rows) for one product; the time is the same either way.
        points = self.points_.astype(np.float64)
        total = np.empty(len(X), dtype=np.float64)
        for start in range(0, len(X), TOTAL_BLOCK):
            block = slice(start, start + TOTAL_BLOCK)
            total[block] = X[block].astype(np.float64) @ points
        return np.rint(total + self.base_points_).astype(np.int64)

    def total_points(self, X) -> np.ndarray:
        """Integer total per row: what a worker gets by adding up ``points_table()``."""
        return self._total(self._check_X(X))

    def _proba1(self, X: np.ndarray) -> np.ndarray:
        a, b = self.mapping_
        return expit(a + b * self._total(X))

    def points_table(self) -> pd.DataFrame:
        """Rows a worker adds up: base points first, then each column with non-zero points.

        Columns: ``feature`` (column name), ``field`` (contract field, or the name
        itself), ``points``, ``counts`` ("once" for the base, "if 1" for a
        ``<field>=<state>`` column, "per unit" for a number column).
        """
        names = [str(n) for n in self.feature_names_]
        rows = [(BASE_ROW, BASE_ROW, self.base_points_, "once")]
        for name, pts in zip(names, self.points_, strict=True):
            if pts != 0:
                try:
                    field = feature_groups([name])[name]
                except ValueError:
                    field = name
                rows.append((name, field, int(pts), "if 1" if "=" in name else "per unit"))
        return pd.DataFrame(rows, columns=["feature", "field", "points", "counts"])
