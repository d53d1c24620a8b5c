"""The MLflow run of an experiment: opened with its config and provenance, closed with its status.

Params are the flattened config; tags say what made the run (data
fingerprint, generator spec version and seed or the release the notices were
synthesized from, whether the data had ground truth, git commit, package
versions) and which process runs it (host, pid, a heartbeat: see
``triage.tracking.run_owner``). A release's manifest is logged as
``release/manifest.json``. Each pipeline logs its own figures and artefacts
into the run this module opens (``urgency_log``, ``routing_log``).

The run ends ``FINISHED`` only when everything in it is logged, ``KILLED``
when SIGTERM or SIGINT stops it, ``FAILED`` on an error; RUNNING runs whose
process is gone are marked ``FAILED`` before it opens. Its model is
registered after it finished (``register_run_model``), with the alias
``candidate``; promotion is a person's act (``triage promote``).

A caller may open the run itself and have the pipeline log into it
(``into_run``): a sweep's cell does, so that its child run exists, tagged, even
when the cell fails before the pipeline would have opened one, and so that a
cell's model is not registered (it must not move the real model's alias).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from triage.experiment.run_inputs import RunInputs
from triage.experiment.training import Candidate
from triage.tracking import (
    LoggedModel,
    ensure_experiment,
    environment_tags,
    mark_stale_runs,
    register_version,
    use_tracking,
)
from triage.tracking.fault_points import hold_for_fault_test
from triage.tracking.interrupts import signals_interrupt
from triage.tracking.run_owner import HEARTBEAT_TAG, Heartbeat, now_utc, owner_tags, stamp


@dataclass(frozen=True)
class LoggedRun:
    tracking_uri: str
    experiment_id: str
    run_id: str
    chosen: str
    model_name: str
    model_version: str  # "" when the model was not registered (a sweep's cell: ``into_run``)
    alias: str


@dataclass(frozen=True)
class GivenRun:
    """A run the caller opened for ``experiment_run`` to log into, and whether to register."""

    run_id: str
    register: bool


_given_run: ContextVar[GivenRun | None] = ContextVar("triage_given_run", default=None)


@contextmanager
def into_run(run_id: str, *, register: bool = True) -> Iterator[None]:
    """Within the block, ``experiment_run`` logs into the existing run ``run_id``.

    With ``register=False`` the run's model is logged but no version is made and
    no alias moves (``register_run_model`` returns a ``LoggedRun`` without version).
    """
    token = _given_run.set(GivenRun(run_id=run_id, register=register))
    try:
        yield
    finally:
        _given_run.reset(token)


@dataclass(frozen=True)
class OpenRun:
    """The MLflow run being logged, and the name and alias its model is registered under."""

    tracking_uri: str
    experiment_id: str
    run_id: str
    chosen: str
    model_name: str
    alias: str

    def logged(self, model_version: str) -> LoggedRun:
        return LoggedRun(
            tracking_uri=self.tracking_uri,
            experiment_id=self.experiment_id,
            run_id=self.run_id,
            chosen=self.chosen,
            model_name=self.model_name,
            model_version=model_version,
            alias=self.alias,
        )


@contextmanager
def experiment_run(inputs: RunInputs, *, chosen: str, target: str) -> Iterator[OpenRun]:
    """Open the experiment's MLflow run with the flat config as params and its provenance tags.

    Leaving the block ends the run: ``FINISHED``, or ``KILLED`` on SIGTERM or
    SIGINT (re-raised as ``KeyboardInterrupt``), or ``FAILED`` on an error.
    """
    import mlflow
    from mlflow import MlflowClient

    cfg = inputs.cfg
    uri = use_tracking()
    experiment_id = ensure_experiment(cfg.mlflow.experiment, uri)
    mark_stale_runs(uri)
    client = MlflowClient(uri)
    given = _given_run.get()
    with signals_interrupt():
        if given is None:
            run = mlflow.start_run(experiment_id=experiment_id, run_name=cfg.name)
        else:  # the caller's run keeps the name it was given
            run = mlflow.start_run(run_id=given.run_id)
            experiment_id = run.info.experiment_id
        run_id = run.info.run_id
        heartbeat = Heartbeat(lambda: client.set_tag(run_id, HEARTBEAT_TAG, stamp(now_utc())))
        status = "FAILED"
        try:
            mlflow.set_tags(owner_tags())
            heartbeat.start()
            mlflow.log_params(cfg.flat())
            mlflow.set_tags(
                {
                    **environment_tags(),
                    **inputs.data.tags(),
                    "pipeline": cfg.pipeline,
                    "target": target,
                    "chosen_candidate": chosen,
                    "decision_support_only": "true",
                    **inputs.split.summary(),
                }
            )
            _log_recording_bias(mlflow, inputs)
            for path, document in inputs.data.documents.items():  # a release's manifest
                mlflow.log_dict(document, path)
            hold_for_fault_test("run_opened")
            yield OpenRun(
                tracking_uri=uri,
                experiment_id=experiment_id,
                run_id=run_id,
                chosen=chosen,
                model_name=cfg.mlflow.registered_model,
                alias=cfg.mlflow.alias,
            )
            status = "FINISHED"
        except KeyboardInterrupt:
            status = "KILLED"
            raise
        finally:
            heartbeat.stop()
            mlflow.end_run(status)


def register_run_model(
    run: OpenRun, model: LoggedModel, *, tags: dict[str, str], description: str
) -> LoggedRun:
    """Register the finished run's model with the tags scoring needs, then move its alias.

    Not for a run given with ``into_run(..., register=False)``: its model stays unregistered.
    """
    given = _given_run.get()
    if given is not None and not given.register and given.run_id == run.run_id:
        return run.logged("")
    version = register_version(
        model,
        registered_model=run.model_name,
        alias=run.alias,
        tags=tags,
        description=description,
    )
    return run.logged(version)


def config_text(inputs: RunInputs, *, as_json: bool = False) -> str:
    """The config file as written; for a config built in code, its dump (YAML, or JSON)."""
    if inputs.config_path:
        return Path(inputs.config_path).read_text("utf-8")
    dumped = inputs.cfg.model_dump(mode="json")
    if as_json:
        return json.dumps(dumped, indent=2)
    return yaml.safe_dump(dumped, sort_keys=False, allow_unicode=True)


def finite(metrics: dict[str, float]) -> dict[str, float]:
    """The metrics MLflow can store: an undefined figure (NaN, no value) is left out."""
    return {k: v for k, v in metrics.items() if v is not None and math.isfinite(v)}


def selection_metrics(inputs: RunInputs, selection: dict[str, float]) -> dict[str, float]:
    metric = inputs.cfg.selection.metric
    return {f"selection.{name}.{metric}": v for name, v in selection.items()}


def log_model_tables(mlflow: Any, candidates: dict[str, Candidate]) -> None:
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


def _log_recording_bias(mlflow: Any, inputs: RunInputs) -> None:
    """The generator spec's recorded-label biases, for the model card (synthetic data only)."""
    from triage.experiment.data import synthetic_spec

    spec = synthetic_spec(inputs.cfg.data)
    if spec is not None:
        mlflow.log_dict(
            {
                "spec_version": spec.spec_version,
                "spec_digest": spec.digest,
                "recording": spec.recording.model_dump(mode="json"),
            },
            "data/recording_bias.json",
        )
