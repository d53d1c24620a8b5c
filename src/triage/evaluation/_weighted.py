"""Weighted metrics for many weight vectors at once: the kernels of the bootstrap.

A weight matrix ``W`` of shape ``(B, n)`` holds one weight per notice for each
of ``B`` replicates (bootstrap counts, or ones for the plain estimate); every
kernel returns ``B`` values in array form, so a bootstrap costs a few passes
over ``W`` instead of ``B`` calls into scikit-learn. With integer weights a
weighted metric equals the plain metric on the sample with each notice
repeated that many times.

- ``ScoreStats``: AUC, squared error and ECE gaps of one score. AUC is
  ``P(s+ > s-) + 0.5 P(s+ = s-)`` over weighted pairs. A calibrated candidate
  has few distinct scores (isotonic steps, point totals), so its weights are
  summed per (score, outcome) group and every metric reads those sums; a
  continuous score (the oracle's ``p_harm``) cumulates the larger class's
  weights in score order and reads them below each member of the other class.
- ``LinearStats``: everything else used by the bootstrap (tier shares, recall
  at k) is a ratio of weighted sums ``W @ v``; it stacks the vectors ``v`` as
  columns and computes all of them with one matrix product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import as_binary, as_probability, bin_index, check_bins, same_length

BAD_WEIGHTS = "weights must be finite, non-negative, of shape (n,) or (B, n)"

GROUPED_MAX_SHARE = 0.25
"""``ScoreStats`` groups notices by (score, outcome) when distinct scores are at most this
share of the notices (calibrated candidates: a few hundred among 170k; 3x faster)."""


@dataclass(frozen=True)
class ScoreSums:
    """One score's weighted figures, one row per weight vector."""

    auc: np.ndarray  # (B,)
    sq_err: np.ndarray  # (B,) sum of w (p - y)^2
    ece_gaps: np.ndarray  # (B, bins) sum of w (p - y) per equal-width bin


def _accumulator(W: np.ndarray, n: int):
    """Exact integer sums for integer weights (int32 while bytes cannot overflow it)."""
    if W.dtype == np.uint8 and 255 * n < 2**31:
        return np.int32
    return np.int64 if W.dtype.kind in "iub" else np.float64


class ScoreStats:
    """Weighted AUC, squared error and ECE gaps of a fixed ``(y, p)``; call with ``W`` (B, n).

    ``grouped`` forces a strategy (both give the same numbers); by default notices are
    grouped when distinct scores are few (``GROUPED_MAX_SHARE``). Integer ``W`` (counts)
    is summed as integers, so AUC is exact; float weights work too.
    """

    def __init__(self, y, p, bins: int = 10, *, grouped: bool | None = None) -> None:
        y = np.asarray(y, dtype=np.float64)
        p = np.asarray(p, dtype=np.float64)
        self.n = len(y)
        self.bins = bins
        values, inverse = np.unique(p, return_inverse=True)
        if grouped is None:
            grouped = len(values) <= GROUPED_MAX_SHARE * self.n
        self.grouped = grouped
        if grouped:
            self._init_groups(y, values, inverse)
        else:
            self._init_sorted(y, p)

    # -- few distinct scores: sums per (score, outcome) group
    def _init_groups(self, y, values, inverse) -> None:
        key = 2 * inverse + (y == 1.0)
        self._order = np.argsort(key, kind="stable")
        sorted_key = key[self._order]
        self._starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
        group_key = sorted_key[self._starts]
        self._value_of = group_key // 2  # each group's index into values
        self._positive = group_key % 2 == 1
        self._values = values
        in_bin = np.zeros((len(values), self.bins))
        in_bin[np.arange(len(values)), bin_index(values, self.bins)] = 1.0
        self._gap_neg = values[:, None] * in_bin  # a negative's p - y is p
        self._gap_pos = (values - 1.0)[:, None] * in_bin  # a positive's is p - 1

    def _grouped(self, W: np.ndarray) -> ScoreSums:
        acc = _accumulator(W, self.n)
        sums = np.add.reduceat(np.take(W, self._order, axis=1), self._starts, axis=1, dtype=acc)
        wide = np.int64 if acc is not np.float64 else np.float64
        pos = np.zeros((W.shape[0], len(self._values)), dtype=wide)
        neg = np.zeros_like(pos)
        pos[:, self._value_of[self._positive]] = sums[:, self._positive]
        neg[:, self._value_of[~self._positive]] = sums[:, ~self._positive]
        below = np.cumsum(neg, axis=1) - neg  # negatives scored strictly lower
        pairs = np.einsum("ij,ij->i", pos, 2 * below + neg).astype(np.float64)  # ties: one half
        with np.errstate(invalid="ignore", divide="ignore"):
            auc = 0.5 * pairs / (pos.sum(axis=1, dtype=np.float64) * neg.sum(axis=1))
        pos, neg = pos.astype(np.float64), neg.astype(np.float64)
        sq_err = neg @ self._values**2 + pos @ (1.0 - self._values) ** 2
        return ScoreSums(auc, sq_err, neg @ self._gap_neg + pos @ self._gap_pos)

    # -- continuous scores: cumulative weights in score order
    def _init_sorted(self, y, p) -> None:
        pos = y == 1.0
        if pos.sum() > (~pos).sum():  # AUC(y, p) == AUC(1 - y, -p): cumulate the larger class
            pos, p_rank = ~pos, -p
        else:
            p_rank = p
        neg_idx = np.flatnonzero(~pos)
        self._neg = neg_idx[np.argsort(p_rank[neg_idx], kind="stable")]
        neg_sorted = p_rank[self._neg]
        pos_idx = np.flatnonzero(pos)
        # the other class in score order too: its reads of the cumulative weights go forward
        self._pos = pos_idx[np.argsort(p_rank[pos_idx], kind="stable")]
        p_pos = p_rank[self._pos]
        self._below = np.searchsorted(neg_sorted, p_pos, side="left")  # with s < s+
        self._upto = np.searchsorted(neg_sorted, p_pos, side="right")  # with s <= s+
        self._tied = bool(np.any(self._below != self._upto))
        self._linear = np.column_stack([(p - y) ** 2, ece_columns(y, p, self.bins)])

    def _sorted(self, W: np.ndarray) -> ScoreSums:
        acc = _accumulator(W, self.n)
        cum = np.empty((W.shape[0], len(self._neg) + 1), dtype=acc)
        cum[:, 0] = 0
        np.cumsum(np.take(W, self._neg, axis=1), axis=1, dtype=acc, out=cum[:, 1:])
        wide = np.int64 if acc is not np.float64 else np.float64
        w_pos = np.take(W, self._pos, axis=1).astype(wide)
        lower = np.take(cum, self._below, axis=1).astype(wide)
        if self._tied:  # a tie between a positive and a negative counts one half
            lower += np.take(cum, self._upto, axis=1)
        else:
            lower *= 2
        pairs = np.einsum("ij,ij->i", w_pos, lower).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            auc = 0.5 * pairs / (w_pos.sum(axis=1, dtype=np.float64) * cum[:, -1])
        sums = W.astype(np.float64) @ self._linear
        return ScoreSums(auc, sums[:, 0], sums[:, 1:])

    def __call__(self, W: np.ndarray) -> ScoreSums:
        W = np.atleast_2d(W)
        return self._grouped(W) if self.grouped else self._sorted(W)


