"""Candidates: fit on the training window, calibrate on the next, choose one, package it.

The packaged model is a scikit-learn pipeline ``NoticeFeatures → calibrated
candidate``: it takes notices and returns calibrated probabilities, so what is
registered in MLflow is exactly what was evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.pipeline import Pipeline

from triage.contract.threads import hold, thread_budget
from triage.experiment.background import in_background
from triage.experiment.config import ExperimentConfig
from triage.features import NoticeFeatures
from triage.models import make_candidate
from triage.models.calibrated import CalibratedModel

SEEDED_PARAMS = {"lightgbm": "random_state"}
"""Candidates whose randomness takes the experiment's seed, and under which parameter."""


@dataclass(frozen=True)
class Candidate:
    name: str
    model: BaseEstimator  # fitted on the training window
    calibrated: CalibratedModel  # the model, as fitted, calibrated on the calibration window
    raw_cal: np.ndarray  # the model's own scores on the calibration window
    risk_cal: np.ndarray  # calibrated risks there (predictions are computed once)
    raw_test: np.ndarray | None = None  # its own scores on the test window, when given


@dataclass(frozen=True)
class TrainedCandidates:
    """The candidates step's result: every candidate fitted and calibrated, and the chosen one."""

    candidates: dict[str, Candidate]
    chosen: str
    selection: dict[str, float]  # candidate → its score on the calibration window (higher wins)

    @property
    def best(self) -> Candidate:
        return self.candidates[self.chosen]

    def risk_cal(self) -> dict[str, np.ndarray]:
        """Calibrated risks on the calibration window, per candidate: what cut points are set on."""
        return {name: cand.risk_cal for name, cand in self.candidates.items()}

    def predict(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Calibrated risks of every candidate on ``X``."""
        return {name: c.calibrated.predict_proba(X)[:, 1] for name, c in self.candidates.items()}

    def test_risks(self) -> dict[str, np.ndarray]:
        """Calibrated risks of every candidate on the test window scored while training
        (``X_test`` of ``train_candidates``): what ``predict(X_test)`` gives."""
        missing = [name for name, c in self.candidates.items() if c.raw_test is None]
        if missing:
            raise ValueError(f"no test window was scored while training: {missing}")
        return {name: c.calibrated.calibrate(c.raw_test) for name, c in self.candidates.items()}


def candidate_params(cfg: ExperimentConfig, name: str, feature_names: list[str]) -> dict:
    params = dict(cfg.enabled_candidates()[name].params)
    params["feature_names"] = feature_names
    if name in SEEDED_PARAMS:
        params.setdefault(SEEDED_PARAMS[name], cfg.seed)
    return params


def check_candidate_params(cfg: ExperimentConfig) -> None:
    """Unknown or invalid candidate parameters fail before any data is made."""
    problems = []
    for name in cfg.enabled_candidates():
        try:
            est = make_candidate(name, **candidate_params(cfg, name, []))
        except TypeError as exc:
            problems.append(f"  candidates.{name}.params: {exc}")
            continue
        try:
            est._validate_params()
        except (ValueError, TypeError) as exc:
            problems.append(f"  candidates.{name}.params: {exc}")
    if problems:
        from triage.experiment.config import ConfigError

        raise ConfigError("candidate parameters are invalid:\n" + "\n".join(problems))


def fit_candidates(
    cfg: ExperimentConfig,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_cal: np.ndarray,
    y_cal: np.ndarray,
    feature_names: list[str],
    X_test: np.ndarray | None = None,
) -> dict[str, Candidate]:
    """Fit and calibrate every enabled candidate, and score ``X_test`` with each when given;
    the result in the config's order.

    The threaded candidates (LightGBM) are fitted first, one after another, with
    every core: fitting one beside another fit was measured slower on 2 cores
    (LightGBM's threads stall whenever another fit holds a core). The
    single-threaded fits (scorecard, checklist, tree) then run in a background
    thread while the threaded candidates score the calibration and test windows on
    the cores left (``thread_budget`` is one lower until the background fits end;
    LightGBM predicts by blocks of rows, each with the threads free at its start):
    the scorecard's fit on one core used to leave the other idle. Every result is
    what a fit alone gives.
    """
    names = list(cfg.enabled_candidates())
    threaded = [name for name in names if _is_threaded(cfg, name, feature_names)]
    single = [name for name in names if name not in threaded]
    models = {name: _fit(cfg, name, X_train, y_train, feature_names) for name in threaded}
    fitted: dict[str, Candidate] = {}
    if single and threaded and thread_budget() > 1:
        release = hold(1)  # until the background fits end
        rest = in_background(
            "fit", _fit_all, cfg, single, X_train, y_train, X_cal, y_cal, feature_names, X_test
        )
        rest.add_done_callback(lambda _: release())
        fitted.update(
            {name: _calibrate(cfg, name, m, X_cal, y_cal, X_test) for name, m in models.items()}
        )
        try:
            fitted.update(rest.result())
        finally:
            release()  # now, not when the callback gets its turn
    else:
        fitted.update(
            {name: _calibrate(cfg, name, m, X_cal, y_cal, X_test) for name, m in models.items()}
        )
        fitted.update(_fit_all(cfg, single, X_train, y_train, X_cal, y_cal, feature_names, X_test))
    return {name: fitted[name] for name in names}


def _is_threaded(cfg: ExperimentConfig, name: str, feature_names: list[str]) -> bool:
    """Whether the candidate's fit uses several threads (it has a thread-count parameter)."""
    params = make_candidate(name, **candidate_params(cfg, name, feature_names)).get_params()
    return int(params.get("num_threads", 1)) > 1


def _fit(
    cfg: ExperimentConfig, name: str, X: np.ndarray, y: np.ndarray, feature_names: list[str]
) -> BaseEstimator:
    return make_candidate(name, **candidate_params(cfg, name, feature_names)).fit(X, y)


def _calibrate(
    cfg: ExperimentConfig,
    name: str,
    model: BaseEstimator,
    X_cal: np.ndarray,
    y_cal: np.ndarray,
    X_test: np.ndarray | None,
) -> Candidate:
    """``model`` with its calibration on the calibration window (scored once, kept), and its
    scores on ``X_test`` when given."""
    raw_cal = model.predict_proba(X_cal)[:, 1]
    calibrated = CalibratedModel(model, method=cfg.calibration.method)
    calibrated.fit_scores(raw_cal, y_cal)
    return Candidate(
        name=name,
        model=model,
        calibrated=calibrated,
        raw_cal=raw_cal,
        risk_cal=calibrated.calibrate(raw_cal),
        raw_test=None if X_test is None else model.predict_proba(X_test)[:, 1],
    )


def _fit_all(
    cfg: ExperimentConfig,
    names: list[str],
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_cal: np.ndarray,
    y_cal: np.ndarray,
    feature_names: list[str],
    X_test: np.ndarray | None,
) -> dict[str, Candidate]:
    """``names`` fitted and calibrated one after another."""
    return {
        name: _calibrate(
            cfg, name, _fit(cfg, name, X_train, y_train, feature_names), X_cal, y_cal, X_test
        )
        for name in names
    }


def train_candidates(
    cfg: ExperimentConfig,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_cal: np.ndarray,
    y_cal: np.ndarray,
    feature_names: list[str],
    X_test: np.ndarray | None = None,
) -> TrainedCandidates:
    """``fit_candidates``, then ``select`` by the config's metric among the config's choices."""
    candidates = fit_candidates(cfg, X_train, y_train, X_cal, y_cal, feature_names, X_test)
    chosen, selection = select(
        candidates, y_cal, metric=cfg.selection.metric, among=cfg.selection.among
    )
    return TrainedCandidates(candidates=candidates, chosen=chosen, selection=selection)


def select(
    candidates: dict[str, Candidate],
    y_cal: np.ndarray,
    *,
    metric: str,
    among: list[str] | None = None,
) -> tuple[str, dict[str, float]]:
    """The best candidate on the calibration window (the test period is never used to choose).

    AUC is judged on the uncalibrated scores (calibration only relabels them);
    Brier and log loss on the calibrated probabilities.
    """
    scores = {}
    for name, cand in candidates.items():
        if among and name not in among:
            continue
        if metric == "auc":
            scores[name] = roc_auc_score(y_cal, cand.raw_cal)
        else:
            p = cand.risk_cal
            scores[name] = -(
                brier_score_loss(y_cal, p) if metric == "brier" else log_loss(y_cal, p)
            )
    best = max(scores, key=lambda n: (scores[n], n))
    return best, scores


def scoring_pipeline(features: NoticeFeatures, candidate: Candidate) -> Pipeline:
    """Notices in, calibrated probabilities out: the object that gets registered."""
    return Pipeline([("features", features), ("model", candidate.calibrated)])
