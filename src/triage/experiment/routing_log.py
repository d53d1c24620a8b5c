"""What a DV-witness routing run logs into its MLflow run: figures, artefacts, the model.

Besides the routing figures, a run logs what an intake run's card and audit read
too: the reliability diagram and the capacity curve (recall and precision of
truly-CGC notices as the CGC's daily capacity varies, ``log_routing_curves``), and
its test predictions for ``triage audit --run`` (``log_route_predictions``), where
the decision audited is the route and under-routing is the false-negative rate.

The model is logged, not registered: the pipeline registers it with
``route_tags`` once the run has finished (``run_log.register_run_model``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np

from triage.audit.runs import AuditRoles, log_predictions, sensitive_frame
from triage.experiment.capacity_log import log_capacity_curve
from triage.experiment.routing import CGC, ROUTE_COLUMNS, RouteCut, route_tags, route_target
from triage.experiment.routing_assessment import RoutingAssessment
from triage.experiment.run_inputs import RunArtefacts, RunInputs
from triage.experiment.run_log import (
    config_text,
    finite,
    log_model_tables,
    selection_metrics,
)
from triage.experiment.training import TrainedCandidates
from triage.labels import DECISION_SUPPORT_NOTICE
from triage.tracking import LoggedModel, log_model

if TYPE_CHECKING:
    import pandas as pd

RoutingArtefacts = RunArtefacts[RouteCut]
ROUTE_LABELS = {outcome: f"{column}_is_{CGC}" for outcome, column in ROUTE_COLUMNS.items()}
"""Logged 0/1 label of each outcome (``true``, ``recorded``): 1 when that route is ``cgc``."""
ROUTE_DECISION = "route"
"""Logged column of the route given at capacity by the chosen candidate."""
ROUTE_AUDIT = AuditRoles(
    label=ROUTE_LABELS["recorded"],
    truth=ROUTE_LABELS["true"],
    decision=ROUTE_DECISION,
    flagged=(CGC,),
)
"""The audit of a DV run: sent to the CGC is "flagged", so a truly-CGC notice sent to the
municipality (under-routing, the harmful error) is a false negative."""


def log_routing(
    inputs: RunInputs,
    trained: TrainedCandidates,
    artefacts: RoutingArtefacts,
    assessment: RoutingAssessment,
) -> tuple[LoggedModel, str]:
    """Into the active run: every figure with its interval, a JSON artefact, the model.

    Returns the logged model and the description its version is to carry.
    """
    import mlflow

    cfg, split, chosen, cuts = inputs.cfg, inputs.split, trained.chosen, artefacts.cuts
    routing = cfg.dv_routing
    metrics = assessment.flat_metrics()
    metrics.update(selection_metrics(inputs, trained.selection))
    metrics.update({f"routing.{name}.cut": c.cut for name, c in cuts.items()})
    metrics["routing.cgc_per_day"] = routing.cgc_per_day
    metrics["routing.survey_municipality_share"] = routing.survey_municipality_share
    if assessment.k is not None:
        metrics["capacity.k"] = assessment.k
    mlflow.log_metrics(finite(metrics))
    mlflow.log_text(config_text(inputs, as_json=True), "config/experiment.yaml")
    mlflow.log_dict(
        {
            "metrics": assessment.metrics,
            "intervals": assessment.intervals.reset_index().to_dict(orient="records"),
            "bootstrap": {"n_boot": assessment.n_boot, "level": assessment.level},
            "n_test": assessment.n,
            "k": assessment.k,
            "survey_municipality_share": routing.survey_municipality_share,
            "selection": {
                "metric": cfg.selection.metric,
                "scores": trained.selection,
                "chosen": chosen,
            },
            "routing": {n: {"cut": c.cut, "basis": c.basis} for n, c in cuts.items()},
            "split": split.summary(),
        },
        "evaluation/routing_metrics.json",
    )
    mlflow.log_text(assessment.headline().to_csv(), "evaluation/routing_headline.csv")
    log_model_tables(mlflow, trained.candidates)
    if "dv_checklist" in trained.candidates:
        questions = [
            {"id": q.id, "question": q.text, "tier": q.tier}
            for q in trained.candidates["dv_checklist"].model.questions_
        ]
        mlflow.log_text(
            json.dumps(questions, ensure_ascii=False, indent=2),
            "models/dv_checklist_questions.json",
        )
    calibration = split.windows["calibration"]
    true = assessment.metrics["true"][chosen]
    description = (
        f"DV-witness routing: P(route is cgc) from the {chosen} candidate, calibrated "
        f"({cfg.calibration.method}) on {calibration[0].date()}.."
        f"{calibration[1].date()}; column 1 of predict_proba (named p_harm "
        "in the shared notice signature) is P(cgc). For dv_witness notices only. "
        f"{cuts[chosen].basis}: test share to municipality {true['share_municipality']:.3f}, "
        f"under-routing {true['under_routing']:.3f}, AUC {true['auc']:.3f}. "
        + DECISION_SUPPORT_NOTICE["en"]
    )
    return log_model(artefacts.model), description


def routing_target(cfg) -> str:
    """The run's ``target`` tag: what P(cgc) is a probability of."""
    return f"{cfg.target} ({ROUTE_COLUMNS[cfg.target]} == cgc)"


