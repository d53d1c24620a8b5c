"""A shallow decision tree: a handful of readable if-then paths.

A thin wrapper around ``DecisionTreeClassifier`` so that it takes
``feature_names`` like the other candidates and prints its rules with them.
``min_samples_leaf`` is a fraction of the training rows (0.5 % by default), so
no leaf rests on a handful of notices at any data size.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np
from sklearn.tree import DecisionTreeClassifier, export_text
from sklearn.utils._param_validation import Interval

from triage.features import monotone_constraints
from triage.models._base import BinaryClassifier


class ShallowTree(BinaryClassifier):
    """Depth-limited CART tree.

    Parameters
    ----------
    max_depth : int, default 4
    min_samples_leaf : int or float, default 0.005
        As in scikit-learn: a count, or a fraction of the training rows.
    monotone : bool, default False
        Apply ``MONOTONE_INCREASING`` through ``monotonic_cst``.
    random_state : int, default 0
    feature_names : sequence of str or None, default None

    Attributes
    ----------
    estimator_ : the fitted ``DecisionTreeClassifier`` (trained on 0/1 targets).
    """

    _parameter_constraints: dict = {
        "max_depth": [Interval(Integral, 1, None, closed="left")],
        "min_samples_leaf": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0.0, 1.0, closed="neither"),
        ],
        "monotone": ["boolean"],
        "random_state": ["random_state"],
        "feature_names": ["array-like", None],
    }

    def __init__(
        self,
        max_depth: int = 4,
        min_samples_leaf: int | float = 0.005,
        monotone: bool = False,
        random_state: int = 0,
        feature_names: Sequence[str] | None = None,
    ):
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.monotone = monotone
        self.random_state = random_state
        self.feature_names = feature_names

    def _fit(self, X: np.ndarray, y01: np.ndarray) -> None:
        names = [str(n) for n in self.feature_names_]
        cst = monotone_constraints(names) if self.monotone else None
        self.estimator_ = DecisionTreeClassifier(
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            monotonic_cst=None if cst is None else cst.astype(int),
            random_state=self.random_state,
        )
        self.estimator_.fit(X, y01.astype(np.int64))

    def _proba1(self, X: np.ndarray) -> np.ndarray:
        return self.estimator_.predict_proba(X)[:, 1]

    def rules(self) -> str:
        """The tree as indented if-then text, with feature names."""
        return export_text(self.estimator_, feature_names=[str(n) for n in self.feature_names_])
