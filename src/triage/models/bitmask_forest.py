"""LightGBM's binary trees evaluated column by column with bit masks (QuickScorer).

LightGBM predicts row by row: each row walks each tree from the root, a chain of
dependent loads and hard-to-predict branches (about 35 ns a tree and row here, 2.5
CPU-s for 171k rows of a 400-tree model). The same trees can be evaluated a split at a
time over a block of rows instead (Lucchese et al., "QuickScorer", SIGIR 2015): every
split compares one column with its threshold for all rows at once, and where a row goes
right, the leaves of the split's left subtree are struck from that row's bit mask; the
row's leaf is the leftmost leaf left. Every operation is a vectorised pass over
contiguous memory; the trees share most of their tests, each computed once a block.
For the 1M-notice model: 0.3-0.45 CPU-s for 171k rows against LightGBM's 2.5.

The numbers are LightGBM's, bit for bit: the same decisions (LightGBM's rules for
missing values, zeros and values below 1e-35), the leaf values summed in tree order
in double precision, and the sigmoid computed as LightGBM computes it, with the C
library's ``exp``. Anything outside those rules (categorical splits, linear trees,
multiclass or non-binary objectives, trees of more than 32 leaves) is not converted:
``BitmaskForest.from_booster`` returns None and the caller predicts with LightGBM.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np

ZERO_THRESHOLD = np.float32(1e-35)
"""LightGBM's ``kZeroThreshold``: a dense input value whose magnitude is at most this is
read as zero (it is left out of the row's sparse form, whose buffer is zero)."""

MAX_LEAVES = 32
"""Leaves per tree the masks hold (uint32): the leftmost survivor is found from the
float64 exponent of the survivors' mask, exact below 2**53."""

BLOCK_ROWS = 32_768
"""Rows evaluated together: enough that NumPy's cost per call is small beside each pass
over them, few enough that a block's tests (2 bytes a row each) stay in the last-level
cache (171k rows: 0.32-0.33 s by blocks of 32k or 64k, 15 % more by 16k, 45 % by 8k)."""

_EXPONENT_SHIFT = 52  # float64: the biased exponent sits above 52 mantissa bits


@dataclass(frozen=True)
class _Condition:
    """A split's test, "goes right", with what LightGBM does with a missing value there;
    the trees share most of them (120 distinct among 5,600 splits at 1M notices)."""

    feature: int
    threshold: float  # LightGBM's, in double precision
    threshold32: np.float32  # the largest float32 not above it
    nan_goes_right: bool  # where a NaN goes, when LightGBM does not read it as zero
    zero_is_missing: bool  # LightGBM's missing type "Zero": 0 and NaN take the default
    default_left: bool

    def evaluate(self, x: np.ndarray, nan: np.ndarray | None, out: np.ndarray) -> None:
        """LightGBM's ``Tree::NumericalDecision``, negated, for a column read as
        LightGBM reads it (``_read_as_lightgbm``)."""
        # A float32 x satisfies double(x) <= t exactly when x <= the largest float32
        # not above t: the comparison runs in the column's own precision.
        np.greater(x, self.threshold32 if x.dtype == np.float32 else self.threshold, out=out)
        if self.zero_is_missing:
            missing = x == 0
            if nan is not None:
                missing |= nan
            if self.default_left:
                np.logical_and(out, ~missing, out=out)
            else:
                np.logical_or(out, missing, out=out)
        elif nan is not None and self.nan_goes_right:
            np.logical_or(out, nan, out=out)


@dataclass(frozen=True)
class _Tree:
    conditions: tuple[int, ...]  # per split, its condition's index in the forest
    left_leaves: tuple[int, ...]  # per split, the mask bits of its left subtree
    n_leaves: int
    values_by_exponent: np.ndarray  # a leaf's value at 1023 + its bit (its float64 exponent)
    # The tree's shape, for TreeSHAP (``triage.models.tree_shap``): a node is a split's
    # index (its bit in ``split_patterns``) or, negative, ``-1 - bit`` of a leaf.
    root: int
    children: np.ndarray  # (splits, 2) int64: each split's left and right node
    split_counts: np.ndarray  # (splits,) float64: training rows through each split
    leaf_counts: np.ndarray  # (n_leaves,) float64 by bit: training rows in each leaf

    @property
    def leaf_values(self) -> np.ndarray:
        """(n_leaves,) by bit."""
        return self.values_by_exponent[1023 : 1023 + self.n_leaves]


@dataclass(frozen=True)
class BitmaskForest:
    """A LightGBM binary model's trees as bit masks: ``raw_score`` and ``probability``
    equal ``Booster.predict(X, raw_score=True)`` and ``Booster.predict(X)`` exactly."""

    conditions: tuple[_Condition, ...]
    trees: tuple[_Tree, ...]
    n_features: int
    sigmoid: float
    mask_dtype: type[np.unsignedinteger]

    @classmethod
    def from_booster(cls, booster: lgb.Booster) -> BitmaskForest | None:
        """The booster's trees (up to its best iteration, as its ``predict``), or None
        when the model uses anything these masks do not reproduce."""
        model = booster.dump_model()
        sigmoid = _binary_sigmoid(model)
        if sigmoid is None or model.get("average_output"):
            return None
        conditions: dict[_Condition, int] = {}
        trees = []
        for info in model["tree_info"]:
            if info.get("num_cat", 0) or info["num_leaves"] > MAX_LEAVES:
                return None
            tree = _tree(info["tree_structure"], info["num_leaves"], conditions)
            if tree is None:
                return None
            trees.append(tree)
        widest = max((tree.n_leaves for tree in trees), default=1)
        return cls(
            conditions=tuple(conditions),
            trees=tuple(trees),
            n_features=int(model["max_feature_idx"]) + 1,
            sigmoid=sigmoid,
            mask_dtype=np.uint16 if widest <= 16 else np.uint32,
        )

    def raw_score(self, X: np.ndarray) -> np.ndarray:
        """The sum of the trees' leaf values for each row of a float32 or float64 X."""
        X = self._columns(X)
        score = np.empty(len(X))
        for start in range(0, len(X), BLOCK_ROWS):
            score[start : start + BLOCK_ROWS] = self._block(X[start : start + BLOCK_ROWS])
        return score

    def split_patterns(self, X: np.ndarray) -> np.ndarray:
        """(trees, rows) int64: bit ``j`` of ``[t, i]`` is whether row ``i`` goes right at
        split ``j`` of tree ``t``. Rows with the same pattern in a tree take the same side
        at each of its splits, so anything computed from the tree and the row's sides
        (its leaf, its TreeSHAP values) is the same for them."""
        X = self._columns(X)
        patterns = np.zeros((len(self.trees), len(X)), np.int64)
        for start in range(0, len(X), BLOCK_ROWS):
            right = self._goes_right(X[start : start + BLOCK_ROWS], np.uint8)
            block = patterns[:, start : start + BLOCK_ROWS]
            for t, tree in enumerate(self.trees):
                for j, index in enumerate(tree.conditions):
                    block[t] |= (right[index] & 1).astype(np.int64) << j
        return patterns

    def _columns(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X must have {self.n_features} columns, got shape {X.shape}")
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float32)  # as LightGBM reads any other dtype
        return np.asfortranarray(X)

    def _goes_right(self, X: np.ndarray, dtype: type[np.unsignedinteger]) -> np.ndarray:
        """(conditions, rows): each distinct test once, all ones of ``dtype`` where the row
        goes right and 0 elsewhere."""
        right = np.empty((len(self.conditions), len(X)), dtype)
        goes_right = np.empty(len(X), bool)
        columns: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}
        ones = dtype(np.iinfo(dtype).max)
        for i, condition in enumerate(self.conditions):
            if condition.feature not in columns:
                columns[condition.feature] = _read_as_lightgbm(X[:, condition.feature])
            condition.evaluate(*columns[condition.feature], out=goes_right)
            np.multiply(goes_right, ones, out=right[i])
        return right

    def probability(self, X: np.ndarray) -> np.ndarray:
        """LightGBM's ``1 / (1 + exp(-sigmoid * score))`` with the C library's exp, as
        LightGBM's binary objective computes it (NumPy's vectorised exp can differ in
        the last bit)."""
        scale = -self.sigmoid
        scores = self.raw_score(X).tolist()
        return np.fromiter((_logistic(scale * s) for s in scores), float, len(scores))

    def _block(self, X: np.ndarray) -> np.ndarray:
        n = len(X)
        right = self._goes_right(X, self.mask_dtype)
        score = np.zeros(n)
        struck = np.empty(n, self.mask_dtype)
        strike = np.empty(n, self.mask_dtype)
        survivors = np.empty(n, np.float64)
        exponent = np.empty(n, np.int64)
        leaf_value = np.empty(n)
        for tree in self.trees:
            struck.fill(0)
            for index, left in zip(tree.conditions, tree.left_leaves, strict=True):
                np.bitwise_and(right[index], left, out=strike)
                np.bitwise_or(struck, strike, out=struck)
            # Leaves are numbered right to left from bit 0, so the leftmost survivor is
            # the highest bit left: the exponent of the survivors' mask as a float64.
            np.bitwise_xor(struck, self.mask_dtype((1 << tree.n_leaves) - 1), out=struck)
            np.copyto(survivors, struck, casting="unsafe")
            np.right_shift(survivors.view(np.int64), _EXPONENT_SHIFT, out=exponent)
            np.take(tree.values_by_exponent, exponent, out=leaf_value, mode="clip")
            np.add(score, leaf_value, out=score)
        return score


