"""Recall and precision at a fixed capacity ``k`` (the top ``k`` notices by score).

Notices tied with the ``k``-th score may fall either side of the cut. As in
dssg/triage, two orderings bound the result: *worst* places the positives last
among the ties, *best* places them first. With no tie at the cut, both agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

import numpy as np

from ._checks import as_binary, check_k, same_length
from ._point import Ranking


def _scores(score) -> np.ndarray:
    arr = np.asarray(score, dtype=np.float64)
    if arr.ndim != 1 or not np.all(np.isfinite(arr)):
        raise ValueError("scores must be a 1-d array of finite numbers")
    return arr


@overload
def top_k_metrics(y, score, k: int | np.integer) -> dict[str, float]: ...
@overload
def top_k_metrics(y, score, k: np.ndarray | Sequence[int]) -> dict[str, np.ndarray]: ...
def top_k_metrics(y, score, k) -> dict[str, float] | dict[str, np.ndarray]:
    """Recall and precision at capacity ``k`` with worst- and best-case tie ordering.

    ``score`` may be any ranking score (higher = more urgent). ``k`` is an int
    or an array of ints in ``1..n``; with an array, every value is an array of
    the same shape. The data are sorted once whatever the number of ``k``.
    Keys: ``recall_at_k_worst``, ``recall_at_k_best``, ``precision_at_k_worst``,
    ``precision_at_k_best``. Recall is ``nan`` when y has no positive.
    """
    y, s = as_binary(y), _scores(score)
    same_length(y, s)
    return ranked_top_k_metrics(y, Ranking(s), k)


@overload
def ranked_top_k_metrics(
    y: np.ndarray, ranking: Ranking, k: int | np.integer
) -> dict[str, float]: ...
@overload
def ranked_top_k_metrics(
    y: np.ndarray, ranking: Ranking, k: np.ndarray | Sequence[int]
) -> dict[str, np.ndarray]: ...
def ranked_top_k_metrics(y, ranking, k) -> dict[str, float] | dict[str, np.ndarray]:
    """``top_k_metrics`` of checked ``y`` on a score's ``Ranking``."""
    n = same_length(y, ranking.order)
    ks = check_k(k, n)
    cum_pos = np.concatenate([[0.0], np.cumsum(y[ranking.order])])
    # The tie block [first, last) of the k-th score: notices above it are all taken.
    first, last = ranking.tie_block(ks - 1)
    pos_above = cum_pos[first]
    pos_ties = cum_pos[last] - cum_pos[first]
    neg_ties = (last - first) - pos_ties
    slots = ks - first
    tie_pos_worst = np.maximum(0.0, slots - neg_ties)
    tie_pos_best = np.minimum(slots, pos_ties)
    positives = cum_pos[-1]
    hits_worst, hits_best = pos_above + tie_pos_worst, pos_above + tie_pos_best
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {
            "recall_at_k_worst": hits_worst / positives,
            "recall_at_k_best": hits_best / positives,
            "precision_at_k_worst": hits_worst / ks,
            "precision_at_k_best": hits_best / ks,
        }
    if np.ndim(k) == 0:
        return {key: float(value[()]) for key, value in out.items()}
    return out


def top_k_mask(y, score, k: int, *, ties: str = "worst") -> np.ndarray:
    """Boolean mask of the ``k`` notices taken at capacity, with ties ordered as ``ties``.

    ``"worst"`` takes the negatives first among notices tied at the cut,
    ``"best"`` the positives; the mask's recall and precision are then those of
    ``top_k_metrics``.
    """
    y, s = as_binary(y), _scores(score)
    same_length(y, s)
    return ranked_top_k_mask(y, Ranking(s), k, ties=ties)


def ranked_top_k_mask(
    y: np.ndarray, ranking: Ranking, k: int, *, ties: str = "worst"
) -> np.ndarray:
    """``top_k_mask`` of checked ``y`` on a score's ``Ranking``.

    The same notices as sorting by (score descending, then ``y``, then notice order):
    the ranking already gives that order except inside the tie block at the cut,
    which alone is sorted by ``y`` (two full sorts per score and outcome before).
    """
    if ties not in ("worst", "best"):
        raise ValueError(f"ties must be 'worst' or 'best'; got {ties!r}")
    n = same_length(y, ranking.order)
    (kk,) = check_k([k], n)
    first, stop = (int(at[0]) for at in ranking.tie_block(np.array([kk - 1])))
    tied = ranking.order[first:stop]  # in notice order
    secondary = y[tied] if ties == "worst" else -y[tied]
    mask = np.zeros(n, dtype=bool)
    mask[ranking.order[:first]] = True
    mask[tied[np.argsort(secondary, kind="stable")[: kk - first]]] = True
    return mask
