"""Mitigation as experiments only: never applied in the scoring path.

Two fairlearn methods, each made deterministic (no randomised thresholds):

- ``ThresholdOptimizer`` (``prefit=True`` on the fitted model's score): its
  fitted policy mixes two thresholds per group at random. We keep, per group,
  the expected share it would flag (``_pmf_predict``) and replace the lottery
  by one deterministic threshold per group that flags that share of the
  group's fitting scores (``GroupThresholds``).
- ``ExponentiatedGradient``: its randomised classifier's probability of a
  positive (``_pmf_predict``) thresholded at 0.5.

``mitigation_experiment`` returns, for the baseline and each method, the test
flags, their audit and accuracy figures; ``log_mitigations`` writes each as a
separate MLflow run tagged ``applied_in_scoring=false``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from triage.contract.columns import RECORDED_HARM

from ._audit import AuditResult, audit_inputs
from .config import DEFAULTS, AuditConfig
from .groups import AuditInputs, count_metrics

if TYPE_CHECKING:
    from fairlearn.reductions import ExponentiatedGradient

CONSTRAINTS = (
    "false_negative_rate_parity",
    "false_positive_rate_parity",
    "equalized_odds",
    "demographic_parity",
)


class ScoreColumn(ClassifierMixin, BaseEstimator):
    """A 'model' whose probability is the first column of X: lets fairlearn post-process a score."""

    def fit(self, X, y=None):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        p = np.asarray(X, dtype=np.float64)[:, 0]
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


@dataclass(frozen=True)
class GroupThresholds:
    """Deterministic, group-specific thresholds: flag when ``score >= thresholds[group]``."""

    thresholds: dict[str, float]
    fallback: float

    def predict(self, scores, groups) -> np.ndarray:
        groups = np.asarray(groups, dtype=object)
        cut = np.array([self.thresholds.get(str(g), self.fallback) for g in groups])
        return (np.asarray(scores) >= cut).astype(np.int8)


def deterministic_threshold_optimizer(
    scores, y, groups, *, constraints: str = "false_negative_rate_parity",
    objective: str = "balanced_accuracy_score", fallback: float = 0.5,
) -> GroupThresholds:  # fmt: skip
    """Fit ``ThresholdOptimizer`` on a score and turn its policy into fixed group thresholds."""
    from fairlearn.postprocessing import ThresholdOptimizer

    scores = np.asarray(scores, dtype=np.float64)
    groups = np.asarray(groups, dtype=object).astype(str)
    X = scores[:, None]
    opt = ThresholdOptimizer(
        estimator=ScoreColumn().fit(X), constraints=constraints, objective=objective,
        prefit=True, predict_method="predict_proba",
    )  # fmt: skip
    opt.fit(X, np.asarray(y).astype(int), sensitive_features=groups)
    share = opt._pmf_predict(X, sensitive_features=groups)[:, 1]
    thresholds = {}
    for g in np.unique(groups):
        mask = groups == g
        s = np.sort(scores[mask])[::-1]
        k = int(round(share[mask].mean() * mask.sum()))
        thresholds[str(g)] = float(s[k - 1]) if k > 0 else float(np.nextafter(s[0], np.inf))
    return GroupThresholds(thresholds, fallback)


@dataclass(frozen=True)
class DeterministicEG:
    """ExponentiatedGradient's mixture, predicted deterministically: ``P(positive) >= 0.5``."""

    model: ExponentiatedGradient

    def predict(self, X) -> np.ndarray:
        return (np.asarray(self.model._pmf_predict(X))[:, 1] >= 0.5).astype(np.int8)


