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
from ._integer_sums import sum_by_code
from ._point import Ranking

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
    is summed as integers, so AUC is exact; float weights work too. ``ranking``: a
    ``Ranking`` of ``p`` shared with other metrics (else ``p`` is sorted here).
    """

    def __init__(
        self, y, p, bins: int = 10, *, grouped: bool | None = None, ranking: Ranking | None = None
    ) -> None:
        y = np.asarray(y, dtype=np.float64)
        p = np.asarray(p, dtype=np.float64)
        self.n = len(y)
        self.bins = bins
        ranking = Ranking(p) if ranking is None else ranking
        values, inverse = ranking.distinct()
        if grouped is None:
            grouped = len(values) <= GROUPED_MAX_SHARE * self.n
        self.grouped = grouped
        if grouped:
            self._init_groups(y, values, inverse)
        else:
            self._init_sorted(y, p, ranking)

    # -- few distinct scores: sums per (score, outcome) group
    def _init_groups(self, y, values, inverse) -> None:
        key = 2 * inverse + (y == 1.0)
        # The same order from 16-bit keys when they fit: numpy sorts those by radix,
        # 1.6 ms instead of 12 ms for 171k notices.
        self._order = np.argsort(key.astype(np.int16) if key.max() < 2**15 else key, kind="stable")
        sorted_key = key[self._order]
        starts = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
        self._starts = np.flatnonzero(starts)
        # Each notice's (score, outcome) group, numbered as the columns of from_group_sums.
        self.group_of = np.empty(self.n, dtype=np.int64)
        self.group_of[self._order] = np.cumsum(starts) - 1
        self.groups = len(self._starts)
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
        return self.from_group_sums(sums.astype(np.int64 if acc is not np.float64 else np.float64))

    def from_group_sums(self, sums: np.ndarray) -> ScoreSums:
        """The figures from the weights summed per group of ``group_of``: (B, groups), int64
        (exact AUC) or float64."""
        wide = np.int64 if sums.dtype.kind in "iu" else np.float64
        pos = np.zeros((sums.shape[0], len(self._values)), dtype=wide)
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
    def _init_sorted(self, y, p, ranking: Ranking) -> None:
        pos = y == 1.0
        # Both classes in ascending order of p_rank, read off the ranking (p descending):
        # tied notices may come in another order than sorting p_rank would give them,
        # which changes no sum below (a cut never falls inside a block of tied scores).
        if pos.sum() > (~pos).sum():  # AUC(y, p) == AUC(1 - y, -p): cumulate the larger class
            pos, p_rank, ascending = ~pos, -p, ranking.order
        else:
            p_rank, ascending = p, ranking.order[::-1]
        neg = ascending[~pos[ascending]]
        neg_sorted = p_rank[neg]
        # the other class in score order too: its reads of the cumulative weights go forward
        pos = ascending[pos[ascending]]
        p_pos = p_rank[pos]
        below = np.searchsorted(neg_sorted, p_pos, side="left")  # with s < s+
        upto = np.searchsorted(neg_sorted, p_pos, side="right")  # with s <= s+
        self._tied = bool(np.any(below != upto))
        # The other class reads the cumulative weights of the sorted class at these cuts
        # only, so the sorted class is summed in runs between cuts and only the runs are
        # cumulated. One bincount a replicate gives the runs' sums (bins 0..runs-1) and
        # each weight of the other class (bins runs..): for the oracle (155k negatives in
        # 16k runs, 16k positives) 9 ms of 23 replicates, where gathering both classes'
        # weights and cumulating every negative took 21 ms.
        cuts = np.unique(np.r_[0, below, upto])
        runs = cuts[cuts < len(neg)]  # run i starts here and ends where run i + 1 starts
        self._runs = len(runs)
        self._bin = np.empty(self.n, dtype=np.int64)
        self._bin[neg] = np.searchsorted(runs, np.arange(len(neg)), side="right") - 1
        self._bin[pos] = self._runs + np.arange(len(pos))
        self._bins = self._runs + len(pos)
        self._below = np.searchsorted(cuts, below)  # column of the cumulated runs to read
        self._upto = np.searchsorted(cuts, upto)
        self._linear = np.column_stack([(p - y) ** 2, ece_columns(y, p, self.bins)])

    def _sorted(self, W: np.ndarray, counts: bool) -> ScoreSums:
        if counts and W.dtype.kind in "iub":  # the bootstrap's counts, summed without the GIL
            binned = sum_by_code(W, self._bin, self._bins)
        else:
            binned = np.stack([np.bincount(self._bin, weights=w, minlength=self._bins) for w in W])
            if counts:  # integer-valued sums, exact below 2**53
                binned = binned.astype(np.int64)
        w_pos = binned[:, self._runs :]
        cum = np.zeros((W.shape[0], self._runs + 1), dtype=binned.dtype)  # before each cut
        np.cumsum(binned[:, : self._runs], axis=1, out=cum[:, 1:])
        lower = np.take(cum, self._below, axis=1)
        if self._tied:  # a tie between a positive and a negative counts one half
            lower += np.take(cum, self._upto, axis=1)
        else:
            lower *= 2
        pairs = np.einsum("ij,ij->i", w_pos, lower).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            auc = 0.5 * pairs / (w_pos.sum(axis=1, dtype=np.float64) * cum[:, -1])
        sums = W.astype(np.float64, copy=False) @ self._linear
        return ScoreSums(auc, sums[:, 0], sums[:, 1:])

    def __call__(self, W: np.ndarray, *, counts: bool | None = None) -> ScoreSums:
        """The figures under weights ``W``. ``counts``: ``W`` holds whole numbers, summed
        exactly (default: when its dtype is an integer one)."""
        W = np.atleast_2d(W)
        if counts is None:
            counts = W.dtype.kind in "iub"
        return self._grouped(W) if self.grouped else self._sorted(W, counts)


class NoticeGroups:
    """Notices that a list of integer codes does not tell apart, numbered ``0..count-1``.

    A bootstrap statistic that depends on the notices only through such codes (an
    outcome, a tier, top-``k`` membership, one of a few distinct scores) is a sum
    over these groups: each replicate's weights are summed per group once, in one
    ``bincount`` over the notices, and every such statistic reads the few group
    sums. The 1M assessment has 15,746 groups for its 171,378 test notices; the
    tier and capacity counts (a matrix product) and the three calibrated scores'
    sums (a gather and ``reduceat`` each) took about 70 ms a chunk of 23
    replicates, one pass over the notices each; the groups take about 20 ms.
    """

    def __init__(self, codes: list[np.ndarray]) -> None:
        """``codes``: arrays (n,) of non-negative integers."""
        key = np.zeros(len(codes[0]), dtype=np.int64)
        size = 1  # the key's values are below this
        for code in codes:
            count = int(code.max()) + 1
            if size * count >= 2**62:  # renumber the groups so far: the key must stay an int64
                key = np.unique(key, return_inverse=True)[1].astype(np.int64)
                size = int(key.max()) + 1
            key = key * count + code
            size *= count
        _, self.first, self.of = np.unique(key, return_index=True, return_inverse=True)
        self.count = len(self.first)  # ``first``: one notice of each group

    def sums(self, W: np.ndarray) -> np.ndarray:
        """(B, count) sums of the weights ``W`` (B, n) per group: int64 for integer
        weights (exact, summed without the GIL), else float64."""
        return _sums_by_code(W, self.of, self.count)

    def regroup(self, sums: np.ndarray, code: np.ndarray, count: int) -> np.ndarray:
        """Group ``sums`` (B, self.count) summed by a coarser ``code`` (n,) in ``0..count-1``."""
        return _sums_by_code(sums, code[self.first], count)


def _sums_by_code(W: np.ndarray, code: np.ndarray, count: int) -> np.ndarray:
    if W.dtype.kind in "iub":
        return sum_by_code(W, code, count)
    return np.stack([np.bincount(code, weights=w, minlength=count) for w in W])


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
