"""Each tree's TreeSHAP once per path pattern gives LightGBM's contributions, row by row."""

from __future__ import annotations

import numpy as np
import pytest

from test_bitmask_forest import _booster, _data, _hostile_rows
from triage.models import tree_shap
from triage.models.bitmask_forest import BitmaskForest
from triage.models.tree_shap import contributions


def _assert_lightgbms(booster, X) -> np.ndarray:
    got = contributions(booster, X, num_threads=1)
    want = booster.predict(X, pred_contrib=True, num_threads=1)
    assert got.shape == want.shape
    # Each tree's total is added to the running sum (LightGBM adds its terms one by one).
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(got[:, -1], want[:, -1])  # the bias: the same additions
    return got


@pytest.mark.parametrize(
    ("params", "nan_share"),
    [({}, 0.0), ({}, 0.2), ({"zero_as_missing": True}, 0.2), ({"min_gain_to_split": 1e9}, 0.0)],
    ids=["missing None", "missing NaN", "missing Zero", "single leaves"],
)
def test_contributions_are_lightgbms_for_every_missing_type(params, nan_share):
    X, y = _data(3000, seed=21, nan_share=nan_share)
    booster = _booster(X, y, num_leaves=15, rounds=40, **params)
    X_new, _ = _data(1500, seed=22, nan_share=0.3)
    rows = np.vstack([X_new, _hostile_rows(X.shape[1])])
    got = _assert_lightgbms(booster, rows)
    # and they add up to the margin
    np.testing.assert_allclose(got.sum(axis=1), booster.predict(rows, raw_score=True), atol=1e-9)


def test_a_notice_alone_gets_the_numbers_it_gets_in_a_batch():
    X, y = _data(3000, seed=23, nan_share=0.1)
    booster = _booster(X, y, num_leaves=7, rounds=25)
    batch = contributions(booster, X[:800], num_threads=1)
    for i in (0, 5, 799):
        np.testing.assert_array_equal(contributions(booster, X[[i]], num_threads=1)[0], batch[i])


def test_rows_sharing_a_pattern_share_the_leaf_and_others_do_not_in_each_tree():
    X, y = _data(2000, seed=24)
    X[:, 0] = np.round(X[:, 0], 1)  # few values: patterns repeat
    booster = _booster(X, y, num_leaves=15, rounds=20)
    forest = BitmaskForest.from_booster(booster)
    assert forest is not None
    patterns = forest.split_patterns(X)
    leaves = booster.predict(X, pred_leaf=True)
    for t in range(patterns.shape[0]):
        pairs = np.unique(np.column_stack([patterns[t], leaves[:, t]]), axis=0)
        # one leaf per pattern, and fewer patterns than rows
        assert len(pairs) == len(np.unique(patterns[t])) < len(X)


def test_a_model_the_masks_decline_gets_one_lightgbm_call():
    X, y = _data(1500, seed=25)
    booster = _booster(X, y, num_leaves=7, categorical=[3])
    assert BitmaskForest.from_booster(booster) is None
    np.testing.assert_array_equal(
        contributions(booster, X[:50], num_threads=1),
        booster.predict(X[:50], pred_contrib=True, num_threads=1),
    )


def test_each_trees_values_are_lightgbms_bit_for_bit():
    # 5 columns and 31 leaves: paths split on the same column again (TreeSHAP's unwinding).
    X, y = _data(4000, seed=26, nan_share=0.2)
    booster = _booster(X, y, num_leaves=31, rounds=12, min_data_in_leaf=5)
    forest = BitmaskForest.from_booster(booster)
    assert forest is not None
    X_new, _ = _data(600, seed=27, nan_share=0.3)
    rows = np.vstack([X_new, _hostile_rows(X.shape[1])])
    patterns = forest.split_patterns(rows)
    repeated = 0
    for t, tree in enumerate(forest.trees):
        features = np.array([forest.conditions[i].feature for i in tree.conditions], np.int64)
        repeated += len(features) - len(set(features))
        phi = tree_shap._tree_shap(
            patterns[t], forest.n_features, tree.root, features, tree.children,
            tree.split_counts, tree.leaf_counts, tree.leaf_values,
        )  # fmt: skip
        want = booster.predict(
            rows, start_iteration=t, num_iteration=1, pred_contrib=True, num_threads=1
        )
        np.testing.assert_array_equal(phi, want[:, :-1])
    assert repeated > 0