def fit_exponentiated_gradient(
    X, y, groups, *, constraints: str = "false_negative_rate_parity", threshold: float = 0.5,
    eps: float = 0.01, max_iter: int = 30, estimator=None,
) -> DeterministicEG:  # fmt: skip
    """``ExponentiatedGradient`` with costs that put its operating point at ``threshold``.

    Costs ``fp = threshold``, ``fn = 1 - threshold`` make the cost-minimising
    rule of a calibrated probability ``p >= threshold``, the baseline's own cut.
    """
    from fairlearn.reductions import (
        DemographicParity,
        EqualizedOdds,
        ErrorRate,
        ExponentiatedGradient,
        FalsePositiveRateParity,
        TruePositiveRateParity,
    )
    from sklearn.linear_model import LogisticRegression

    moments = {
        "false_negative_rate_parity": TruePositiveRateParity,
        "false_positive_rate_parity": FalsePositiveRateParity,
        "equalized_odds": EqualizedOdds,
        "demographic_parity": DemographicParity,
    }
    eg = ExponentiatedGradient(
        estimator if estimator is not None else LogisticRegression(max_iter=500),
        constraints=moments[constraints](),
        objective=ErrorRate(costs={"fp": threshold, "fn": 1.0 - threshold}),
        eps=eps, max_iter=max_iter,
    )  # fmt: skip
    eg.fit(
        X,
        np.asarray(y).astype(int),
        sensitive_features=np.asarray(groups, dtype=object).astype(str),
    )
    return DeterministicEG(eg)


@dataclass(frozen=True)
class MitigationRun:
    name: str
    flagged: np.ndarray
    audit: AuditResult
    accuracy: dict[str, float]
    details: dict


def accuracy_figures(y, flagged) -> dict[str, float]:
    c = np.bincount(2 * np.asarray(y, dtype=np.int64) + flagged, minlength=4).astype(float)
    m = count_metrics(c)
    tn, fp, fn, tp = c
    return {
        "accuracy": float((tn + tp) / c.sum()),
        "balanced_accuracy": float(0.5 * (tp / (tp + fn) + tn / (tn + fp))),
        "flag_rate": float(m["flag_rate"]),
        "fnr": float(m["fnr"]),
        "fpr": float(m["fpr"]),
        "precision": float(m["precision"]),
    }


def mitigation_experiment(
    *, test_inputs: AuditInputs, feature: str, X_fit, y_fit, scores_fit, groups_fit,
    X_test, scores_test, threshold: float, constraints: str = "false_negative_rate_parity",
    config: AuditConfig = DEFAULTS, eg_max_iter: int = 30, eg_estimator=None,
) -> dict[str, MitigationRun]:  # fmt: skip
    """Baseline, ThresholdOptimizer and ExponentiatedGradient on the same test notices.

    ``test_inputs`` holds the test labels and groups (its ``flagged`` is the
    baseline's); each method is fitted on the fitting period and audited on the
    test period. Accuracy cost = baseline figure minus the method's.
    """
    import dataclasses

    groups_test = np.asarray(test_inputs.groups[feature]).astype(str)
    base = (np.asarray(scores_test) >= threshold).astype(np.int8)
    to = deterministic_threshold_optimizer(
        scores_fit, y_fit, groups_fit, constraints=constraints, fallback=threshold
    )
    eg = fit_exponentiated_gradient(
        X_fit, y_fit, groups_fit, constraints=constraints, threshold=threshold,
        max_iter=eg_max_iter, estimator=eg_estimator,
    )  # fmt: skip
    flags: dict[str, tuple[np.ndarray, dict[str, Any]]] = {
        "baseline": (base, {"threshold": threshold}),
        "threshold_optimizer": (
            to.predict(scores_test, groups_test),
            {"thresholds": to.thresholds},
        ),
        "exponentiated_gradient": (eg.predict(X_test), {"best_gap": float(eg.model.best_gap_)}),
    }
    runs = {}
    base_acc = accuracy_figures(test_inputs.y, base)
    for name, (flagged, details) in flags.items():
        inputs = dataclasses.replace(
            test_inputs, flagged=flagged, rule=f"{name} ({constraints} on {feature})"
        )
        result = audit_inputs(inputs, config=config, name=name, verify=False)
        acc = accuracy_figures(test_inputs.y, flagged)
        acc.update(
            {
                f"cost.{k}": base_acc[k] - v
                for k, v in acc.items()
                if k in ("accuracy", "balanced_accuracy")
            }
        )
        runs[name] = MitigationRun(
            name, flagged, result, acc, {**details, "constraints": constraints, "feature": feature}
        )
    return runs