def routing_version_tags(artefacts: RoutingArtefacts, chosen: str) -> dict[str, str]:
    """What routing needs beside the model: the chosen candidate's cut."""
    return route_tags(artefacts.cuts[chosen])


def route_predictions_frame(
    notices: pd.DataFrame, truth: pd.DataFrame, *, risk: np.ndarray, routes: np.ndarray
) -> pd.DataFrame:
    """The audit's sensitive columns, both routes as 0/1 labels, P(cgc) and the route given."""
    import pandas as pd

    frame = sensitive_frame(notices)
    for outcome, column in ROUTE_LABELS.items():
        frame[column] = route_target(truth, outcome).astype(np.int8)
    frame["score"] = np.asarray(risk, dtype=np.float64)
    frame[ROUTE_DECISION] = pd.Series(np.asarray(routes).astype(str))
    return frame


def log_route_predictions(
    run_id: str,
    *,
    notices: pd.DataFrame,
    truth: pd.DataFrame,
    risk: np.ndarray,
    routes: np.ndarray,
    include_sensitive: bool,
) -> None:
    """The chosen candidate's test predictions, so ``triage audit --run RUN_ID`` audits its routes."""
    frame = route_predictions_frame(notices, truth, risk=risk, routes=routes)
    log_predictions(run_id, frame, roles=ROUTE_AUDIT, include_sensitive=include_sensitive)


def log_routing_curves(
    inputs: RunInputs, truth: pd.DataFrame, scores: dict[str, np.ndarray]
) -> None:
    """Into the active run: the reliability diagram (true route) and the capacity curve.

    ``scores``: P(cgc) of each candidate and the oracle's ``p_harm``. The curve ranks the
    test notices by each score and sends the top ``c`` a day to the CGC, for daily
    capacities ``c`` around the configured one.
    """
    import mlflow

    from triage.evaluation.reliability_diagram import reliability_data, reliability_diagram

    outcomes = {o: route_target(truth, o).astype(bool) for o in ("true", "recorded")}
    # The data too, so that a model card draws the diagram again in its own language.
    reliability = reliability_data(outcomes["true"], scores, bins=inputs.cfg.evaluation.ece_bins)
    mlflow.log_dict(reliability, "evaluation/reliability_true_outcome.json")
    mlflow.log_figure(reliability_diagram(reliability), "evaluation/reliability_true_outcome.png")
    per_day = inputs.cfg.dv_routing.cgc_per_day
    log_capacity_curve(
        outcomes, scores, per_day=per_day, days=inputs.split.days("test"), outcome="true"
    )
