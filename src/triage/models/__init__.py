"""Candidate urgency models, all binary scikit-learn classifiers on ``NoticeFeatures`` output.

Each takes the numeric matrix and ``feature_names`` (or a DataFrame with those
columns), has ``classes_`` and ``predict_proba`` (column 1 = risk of harm):

- ``checklist``: ``ChecklistBaseline``, current practice as a yes/no checklist;
- ``scorecard``: ``Scorecard``, integer points a worker can add up;
- ``lightgbm``: ``MonotoneLGBM``, boosted trees with known monotone directions;
- ``tree``: ``ShallowTree``, a depth-4 decision tree.

DV-witness routing (pipeline ``dv_witness_sorting``) adds, in ``ROUTING_CANDIDATES``:

- ``dv_checklist``: ``DVChecklistBaseline``, the 2022 guidance's factors as a checklist.

Layer: domain. May import ``triage.features``, ``triage.tiers``, labels, notices and
contract.
"""

from __future__ import annotations

from collections.abc import Callable

from sklearn.base import BaseEstimator

from triage.models.checklist import CHECKLIST, ChecklistBaseline, Question
from triage.models.dv_checklist import DV_CHECKLIST, DVChecklistBaseline
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

ROUTING_CANDIDATES: dict[str, Callable[..., BaseEstimator]] = {
    "dv_checklist": DVChecklistBaseline,
}
"""Candidates only DV-witness routing uses; ``make_candidate`` knows them too. (Kept apart from
``CANDIDATES``, which lists the intake pipeline's own candidates.)"""

UNKNOWN_CANDIDATE = "unknown candidate {name!r}; choose one of {names}."


def make_candidate(name: str, **params: object) -> BaseEstimator:
    """A new, unfitted candidate: ``make_candidate("scorecard", C=0.5, feature_names=names)``."""
    known = {**CANDIDATES, **ROUTING_CANDIDATES}
    try:
        factory = known[name]
    except KeyError:
        raise ValueError(UNKNOWN_CANDIDATE.format(name=name, names=sorted(known))) from None
    return factory(**params)


__all__ = [
    "CANDIDATES",
    "CHECKLIST",
    "DV_CHECKLIST",
    "ROUTING_CANDIDATES",
    "ChecklistBaseline",
    "DVChecklistBaseline",
    "MonotoneLGBM",
    "Question",
    "Scorecard",
    "ShallowTree",
    "make_candidate",
]
