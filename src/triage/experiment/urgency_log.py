"""What an intake-urgency run logs into its MLflow run (``run_log.experiment_run``), in two steps.

``log_urgency_model`` logs what needs no evaluation figures (the config, the
reliability and capacity figures with the data they are drawn from, which a model
card draws again in its language, the candidates' tables, the model, not yet
registered); ``log_urgency_assessment`` then logs the figures with their
intervals and returns the model version's description. The pipeline calls
them in that order inside one run and resolves its background bootstrap
between them, so the bootstrap runs while the model is logged and each step
is handed plain values. The model is registered, with ``tier_tags``, once the
run has finished (``run_log.register_run_model``).
"""

from __future__ import annotations

from triage.contract.columns import P_HARM
from triage.experiment.assessment import ORACLE, Assessment
from triage.experiment.background import in_background
from triage.experiment.capacity_log import draw_capacity_curve, log_capacity_drawing
from triage.experiment.run_inputs import RunArtefacts, RunInputs, TestPredictions
from triage.experiment.run_log import (
    config_text,
    finite,
    log_model_tables,
    selection_metrics,
)
from triage.experiment.training import TrainedCandidates
from triage.explain.figures import png
from triage.labels import DECISION_SUPPORT_NOTICE
from triage.tiers import TierThresholds
from triage.tracking import LoggedModel, log_model, log_png

UrgencyArtefacts = RunArtefacts[TierThresholds]


def tier_tags(thresholds: TierThresholds) -> dict[str, str]:
    """What scoring needs beside the model: the cut points that turn its risk into tiers."""
    return {
        "tier.immediate": repr(float(thresholds.immediate)),
        "tier.urgent": repr(float(thresholds.urgent)),
        "tier.basis": thresholds.basis,
    }


def log_urgency_model(
    inputs: RunInputs,
    trained: TrainedCandidates,
    artefacts: UrgencyArtefacts,
    test: TestPredictions,
) -> LoggedModel:
    """Everything that needs no evaluation figures, the model last (logged, not registered)."""
    import mlflow

    from triage.evaluation.reliability_diagram import reliability_data, reliability_diagram

    cfg, reference = inputs.cfg, test.reference
    mlflow.log_text(config_text(inputs), "config/experiment.yaml")
    headline = reference.headline
    y = test.truth[reference.outcomes[headline]].to_numpy(bool)
    scores = dict(test.risks)
    if reference.oracle:
        scores[ORACLE] = test.truth[P_HARM].to_numpy(float)
    # The data too, so that a model card draws the diagram again in its own language.
    reliability = reliability_data(y, scores, bins=cfg.evaluation.ece_bins)
    mlflow.log_dict(reliability, f"evaluation/reliability_{headline}_outcome.json")
    # The two figures are drawn in threads of their own while the tables and the model are
    # logged: matplotlib takes 0.3-0.4 s a figure on the thread that logs the run.
    reliability_png = in_background("figure", lambda: png(reliability_diagram(reliability)))
    outcomes = {name: test.truth[col].to_numpy(bool) for name, col in reference.outcomes.items()}
    capacity = in_background(
        "figure", draw_capacity_curve, outcomes, scores,
        per_day=cfg.tiers.capacity.per_day, days=inputs.split.days("test"), outcome=headline,
    )  # fmt: skip
    log_model_tables(mlflow, trained.candidates)
    logged = log_model(artefacts.model)
    log_png(reliability_png.result(), f"evaluation/reliability_{headline}_outcome.png")
    log_capacity_drawing(*capacity.result())
    return logged


def log_urgency_assessment(
    inputs: RunInputs,
    trained: TrainedCandidates,
    artefacts: UrgencyArtefacts,
    assessment: Assessment,
) -> str:
    """Every figure with its interval and the tables behind them; the model version's description."""
    import mlflow

    cfg, split, chosen = inputs.cfg, inputs.split, trained.chosen
    metrics = assessment.flat_metrics()
    metrics.update(selection_metrics(inputs, trained.selection))
    metrics.update(
        {
            f"tiers.{name}.{edge}": getattr(t, edge)
            for name, t in artefacts.cuts.items()
            for edge in ("immediate", "urgent")
        }
    )
    metrics["capacity.k"] = assessment.k
    mlflow.log_metrics(finite(metrics))
    mlflow.log_dict(
        {
            "metrics": assessment.metrics,
            "intervals": {
                outcome: table.reset_index().to_dict(orient="records")
                for outcome, table in assessment.intervals.items()
            },
            "k": assessment.k,
            "selection": {
                "metric": cfg.selection.metric,
                "scores": trained.selection,
                "chosen": chosen,
            },
            "tiers": {
                n: {"immediate": t.immediate, "urgent": t.urgent, "basis": t.basis}
                for n, t in artefacts.cuts.items()
            },
            "split": split.summary(),
        },
        "evaluation/metrics.json",
    )
    for outcome in assessment.intervals:
        head = assessment.headline(outcome)
        mlflow.log_text(head.to_csv(), f"evaluation/headline_{outcome}.csv")
    for name, table in assessment.confusion.items():
        mlflow.log_text(table.to_csv(), f"evaluation/tier_confusion_{name}.csv")
    calibration = split.windows["calibration"]
    headline = assessment.metrics[assessment.headline_outcome][chosen]
    if assessment.reference.oracle:
        judged = f"test AUC {headline['auc']:.3f} ({headline['auc_ratio']:.3f} of the oracle). "
    else:
        judged = (
            f"test AUC {headline['auc']:.3f} against recorded outcomes "
            "(no ground truth: evaluated against recorded outcomes only). "
        )
    return (
        f"{chosen} candidate, calibrated ({cfg.calibration.method}) on "
        f"{calibration[0].date()}..{calibration[1].date()}; "
        + judged
        + DECISION_SUPPORT_NOTICE["en"]
    )
