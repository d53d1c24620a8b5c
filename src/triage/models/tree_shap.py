"""LightGBM's TreeSHAP contributions, each tree's computed once per distinct path pattern.

``Booster.predict(X, pred_contrib=True)`` runs TreeSHAP for every row in every
tree: for the 1M-notice model (400 trees) about 1 ms a row, 4.6 CPU-s for the
5,000 notices of the global explanation. A tree's values for a row depend only
on which side the row takes at each of the tree's splits (its pattern,
``BitmaskForest.split_patterns``); notice features take few values, so those
5,000 rows show about 450 distinct patterns a tree. Here each tree's TreeSHAP
runs once per pattern, in a compiled copy of LightGBM's own algorithm that
holds neither the GIL nor LightGBM's lock (so the truth check's refits train
beside it): 0.66 CPU-s for the 5,000 notices.

Each tree's values are LightGBM's bit for bit (a test compares them with
``predict(start_iteration=t, num_iteration=1, pred_contrib=True)``); they are
added up tree by tree, in tree order, so the totals can differ from a single
``pred_contrib`` call in the last bits (that call adds each tree's terms into
the running totals), by about 1e-15 on values of order 1. The bias column is
LightGBM's. A row's values do not depend on the other rows.
"""

from __future__ import annotations

from typing import cast

import lightgbm as lgb
import numpy as np

from triage.models.compiled import compiled
from triage.models.gbm import LIGHTGBM_CALLS, bitmask_forest

# The kernels below are LightGBM's ``Tree::TreeSHAP`` and its path helpers
# (src/io/tree.cpp) with the same operations in the same order, its recursion as a loop:
# a tree's values for a row equal those of ``Booster.predict(row, start_iteration=t,
# num_iteration=1, pred_contrib=True)`` bit for bit. A path is four arrays from
# ``offset`` on (feature, zero fraction, one fraction, weight): LightGBM's ``PathElement``s.


@compiled(inline="always")
def _extend(feat, zero, one, weight, offset, depth, zero_fraction, one_fraction, feature):
    feat[offset + depth] = feature
    zero[offset + depth] = zero_fraction
    one[offset + depth] = one_fraction
    weight[offset + depth] = 1.0 if depth == 0 else 0.0
    for i in range(depth - 1, -1, -1):
        weight[offset + i + 1] += one_fraction * weight[offset + i] * (i + 1) / (depth + 1.0)
        weight[offset + i] = zero_fraction * weight[offset + i] * (depth - i) / (depth + 1.0)


@compiled(inline="always")
def _unwind(feat, zero, one, weight, offset, depth, index):
    one_fraction = one[offset + index]
    zero_fraction = zero[offset + index]
    next_one_portion = weight[offset + depth]
    for i in range(depth - 1, -1, -1):
        if one_fraction != 0:
            tmp = weight[offset + i]
            weight[offset + i] = next_one_portion * (depth + 1) / ((i + 1) * one_fraction)
            next_one_portion = tmp - weight[offset + i] * zero_fraction * (depth - i) / (
                depth + 1.0
            )
        else:
            weight[offset + i] = (weight[offset + i] * (depth + 1)) / (zero_fraction * (depth - i))
    for i in range(index, depth):
        feat[offset + i] = feat[offset + i + 1]
        zero[offset + i] = zero[offset + i + 1]
        one[offset + i] = one[offset + i + 1]


@compiled(inline="always")
def _unwound_sum(zero, one, weight, offset, depth, index):
    one_fraction = one[offset + index]
    zero_fraction = zero[offset + index]
    next_one_portion = weight[offset + depth]
    total = 0.0
    for i in range(depth - 1, -1, -1):
        if one_fraction != 0:
            tmp = next_one_portion * (depth + 1) / ((i + 1) * one_fraction)
            total += tmp
            next_one_portion = weight[offset + i] - tmp * zero_fraction * (
                (depth - i) / (depth + 1.0)
            )
        else:
            total += (weight[offset + i] / zero_fraction) / ((depth - i) / (depth + 1.0))
    return total


