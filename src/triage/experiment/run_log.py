"""The MLflow step: one run per experiment with its config, figures, artefacts and model.

Params are the flattened config; tags say what made the run (data
fingerprint, generator spec version and seed, git commit, package versions);
metrics are every evaluation figure with its interval; artefacts are the
config, a metrics JSON, tables and plots. The chosen model is registered with
the alias ``candidate``; promotion is a person's act (``triage promote``).
"""

from __future__ import annotations

import json
import math
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from triage.contract.columns import P_HARM, RECORDED_HARM, TRUE_HARM
from triage.labels import DECISION_SUPPORT_NOTICE
from triage.tracking import (
    ensure_experiment,
    environment_tags,
    log_and_register,
    ui_hint,
    use_tracking,
)


@dataclass(frozen=True)
class LoggedRun:
    tracking_uri: str
    experiment_id: str
    run_id: str
    chosen: str
    model_name: str
    model_version: str
    alias: str

    def summary(self) -> str:
        return "\n".join(
            [
                f"chosen candidate: {self.chosen} → registered as models:/{self.model_name}/{self.model_version} "
                f"(alias @{self.alias})",
                f"MLflow run {self.run_id} in experiment {self.experiment_id} at {self.tracking_uri}",
                f"look at it with: {ui_hint(self.tracking_uri)}",
                "promotion to @champion is a person's decision, never automatic: "
                f"triage promote {self.model_version} --reason '...'",
            ]
        )


@contextmanager
def experiment_run(cfg, *, data, split, chosen: str, target: str):
    """Open the experiment's MLflow run with the flat config as params and its provenance tags.

    Yields ``(run, tracking_uri, experiment_id)``; every pipeline's logging starts here.
    """
    import mlflow

    uri = use_tracking()
    experiment_id = ensure_experiment(cfg.mlflow.experiment, uri)
    with mlflow.start_run(experiment_id=experiment_id, run_name=cfg.name) as run:
        mlflow.log_params(cfg.flat())
        mlflow.set_tags(
            {
                **environment_tags(),
                **data.tags(),
                "pipeline": cfg.pipeline,
                "target": target,
                "chosen_candidate": chosen,
                "decision_support_only": "true",
                **split.summary(),
            }
        )
        _log_recording_bias(mlflow, cfg)
        yield run, uri, experiment_id


def tier_tags(thresholds) -> dict[str, str]:
    """What scoring needs beside the model: the cut points that turn its risk into tiers."""
    return {
        "tier.immediate": repr(float(thresholds.immediate)),
        "tier.urgent": repr(float(thresholds.urgent)),
        "tier.basis": thresholds.basis,
    }


def _finite(metrics: dict[str, float]) -> dict[str, float]:
    return {k: v for k, v in metrics.items() if v is not None and math.isfinite(v)}


