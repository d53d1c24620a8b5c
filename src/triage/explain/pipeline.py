"""The registered scoring pipeline, taken apart into what an explanation reads.

A pipeline is registered as ``NoticeFeatures`` → ``CalibratedModel(candidate)``,
or as scikit-learn's ``CalibratedClassifierCV(FrozenEstimator(candidate))``;
tests and notebooks also pass a ``(NoticeFeatures, candidate)`` pair.
Explanations are of the candidate's own margin, so the calibrator is kept
aside (``Unwrapped.risk`` still gives what the pipeline returns).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline

from triage.features import NoticeFeatures
from triage.models import ChecklistBaseline, MonotoneLGBM, Scorecard, ShallowTree
from triage.models.calibrated import CalibratedModel

ERRORS = {
    "pipeline": (
        "explain needs the registered pipeline (features → calibrated candidate) or a "
        "(NoticeFeatures, candidate) pair; got {kind}."
    ),
    "candidate": "no exact explanation for candidate type {kind}; known: {known}.",
}


@dataclass(frozen=True)
class Unwrapped:
    """The parts of a scoring pipeline an explanation needs."""

    features: NoticeFeatures
    candidate: Any  # the fitted candidate (uncalibrated)
    calibrated: Any  # the candidate with its calibrator (predict_proba on features), or None
    kind: str  # "lightgbm" | "scorecard" | "tree" | "checklist"

    def risk(self, X: np.ndarray) -> np.ndarray:
        """Calibrated risk from a feature matrix: what the pipeline returns for the notices."""
        model = self.calibrated if self.calibrated is not None else self.candidate
        return model.predict_proba(X)[:, 1]


# The candidate types with an exact decomposition (triage.explain.margins).
_KINDS = (
    (MonotoneLGBM, "lightgbm"),
    (Scorecard, "scorecard"),
    (ShallowTree, "tree"),
    (ChecklistBaseline, "checklist"),
)


def unwrap(pipeline: Any) -> Unwrapped:
    """Features step, candidate and calibrated model from the registered pipeline."""
    if isinstance(pipeline, Pipeline) and len(pipeline.steps) == 2:
        features, model = pipeline.steps[0][1], pipeline.steps[1][1]
    elif isinstance(pipeline, tuple | list) and len(pipeline) == 2:
        features, model = pipeline
    else:
        raise TypeError(ERRORS["pipeline"].format(kind=type(pipeline).__name__))
    if not isinstance(features, NoticeFeatures):
        raise TypeError(ERRORS["pipeline"].format(kind=type(features).__name__))
    calibrated = None
    candidate = model
    if isinstance(model, CalibratedModel):
        calibrated = model
        candidate = model.estimator
    elif isinstance(model, CalibratedClassifierCV):
        calibrated = model
        candidate = model.calibrated_classifiers_[0].estimator
    while isinstance(candidate, FrozenEstimator):
        candidate = candidate.estimator
    for cls, kind in _KINDS:
        if isinstance(candidate, cls):
            return Unwrapped(features, candidate, calibrated, kind)
    known = [k for _, k in _KINDS]
    raise TypeError(ERRORS["candidate"].format(kind=type(candidate).__name__, known=known))
