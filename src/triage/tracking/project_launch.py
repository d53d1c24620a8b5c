"""``mlflow run``'s own run, and the experiment a config names: which run the pipeline writes to.

``mlflow run pipelines ...`` creates a run before it starts our entry point
and hands its id over in ``MLFLOW_RUN_ID``, in the experiment given by
``--experiment-name`` (or ``Default``). ``triage run`` puts each config's runs
in the config's experiment (``mlflow.experiment``), and so must ``mlflow run``,
or the same config's runs would be split across experiments by the way they
were started. The store is the same either way (MLflow's default, or
``MLFLOW_TRACKING_URI`` for both).

So: when MLflow's run is already in the config's experiment (``mlflow run
--experiment-name`` named it), the pipeline writes into it. Otherwise the
pipeline opens its own run in the config's experiment, and MLflow's run,
which only launched it, is tagged with where that run is (``triage.pipeline_run``
and a note MLflow's UI shows).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from triage.tracking import use_tracking

LAUNCHER_ENV = ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME")
"""What ``mlflow run`` sets for its entry point to resume its run."""
POINTER_TAG = "triage.pipeline_run"


@dataclass(frozen=True)
class LauncherRun:
    """``mlflow run``'s run when the pipeline writes elsewhere: its id and experiment."""

    run_id: str
    experiment: str


def leave_launcher_run(experiment: str) -> LauncherRun | None:
    """Decide which run the pipeline writes to when started by ``mlflow run``.

    Returns None when not started by ``mlflow run`` or when its run is in
    ``experiment`` (the pipeline resumes it). Otherwise removes the variables
    that would make ``mlflow.start_run`` resume it, and returns it, for
    ``point_launcher_run`` once the pipeline's run exists.
    """
    run_id = os.environ.get("MLFLOW_RUN_ID")
    if not run_id:
        return None
    from mlflow import MlflowClient

    client = MlflowClient(use_tracking())
    launcher = client.get_run(run_id)
    name = client.get_experiment(launcher.info.experiment_id).name
    if name == experiment:
        return None
    for variable in LAUNCHER_ENV:
        os.environ.pop(variable, None)
    return LauncherRun(run_id=run_id, experiment=name)


def point_launcher_run(launcher: LauncherRun, *, run_id: str, experiment: str) -> str:
    """Tag ``mlflow run``'s run with the pipeline's run; returns the line to print."""
    from mlflow import MlflowClient

    note = (
        f"This run only launched the pipeline. Its run is {run_id} in experiment "
        f"'{experiment}', the experiment its config names (as `triage run` does)."
    )
    client = MlflowClient(use_tracking())
    client.set_tag(launcher.run_id, POINTER_TAG, run_id)
    client.set_tag(launcher.run_id, "mlflow.note.content", note)
    return (
        f"mlflow run's run {launcher.run_id} (experiment '{launcher.experiment}') only "
        f"launched this pipeline; its run is {run_id} in experiment '{experiment}', "
        f"like every run of this config"
    )
