"""What the candidate classifiers share: binary targets, feature names, input checks.

Every candidate is fit on the numeric matrix from ``triage.features.NoticeFeatures``.
Column names come from the ``feature_names`` parameter, else from a DataFrame's
columns (``feature_names_in_``), else ``x0, x1, ...``; they are stored as
``feature_names_``. The positive class is ``classes_[1]`` (1 = harm for the
project's 0/1 target). NaN is refused: the feature matrix never holds one, so a
NaN means the wiring is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

ERRORS = {
    "one_class": "{name} needs both classes in y to train; got only one class: {classes}.",
    "not_binary": "Only binary classification is supported. The type of the target is {kind}.",
    "names_length": "feature_names has {got} names but X has {n} columns.",
    "names_mismatch": "feature_names differs from the columns of the DataFrame passed to fit.",
}


class BinaryClassifier(ClassifierMixin, BaseEstimator):
    """Base for binary candidates: subclasses implement ``_fit(X, y01)`` and ``_proba1(X)``."""

    feature_names: Sequence[str] | None

    def fit(self, X, y):
        X, y01 = self._start_fit(X, y)
        self._fit(X, y01)
        return self

    def predict_proba(self, X) -> np.ndarray:
        p = np.clip(self._proba1(self._check_X(X)), 0.0, 1.0)
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        positive = self.predict_proba(X)[:, 1] > 0.5
        return self.classes_[positive.astype(int)]

    def _fit(self, X: np.ndarray, y01: np.ndarray) -> None:  # pragma: no cover
        raise NotImplementedError

    def _proba1(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _start_fit(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=False)
        check_classification_targets(y)
        kind = type_of_target(y, input_name="y", raise_unknown=True)
        if kind != "binary":
            raise ValueError(ERRORS["not_binary"].format(kind=kind))
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(
                ERRORS["one_class"].format(name=type(self).__name__, classes=self.classes_)
            )
        self.feature_names_ = self._resolve_names(X.shape[1])
        return X, (y == self.classes_[1]).astype(np.float64)

    def _resolve_names(self, n: int) -> np.ndarray:
        given = getattr(self, "feature_names_in_", None)
        if self.feature_names is None:
            names = given if given is not None else [f"x{i}" for i in range(n)]
            return np.asarray(names, dtype=object)
        names = np.asarray([str(s) for s in self.feature_names], dtype=object)
        if len(names) != n:
            raise ValueError(ERRORS["names_length"].format(got=len(names), n=n))
        if given is not None and not np.array_equal(names, np.asarray(given, dtype=object)):
            raise ValueError(ERRORS["names_mismatch"])
        return names

    def _check_X(self, X) -> np.ndarray:
        check_is_fitted(self, "classes_")
        return validate_data(self, X, reset=False, dtype=[np.float64, np.float32])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags
