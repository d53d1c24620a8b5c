"""The trees as bit masks give LightGBM's own predictions, bit for bit, or decline the model."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

import triage.models.bitmask_forest as bitmask
import triage.models.gbm as gbm
from triage.models import MonotoneLGBM
from triage.models.bitmask_forest import BitmaskForest


def _data(n: int, seed: int, *, nan_share: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Columns of several kinds: continuous around 0 (negative thresholds), binary,
    small counts, and one with exact zeros; NaN in a share of the first two."""
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [
            rng.normal(size=n),
            rng.normal(size=n) * 100,
            rng.integers(0, 2, n),
            rng.integers(0, 5, n),
            np.where(rng.random(n) < 0.3, 0.0, rng.exponential(size=n)),
        ]
    )
    if nan_share:
        X[rng.random(n) < nan_share, 0] = np.nan
        X[rng.random(n) < nan_share, 1] = np.nan
    z = X[:, 0] - 0.01 * X[:, 1] + X[:, 2] - 0.4 * X[:, 3] + np.nan_to_num(X[:, 4])
    y = (rng.random(n) < 1 / (1 + np.exp(-np.nan_to_num(z)))).astype(int)
    return X, y


def _booster(X, y, *, rounds: int = 30, categorical=(), **params) -> lgb.Booster:
    base = {"objective": "binary", "verbose": -1, "num_threads": 1, "seed": 1}
    data = lgb.Dataset(X, y, categorical_feature=list(categorical) or "auto")
    return lgb.train({**base, **params}, data, rounds)


def _hostile_rows(n_features: int) -> np.ndarray:
    """Values where LightGBM's reading of an input has rules of its own."""
    specials = [np.nan, 0.0, -0.0, 1e-36, -1e-36, 1e-35, np.inf, -np.inf, 1e300, -1e300]
    return np.array([[v] * n_features for v in specials])


def _assert_same(booster: lgb.Booster, X: np.ndarray) -> None:
    forest = BitmaskForest.from_booster(booster)
    assert forest is not None
    with np.errstate(over="ignore"):  # 1e300 is inf in float32, as it should be
        X32 = X.astype(np.float32)
    for matrix in (X, np.asfortranarray(X), X32):
        np.testing.assert_array_equal(
            forest.raw_score(matrix), booster.predict(matrix, raw_score=True)
        )
        np.testing.assert_array_equal(forest.probability(matrix), booster.predict(matrix))


@pytest.mark.parametrize("num_leaves", [2, 7, 16, 17, 32])
def test_numbers_are_lightgbms_for_trees_of_every_width(num_leaves):
    X, y = _data(3000, seed=num_leaves)
    booster = _booster(X, y, num_leaves=num_leaves, min_data_in_leaf=5)
    forest = BitmaskForest.from_booster(booster)
    assert forest is not None
    assert forest.mask_dtype == (np.uint16 if num_leaves <= 16 else np.uint32)
    X_new, _ = _data(2000, seed=100 + num_leaves)
    _assert_same(booster, np.vstack([X_new, _hostile_rows(X.shape[1])]))


@pytest.mark.parametrize(
    ("params", "nan_share", "missing_type"),
    [
        ({}, 0.0, "None"),  # no NaN in training: LightGBM reads NaN as 0
        ({}, 0.2, "NaN"),  # NaN learnt: each split sends it to its default side
        ({"zero_as_missing": True}, 0.2, "Zero"),  # 0 and NaN take the default side
    ],
)
def test_missing_values_follow_lightgbms_rule_for_each_missing_type(
    params, nan_share, missing_type
):
    X, y = _data(4000, seed=3, nan_share=nan_share)
    booster = _booster(X, y, num_leaves=15, **params)
    types = {
        node["missing_type"]
        for tree in booster.dump_model()["tree_info"]
        for node in _internal_nodes(tree["tree_structure"])
    }
    assert missing_type in types
    X_new, _ = _data(3000, seed=4, nan_share=0.3)  # NaN at prediction in every case
    _assert_same(booster, np.vstack([X_new, _hostile_rows(X.shape[1])]))


def test_float32_values_next_to_each_threshold_go_where_lightgbm_sends_them():
    # LightGBM compares double(x) with a double threshold: a float32 x rounded up from
    # just below the threshold lies above it and goes right.
    X, y = _data(3000, seed=11)
    booster = _booster(X, y, num_leaves=15)
    rows = []
    for tree in booster.dump_model()["tree_info"]:
        for node in _internal_nodes(tree["tree_structure"]):
            t = np.float32(node["threshold"])
            for x in (np.nextafter(t, np.float32(-np.inf)), t, np.nextafter(t, np.float32(np.inf))):
                row = np.median(X, axis=0).astype(np.float32)
                row[node["split_feature"]] = x
                rows.append(row)
    X32 = np.array(rows, dtype=np.float32)
    forest = BitmaskForest.from_booster(booster)
    assert forest is not None
    np.testing.assert_array_equal(forest.raw_score(X32), booster.predict(X32, raw_score=True))