def log_mitigations(
    runs: dict[str, MitigationRun], *, experiment: str = "fairness-mitigation"
) -> dict[str, str]:
    """One MLflow run per method, with its audit and accuracy cost; returns name -> run id."""
    import json

    import mlflow

    from triage.tracking import ensure_experiment, environment_tags, use_tracking

    from .report import log_audit_artifacts

    uri = use_tracking()
    exp_id = ensure_experiment(experiment, uri)
    ids = {}
    for name, run in runs.items():
        with mlflow.start_run(experiment_id=exp_id, run_name=f"mitigation-{name}") as active:
            mlflow.set_tags(
                {**environment_tags(), "kind": "fairness-mitigation", "method": name,
                 "applied_in_scoring": "false", "deterministic": "true"}
            )  # fmt: skip
            mlflow.log_params({k: str(v)[:500] for k, v in run.details.items()})
            mlflow.log_metrics({k: v for k, v in run.accuracy.items() if np.isfinite(v)})
            mlflow.log_text(
                json.dumps(run.details, indent=2, default=str), "mitigation/details.json"
            )
            mlflow.log_text(pd.Series(run.accuracy).to_csv(), "mitigation/accuracy.csv")
            log_audit_artifacts(run.audit)
            ids[name] = active.info.run_id
    return ids


def synthetic_mitigation(
    *, n: int = 30_000, seed: int = 0, feature: str = "welfare_receipt",
    constraints: str = "false_negative_rate_parity", threshold: float = 0.15,
    label: str = RECORDED_HARM, config: AuditConfig = DEFAULTS,
    spec=None, eg_max_iter: int = 30,
) -> dict[str, MitigationRun]:  # fmt: skip
    """Mitigation on synthetic notices: a logistic baseline (no sensitive inputs) and both methods.

    Notices in time order: the first 60% train the baseline, the next 20% fit
    the mitigations, the last 20% are audited against ``label``.
    """
    from sklearn.linear_model import LogisticRegression

    from triage.features import NoticeFeatures
    from triage.synth import generate, load_spec

    from .groups import prepare

    data = generate(spec or load_spec(), n=n, seed=seed)
    frame = pd.concat([data.notices, data.truth.drop(columns="notice_id")], axis=1)
    a, b = int(0.6 * n), int(0.8 * n)
    train, fit, test = slice(0, a), slice(a, b), slice(b, n)
    features = NoticeFeatures(include_sensitive=False).fit(data.notices.iloc[train])
    X = np.ascontiguousarray(features.transform(data.notices))
    y = frame[label].to_numpy().astype(int)
    model = LogisticRegression(max_iter=1000).fit(X[train], y[train])
    scores = model.predict_proba(X)[:, 1]
    test_frame = frame.iloc[test].assign(score=scores[test])
    inputs = prepare(
        test_frame, label=label, sensitive=config.sensitive, score="score", threshold=threshold
    )
    inputs = dataclasses_replace(inputs, meta={"model_inputs": "sensitive features excluded"})
    groups_fit = np.asarray(
        prepare(
            frame.iloc[fit].assign(score=scores[fit]),
            label=label,
            sensitive=(feature,),
            score="score",
            threshold=threshold,
        ).groups[feature]
    ).astype(str)
    return mitigation_experiment(
        test_inputs=inputs, feature=feature, X_fit=X[fit], y_fit=y[fit], scores_fit=scores[fit],
        groups_fit=groups_fit, X_test=X[test], scores_test=scores[test], threshold=threshold,
        constraints=constraints, config=config, eg_max_iter=eg_max_iter,
        eg_estimator=LogisticRegression(max_iter=1000),
    )  # fmt: skip


def dataclasses_replace(obj, **changes):
    import dataclasses

    return dataclasses.replace(obj, **changes)
