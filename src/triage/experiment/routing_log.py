"""What a DV-witness routing run logs into its MLflow run: figures, artefacts, the model.

The model is logged, not registered: the pipeline registers it with
``route_tags`` once the run has finished (``run_log.register_run_model``).
"""

from __future__ import annotations

import json

from triage.experiment.routing import ROUTE_COLUMNS, RouteCut, route_tags
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

RoutingArtefacts = RunArtefacts[RouteCut]


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
    mlflow.log_metrics(finite(metrics))
    mlflow.log_text(config_text(inputs, as_json=True), "config/experiment.yaml")
    mlflow.log_dict(
        {
            "metrics": assessment.metrics,
            "intervals": assessment.intervals.reset_index().to_dict(orient="records"),
            "bootstrap": {"n_boot": assessment.n_boot, "level": assessment.level},
            "n_test": assessment.n,
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