def log_experiment(
    cfg,
    *,
    config_path: Path | None,
    data,
    split,
    candidates,
    chosen: str,
    selection: dict[str, float],
    thresholds,
    assessment,
    pipeline,
    example,
    truth_test,
    risks,
) -> LoggedRun:
    """Log the run and register its model. ``assessment`` may still be computing (a
    ``Future``, from ``assess_in_background``): it is waited for only after the figures,
    tables and model that do not need it are logged."""
    import mlflow
    from mlflow import MlflowClient

    from triage.evaluation import reliability_figure

    with experiment_run(cfg, data=data, split=split, chosen=chosen, target=cfg.target) as (
        run,
        uri,
        experiment_id,
    ):
        # What needs no evaluation figures goes first: the bootstrap may still be running.
        config_text = (
            Path(config_path).read_text("utf-8")
            if config_path
            else yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
        )
        mlflow.log_text(config_text, "config/experiment.yaml")
        y_true = truth_test[TRUE_HARM].to_numpy(bool)
        scores = {**risks, "oracle": truth_test[P_HARM].to_numpy(float)}
        fig = reliability_figure(y_true, scores, bins=cfg.evaluation.ece_bins)
        mlflow.log_figure(fig, "evaluation/reliability_true_outcome.png")
        _log_model_tables(mlflow, candidates)
        _log_capacity_curve(
            mlflow, cfg, truth_test=truth_test, scores=scores, days=split.days("test")
        )
        version, _ = log_and_register(
            pipeline,
            example_notices=example,
            registered_model=cfg.mlflow.registered_model,
            alias=cfg.mlflow.alias,
            version_tags=tier_tags(thresholds[chosen]),
        )

        if isinstance(assessment, Future):
            assessment = assessment.result()
        metrics = assessment.flat_metrics()
        metrics.update(
            {f"selection.{name}.{cfg.selection.metric}": v for name, v in selection.items()}
        )
        metrics.update(
            {
                f"tiers.{name}.{edge}": getattr(t, edge)
                for name, t in thresholds.items()
                for edge in ("immediate", "urgent")
            }
        )
        metrics["capacity.k"] = assessment.k
        mlflow.log_metrics(_finite(metrics))
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
                    "scores": selection,
                    "chosen": chosen,
                },
                "tiers": {
                    n: {"immediate": t.immediate, "urgent": t.urgent, "basis": t.basis}
                    for n, t in thresholds.items()
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
        description = (
            f"{chosen} candidate, calibrated ({cfg.calibration.method}) on "
            f"{split.windows['calibration'][0].date()}..{split.windows['calibration'][1].date()}; "
            f"test AUC {assessment.metrics['true'][chosen]['auc']:.3f} "
            f"({assessment.metrics['true'][chosen]['auc_ratio']:.3f} of the oracle). "
            + DECISION_SUPPORT_NOTICE["en"]
        )
        MlflowClient().update_model_version(
            cfg.mlflow.registered_model, version, description=description
        )
    return LoggedRun(
        tracking_uri=uri,
        experiment_id=experiment_id,
        run_id=run.info.run_id,
        chosen=chosen,
        model_name=cfg.mlflow.registered_model,
        model_version=version,
        alias=cfg.mlflow.alias,
    )


def _log_model_tables(mlflow, candidates) -> None:
    """What a worker can read of each interpretable candidate."""
    if "scorecard" in candidates:
        mlflow.log_text(
            candidates["scorecard"].model.points_table().to_csv(index=False),
            "models/scorecard_points.csv",
        )
    if "checklist" in candidates:
        questions = (
            [
                {"id": q.id, "question": q.text, "tier": q.tier}
                for q in candidates["checklist"].model.questions_
            ]
            if hasattr(candidates["checklist"].model, "questions_")
            else []
        )
        mlflow.log_text(
            json.dumps(questions, ensure_ascii=False, indent=2), "models/checklist_questions.json"
        )
    if "tree" in candidates and hasattr(candidates["tree"].model, "rules"):
        mlflow.log_text(candidates["tree"].model.rules(), "models/tree_rules.txt")


def _log_recording_bias(mlflow, cfg) -> None:
    """The generator spec's recorded-label biases, for the model card (synthetic data only)."""
    from triage.experiment.data import synthetic_spec

    spec = synthetic_spec(cfg.data)
    if spec is not None:
        mlflow.log_dict(
            {
                "spec_version": spec.spec_version,
                "spec_digest": spec.digest,
                "recording": spec.recording.model_dump(mode="json"),
            },
            "data/recording_bias.json",
        )


def _log_capacity_curve(mlflow, cfg, *, truth_test, scores, days: float) -> None:
    """Recall and precision at capacity over a range of daily capacities (JSON and a figure)."""
    import matplotlib.pyplot as plt

    from triage.evaluation.capacity_curve import (
        capacity_curve,
        capacity_curve_figure,
        capacity_grid,
    )

    per_day = cfg.tiers.capacity.per_day
    outcomes = {"true": truth_test[TRUE_HARM].to_numpy(bool)}
    outcomes["recorded"] = truth_test[RECORDED_HARM].to_numpy(bool)
    curve = capacity_curve(
        outcomes, scores, per_day=capacity_grid(per_day), days=days, configured=per_day
    )
    mlflow.log_dict(curve, "evaluation/capacity_curve.json")
    fig = capacity_curve_figure(curve, outcome="true")
    mlflow.log_figure(fig, "evaluation/capacity_curve.png")
    plt.close(fig)