@compiled()
def _tree_shap(
    patterns, n_features, root, features, children, split_counts, leaf_counts, leaf_values
):  # pragma: no cover - compiled; tested against LightGBM
    """(patterns, n_features): the tree's TreeSHAP values of a row of each pattern.

    LightGBM's recursion (``TreeSHAP``) as a loop over a stack of the calls still to
    make, the hot child's above the cold one's, so that the nodes are visited, and the
    values added, in the same order.
    """
    phi = np.zeros((len(patterns), n_features))
    if root < 0:  # a single leaf: only the bias
        return phi
    most = len(split_counts) + 2  # path length at most: one element a split, and the root's
    size = most * (most + 1) // 2
    feat = np.empty(size, np.int64)
    zero = np.empty(size)
    one = np.empty(size)
    weight = np.empty(size)
    # the calls to make: node, depth, the parent's path offset, fractions, feature
    call_node = np.empty(2 * most, np.int64)
    call_depth = np.empty(2 * most, np.int64)
    call_parent = np.empty(2 * most, np.int64)
    call_zero = np.empty(2 * most)
    call_one = np.empty(2 * most)
    call_feature = np.empty(2 * most, np.int64)
    for row in range(len(patterns)):
        pattern = patterns[row]
        calls = 1
        call_node[0], call_depth[0], call_parent[0] = root, 0, 0
        call_zero[0], call_one[0], call_feature[0] = 1.0, 1.0, -1
        while calls:
            calls -= 1
            node, depth, parent = call_node[calls], call_depth[calls], call_parent[calls]
            offset = parent + depth
            for i in range(depth):
                feat[offset + i] = feat[parent + i]
                zero[offset + i] = zero[parent + i]
                one[offset + i] = one[parent + i]
                weight[offset + i] = weight[parent + i]
            _extend(
                feat, zero, one, weight, offset, depth,
                call_zero[calls], call_one[calls], call_feature[calls],
            )  # fmt: skip
            if node < 0:
                value = leaf_values[-1 - node]
                for i in range(1, depth + 1):
                    w = _unwound_sum(zero, one, weight, offset, depth, i)
                    phi[row, feat[offset + i]] += w * (one[offset + i] - zero[offset + i]) * value
                continue
            goes_right = (pattern >> node) & 1
            hot = children[node, goes_right]
            cold = children[node, 1 - goes_right]
            w = split_counts[node]
            hot_zero = (split_counts[hot] if hot >= 0 else leaf_counts[-1 - hot]) / w
            cold_zero = (split_counts[cold] if cold >= 0 else leaf_counts[-1 - cold]) / w
            incoming_zero = 1.0
            incoming_one = 1.0
            split_feature = features[node]
            index = 0
            while index <= depth:  # a split on this feature higher up is undone, then redone
                if feat[offset + index] == split_feature:
                    break
                index += 1
            if index != depth + 1:
                incoming_zero = zero[offset + index]
                incoming_one = one[offset + index]
                _unwind(feat, zero, one, weight, offset, depth, index)
                depth -= 1
            # cold first on the stack: the hot child's calls all come before it
            for child, zero_fraction, one_fraction in (
                (cold, cold_zero * incoming_zero, 0.0),
                (hot, hot_zero * incoming_zero, incoming_one),
            ):
                call_node[calls], call_depth[calls], call_parent[calls] = child, depth + 1, offset
                call_zero[calls], call_one[calls] = zero_fraction, one_fraction
                call_feature[calls] = split_feature
                calls += 1
    return phi


def contributions(booster: lgb.Booster, X: np.ndarray, *, num_threads: int) -> np.ndarray:
    """(rows, features + 1): ``booster.predict(X, pred_contrib=True)`` of a binary model,
    the bias last (``num_threads``: LightGBM's, for what it computes itself).

    A row's values do not depend on the other rows (each tree's are computed for its
    pattern, then added in tree order): a notice explained alone gets the same numbers
    as in a batch. Models ``bitmask_forest`` does not convert get one LightGBM call.
    """
    forest = bitmask_forest(booster)
    if forest is None or len(X) == 0:
        with LIGHTGBM_CALLS:
            return cast(np.ndarray, booster.predict(X, pred_contrib=True, num_threads=num_threads))
    n_features = forest.n_features
    out = np.zeros((len(X), n_features + 1))
    # The bias, each tree's expected value added in tree order: the same for every row.
    with LIGHTGBM_CALLS:
        first_row = booster.predict(X[:1], pred_contrib=True, num_threads=num_threads)
    out[:, n_features] = np.asarray(first_row)[0, n_features]
    patterns = forest.split_patterns(X)
    for t, tree in enumerate(forest.trees):
        unique, inverse = np.unique(patterns[t], return_inverse=True)
        features = np.array([forest.conditions[i].feature for i in tree.conditions], np.int64)
        phi = _tree_shap(
            unique, n_features, tree.root, features, tree.children,
            tree.split_counts, tree.leaf_counts, tree.leaf_values,
        )  # fmt: skip
        _add_tree(out, phi, inverse, np.unique(features))
    return out


@compiled()
def _add_tree(out, phi, inverse, used):  # pragma: no cover - compiled
    # ``out[:, used] += phi[inverse][:, used]`` without its copies (0.2 s of 5,000 rows):
    # a tree's TreeSHAP values are non-zero on the features it splits on only.
    for row in range(len(inverse)):
        for feature in used:
            out[row, feature] += phi[inverse[row], feature]