def _read_as_lightgbm(x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """A column as LightGBM's dense input reads it (magnitudes up to ZERO_THRESHOLD are
    zero), and its NaN mask (None when it has none)."""
    tiny = (np.abs(x) <= ZERO_THRESHOLD) & (x != 0)
    if tiny.any():
        x = np.where(tiny, x.dtype.type(0), x)
    nan = np.isnan(x)
    return x, nan if nan.any() else None


def _largest_float32_not_above(threshold: float) -> np.float32:
    with np.errstate(over="ignore"):
        rounded = np.float32(threshold)
    if float(rounded) > threshold:
        rounded = np.nextafter(rounded, np.float32(-np.inf))
    return rounded


def _logistic(z: float) -> float:
    try:
        return 1.0 / (1.0 + math.exp(z))
    except OverflowError:  # C's exp gives inf, and 1 / inf is 0
        return 0.0


def _binary_sigmoid(model: dict) -> float | None:
    """The sigmoid of a one-tree-per-iteration binary objective, else None."""
    if model.get("num_class") != 1 or model.get("num_tree_per_iteration") != 1:
        return None
    words = str(model.get("objective", "")).split()
    if not words or words[0] != "binary":
        return None
    for word in words[1:]:
        if word.startswith("sigmoid:"):
            return float(word.removeprefix("sigmoid:"))
    return None


def _tree(root: dict, n_leaves: int, conditions: dict[_Condition, int]) -> _Tree | None:
    """Numbers the leaves right to left from bit 0 (the leftmost leaf gets the highest
    bit) and records each split's condition (added to ``conditions`` if new) and its
    left subtree as a mask; None for a split or leaf these masks do not reproduce."""
    indices: list[int] = []
    lefts: list[int] = []
    children: list[tuple[int, int]] = []
    split_counts: list[float] = []
    leaf_counts = np.zeros(n_leaves)
    values = np.zeros(1024 + MAX_LEAVES)
    next_bit = n_leaves - 1

    def walk(node: dict) -> tuple[int, int] | None:
        """The node's leaves as a mask, and the node as ``_Tree`` numbers it."""
        nonlocal next_bit
        if "leaf_value" in node:
            if "leaf_coeff" in node:  # a linear tree's leaf
                return None
            if next_bit < 0:  # more leaves than the tree says it has
                return None
            bit = next_bit
            next_bit -= 1
            values[1023 + bit] = float(node["leaf_value"])
            leaf_counts[bit] = float(node.get("leaf_count", 0))
            return 1 << bit, -1 - bit
        missing = node.get("missing_type")
        if node.get("decision_type") != "<=" or missing not in ("None", "NaN", "Zero"):
            return None
        left = walk(node["left_child"])
        right = walk(node["right_child"])
        if left is None or right is None:
            return None
        threshold = float(node["threshold"])
        default_left = bool(node["default_left"])
        condition = _Condition(
            feature=int(node["split_feature"]),
            threshold=threshold,
            threshold32=_largest_float32_not_above(threshold),
            # "None": LightGBM reads NaN as 0, which goes right when 0 > threshold.
            nan_goes_right=(not default_left) if missing == "NaN" else threshold < 0,
            zero_is_missing=missing == "Zero",
            default_left=default_left,
        )
        indices.append(conditions.setdefault(condition, len(conditions)))
        lefts.append(left[0])
        children.append((left[1], right[1]))
        split_counts.append(float(node.get("internal_count", 0)))
        return left[0] | right[0], len(indices) - 1

    top = walk(root)
    if top is None or next_bit != -1:
        return None
    return _Tree(
        conditions=tuple(indices),
        left_leaves=tuple(lefts),
        n_leaves=n_leaves,
        values_by_exponent=values,
        root=top[1],
        children=np.array(children, dtype=np.int64).reshape(-1, 2),
        split_counts=np.array(split_counts),
        leaf_counts=leaf_counts,
    )