def test_integer_input_is_read_as_lightgbm_reads_it():
    # LightGBM reads a matrix of any other dtype as float32: 2**24 + 1 becomes 2**24.
    X, y = _data(2000, seed=12)
    X[:, 1] = np.round(X[:, 1] * 1e6)  # counts around +-1e8, past float32's whole numbers
    booster = _booster(X, y, num_leaves=15)
    forest = BitmaskForest.from_booster(booster)
    assert forest is not None
    rows = []
    for tree in booster.dump_model()["tree_info"]:
        for node in _internal_nodes(tree["tree_structure"]):
            if node["split_feature"] == 1:  # whole numbers around the threshold
                for step in range(-8, 9):
                    row = np.median(X, axis=0)
                    row[1] = np.floor(node["threshold"]) + step
                    rows.append(row)
    assert rows
    X_int = np.array(rows).astype(np.int64)
    np.testing.assert_array_equal(forest.probability(X_int), booster.predict(X_int))


def test_blocks_of_rows_and_a_sigmoid_other_than_one(monkeypatch):
    monkeypatch.setattr(bitmask, "BLOCK_ROWS", 7)  # blocks that split the rows unevenly
    X, y = _data(1500, seed=5, nan_share=0.1)
    _assert_same(_booster(X, y, num_leaves=9, sigmoid=0.7), X[:100])


def test_a_model_of_single_leaf_trees_gives_its_constant():
    X, y = _data(200, seed=6)
    booster = _booster(X, y, min_data_in_leaf=1000, rounds=3)  # no split can be made
    assert all(t["num_leaves"] == 1 for t in booster.dump_model()["tree_info"])
    _assert_same(booster, X)


def test_best_iteration_is_the_last_tree_used_as_in_lightgbms_predict():
    X, y = _data(2000, seed=7)
    booster = _booster(X, y, num_leaves=7)
    booster.best_iteration = 12
    forest = BitmaskForest.from_booster(booster)
    assert forest is not None and len(forest.trees) == 12
    np.testing.assert_array_equal(forest.probability(X), booster.predict(X))


@pytest.mark.parametrize(
    ("what", "params", "X_kind"),
    [
        ("categorical splits", {"categorical": [3]}, "data"),
        ("linear trees", {"linear_tree": True}, "data"),
        ("more than 32 leaves", {"num_leaves": 40, "min_data_in_leaf": 2}, "data"),
        ("a regression objective", {"objective": "regression"}, "data"),
        ("several classes", {"objective": "multiclass", "num_class": 3}, "classes"),
    ],
)
def test_models_outside_the_masks_rules_are_declined(what, params, X_kind):
    X, y = _data(3000, seed=8)
    if X_kind == "classes":
        y = np.random.default_rng(8).integers(0, 3, len(y))
    booster = _booster(X, y, **params)
    assert BitmaskForest.from_booster(booster) is None, what


def test_a_wrong_number_of_columns_is_refused_by_name():
    X, y = _data(500, seed=9)
    forest = BitmaskForest.from_booster(_booster(X, y, num_leaves=4))
    assert forest is not None
    with pytest.raises(ValueError, match="X must have 5 columns, got shape \\(3, 4\\)"):
        forest.raw_score(np.zeros((3, 4)))


@pytest.mark.parametrize("rows", [50, 5000])
def test_monotone_lgbm_gives_the_boosters_numbers_on_either_path(rows, monkeypatch):
    monkeypatch.setattr(gbm, "FOREST_ROWS", 1000)
    X, y = _data(5000, seed=10)
    names = ["a", "b", "c", "d", "e"]
    model = MonotoneLGBM(n_estimators=40, num_leaves=15, feature_names=names).fit(X, y)
    X_new = X[:rows].astype(np.float32)
    np.testing.assert_array_equal(
        model.predict_proba(X_new)[:, 1], model.booster_.predict(X_new)
    )
    assert gbm.bitmask_forest(model.booster_) is gbm.bitmask_forest(model.booster_)


def _internal_nodes(node: dict):
    if "split_index" in node:
        yield node
        yield from _internal_nodes(node["left_child"])
        yield from _internal_nodes(node["right_child"])
