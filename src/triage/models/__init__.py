"""Candidate urgency models, all binary scikit-learn classifiers on ``NoticeFeatures`` output.

Each takes the numeric matrix and ``feature_names`` (or a DataFrame with those
columns), has ``classes_`` and ``predict_proba`` (column 1 = risk of harm):

- ``checklist``: ``ChecklistBaseline``, current practice as a yes/no checklist;
- ``scorecard``: ``Scorecard``, integer points a worker can add up;
- ``lightgbm``: ``MonotoneLGBM``, boosted trees with known monotone directions;
- ``tree``: ``ShallowTree``, a depth-4 decision tree.
"""

from __future__ import annotations

from collections.abc import Callable

from sklearn.base import BaseEstimator

from triage.models.checklist import CHECKLIST, ChecklistBaseline, Question
from triage.models.gbm import MonotoneLGBM
from triage.models.scorecard import Scorecard
from triage.models.tree import ShallowTree

CANDIDATES: dict[str, Callable[..., BaseEstimator]] = {
    "checklist": ChecklistBaseline,
    "scorecard": Scorecard,
    "lightgbm": MonotoneLGBM,
    "tree": ShallowTree,
}
"""Candidate name → estimator class (called with keyword parameters)."""

UNKNOWN_CANDIDATE = "unknown candidate {name!r}; choose one of {names}."


def make_candidate(name: str, **params: object) -> BaseEstimator:
    """A new, unfitted candidate: ``make_candidate("scorecard", C=0.5, feature_names=names)``."""
    try:
        factory = CANDIDATES[name]
    except KeyError:
        raise ValueError(UNKNOWN_CANDIDATE.format(name=name, names=sorted(CANDIDATES))) from None
    return factory(**params)


__all__ = [
    "CANDIDATES",
    "CHECKLIST",
    "ChecklistBaseline",
    "MonotoneLGBM",
    "Question",
    "Scorecard",
    "ShallowTree",
    "make_candidate",
]
