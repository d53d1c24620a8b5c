"""Input checks shared by the evaluation modules, with their error messages.

The messages are module-level constants so that every function raises the same
sentence and the tests can assert it.
"""

from __future__ import annotations

import numpy as np

NOT_BINARY = "y must be a 1-d array of 0/1 (or bool) outcomes without missing values"
NOT_PROBABILITY = "scores must be a 1-d array of finite probabilities in [0, 1]"
LENGTH_MISMATCH = "arrays must have the same length: got {}"
ONE_CLASS = "{} is undefined when y holds only one class"
EMPTY = "at least one notice is needed"
BAD_K = "k must be an integer between 1 and the number of notices ({}); got {}"
BAD_BINS = "bins must be an integer >= 1; got {}"


def as_binary(y) -> np.ndarray:
    """``y`` as a float64 array of 0.0/1.0; raises ``ValueError(NOT_BINARY)``."""
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(NOT_BINARY)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(NOT_BINARY) from None
    arr = arr.astype(np.float64, copy=False)
    if arr.size == 0:
        raise ValueError(EMPTY)
    if not np.all((arr == 0.0) | (arr == 1.0)):
        raise ValueError(NOT_BINARY)
    return arr


def as_probability(p) -> np.ndarray:
    """``p`` as a float64 array of probabilities; raises ``ValueError(NOT_PROBABILITY)``."""
    try:
        arr = np.asarray(p, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(NOT_PROBABILITY) from None
    if arr.ndim != 1 or not np.all(np.isfinite(arr)) or np.any((arr < 0.0) | (arr > 1.0)):
        raise ValueError(NOT_PROBABILITY)
    if arr.size == 0:
        raise ValueError(EMPTY)
    return arr


def same_length(*arrays: np.ndarray) -> int:
    """The common length of ``arrays``; raises ``ValueError(LENGTH_MISMATCH)``."""
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) != 1:
        raise ValueError(LENGTH_MISMATCH.format(lengths))
    return lengths[0]


def both_classes(y: np.ndarray, metric: str) -> None:
    """Raise ``ValueError(ONE_CLASS)`` when ``y`` holds a single class."""
    if y.min() == y.max():
        raise ValueError(ONE_CLASS.format(metric))


def check_bins(bins) -> int:
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise ValueError(BAD_BINS.format(bins))
    return int(bins)


def check_k(k, n: int) -> np.ndarray:
    """``k`` (an int or an array of ints) as an int64 array; each in ``1..n``."""
    arr = np.asarray(k)
    if arr.dtype.kind not in "iu" or arr.size == 0 or np.any(arr < 1) or np.any(arr > n):
        raise ValueError(BAD_K.format(n, k))
    return arr.astype(np.int64)


def bin_index(p: np.ndarray, bins: int) -> np.ndarray:
    """Equal-width bin of each probability in ``[0, 1]``: ``floor(p * bins)``, 1.0 in the last."""
    return np.minimum((p * bins).astype(np.int64), bins - 1)