class LinearStats:
    """Named vectors ``v`` whose weighted sums ``W @ v`` are computed in one product."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._blocks: list[np.ndarray] = []
        self._slices: dict[str, slice] = {}
        self._width = 0
        self._matrix: np.ndarray | None = None

    def add(self, name: str, values: np.ndarray) -> None:
        """Register a vector (n,) or a block of vectors (n, m) under ``name``."""
        block = np.asarray(values, dtype=np.float64)
        block = block.reshape(self.n, -1)
        if name in self._slices:
            raise ValueError(f"duplicate statistic {name!r}")
        self._slices[name] = slice(self._width, self._width + block.shape[1])
        self._width += block.shape[1]
        self._blocks.append(block)
        self._matrix = None

    def __call__(self, W: np.ndarray) -> dict[str, np.ndarray]:
        """Weighted sums: name -> (B,) for a vector, (B, m) for a block."""
        if self._matrix is None:
            self._matrix = np.ascontiguousarray(np.hstack(self._blocks))
        sums = np.atleast_2d(W) @ self._matrix
        out = {}
        for name, cols in self._slices.items():
            block = sums[:, cols]
            out[name] = block[:, 0] if cols.stop - cols.start == 1 else block
        return out


def ece_columns(y: np.ndarray, p: np.ndarray, bins: int) -> np.ndarray:
    """(n, bins) block: ``p - y`` in the column of each notice's bin, else 0.

    ``ECE = sum_b |sum_i w_i (p_i - y_i) [i in b]| / sum_i w_i``.
    """
    block = np.zeros((len(p), bins))
    block[np.arange(len(p)), bin_index(p, bins)] = p - y
    return block


def _prepare(y, p, w) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    y, p = as_binary(y), as_probability(p)
    w = np.asarray(w)
    if w.dtype.kind not in "iuf":
        w = w.astype(np.float64)
    single = w.ndim == 1
    if w.ndim not in (1, 2) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(BAD_WEIGHTS)
    w = np.atleast_2d(w)
    same_length(y, p, w[0])
    return y, p, w, single


def _result(values: np.ndarray, single: bool):
    return float(values[0]) if single else values


def weighted_auc(y, p, w):
    """ROC AUC with notice weights ``w`` (n,) -> float, or (B, n) -> (B,) array."""
    y, p, w, single = _prepare(y, p, w)
    return _result(ScoreStats(y, p)(w).auc, single)


def weighted_brier(y, p, w):
    """Brier score with notice weights ``w`` (n,) -> float, or (B, n) -> (B,) array."""
    y, p, w, single = _prepare(y, p, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _result(ScoreStats(y, p)(w).sq_err / w.sum(axis=1), single)


def weighted_ece(y, p, w, *, bins: int = 10):
    """ECE (as ``ece``) with notice weights ``w`` (n,) -> float, or (B, n) -> (B,) array."""
    y, p, w, single = _prepare(y, p, w)
    gaps = ScoreStats(y, p, check_bins(bins))(w).ece_gaps
    with np.errstate(invalid="ignore", divide="ignore"):
        return _result(np.abs(gaps).sum(axis=1) / w.sum(axis=1), single)
