"""Weighted metrics for many weight vectors at once: the kernels of the bootstrap.

A weight matrix ``W`` of shape ``(B, n)`` holds one weight per notice for each
of ``B`` replicates (bootstrap counts, or ones for the plain estimate); every
kernel returns ``B`` values in array form, so a bootstrap costs a few passes
over ``W`` instead of ``B`` calls into scikit-learn. With integer weights a
weighted metric equals the plain metric on the sample with each notice
repeated that many times.

- AUC: ``P(s+ > s-) + 0.5 P(s+ = s-)`` over weighted pairs. The kernel sorts
  the larger class once by score; per replicate it takes cumulative weights
  in that order and, for each member of the smaller class, reads the weight
  strictly below and up to its score (ties count one half).
- Everything else used by the bootstrap (Brier, ECE, tier shares, recall at
  k) is a ratio of weighted sums ``W @ v``: ``LinearStats`` stacks the
  vectors ``v`` as columns and computes all of them with one matrix product.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_binary, as_probability, bin_index, check_bins, same_length

BAD_WEIGHTS = "weights must be finite, non-negative, of shape (n,) or (B, n)"


class WeightedAUC:
    """ROC AUC of a fixed ``(y, p)`` under many weight vectors; call with ``W`` (B, n).

    ``W`` may hold integer counts (faster: gathered and summed as integers, so
    exact) or float weights.
    """

    def __init__(self, y: np.ndarray, p: np.ndarray) -> None:
        y = np.asarray(y, dtype=np.float64)
        p = np.asarray(p, dtype=np.float64)
        pos = y == 1.0
        if pos.sum() > (~pos).sum():  # AUC(y, p) == AUC(1 - y, -p): cumulate the larger class
            pos, p = ~pos, -p
        neg_idx = np.flatnonzero(~pos)
        self._neg = neg_idx[np.argsort(p[neg_idx], kind="stable")]
        neg_sorted = p[self._neg]
        self._pos = np.flatnonzero(pos)
        p_pos = p[self._pos]
        self._below = np.searchsorted(neg_sorted, p_pos, side="left")  # negatives with s < s+
        self._upto = np.searchsorted(neg_sorted, p_pos, side="right")  # negatives with s <= s+
        self._tied = bool(np.any(self._below != self._upto))

    def __call__(self, W: np.ndarray) -> np.ndarray:
        W = np.atleast_2d(W)
        exact = W.dtype.kind in "iu"
        acc = np.int64 if exact else np.float64
        cum = np.zeros((W.shape[0], len(self._neg) + 1), dtype=acc)
        np.cumsum(np.take(W, self._neg, axis=1), axis=1, out=cum[:, 1:])
        w_pos = np.take(W, self._pos, axis=1, mode="clip").astype(acc, copy=False)
        lower = np.take(cum, self._below, axis=1, mode="clip")
        if self._tied:  # a tie between a positive and a negative counts one half
            lower += np.take(cum, self._upto, axis=1, mode="clip")
        else:
            lower *= 2
        pairs = np.einsum("ij,ij->i", w_pos, lower).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            return 0.5 * pairs / (w_pos.sum(axis=1, dtype=np.float64) * cum[:, -1])


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
    w = np.asarray(w, dtype=np.float64)
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
    return _result(WeightedAUC(y, p)(w), single)


def weighted_brier(y, p, w):
    """Brier score with notice weights ``w`` (n,) -> float, or (B, n) -> (B,) array."""
    y, p, w, single = _prepare(y, p, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _result(w @ (p - y) ** 2 / w.sum(axis=1), single)


def weighted_ece(y, p, w, *, bins: int = 10):
    """ECE (as ``ece``) with notice weights ``w`` (n,) -> float, or (B, n) -> (B,) array."""
    y, p, w, single = _prepare(y, p, w)
    gaps = w @ ece_columns(y, p, check_bins(bins))
    with np.errstate(invalid="ignore", divide="ignore"):
        return _result(np.abs(gaps).sum(axis=1) / w.sum(axis=1), single)
