"""A sweep run cell after cell in the test's own process: the runner's parent run and cells
(``triage.sweep.parent_run``, ``triage.sweep.cell_run``) without a Dask cluster, whose
workers would import the whole library again for every small sweep the suite runs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from triage.sweep.cell_run import CellOutcome, CellTask, run_cell
from triage.sweep.cells import Cell, Sweep
from triage.sweep.parent_run import open_parent


def run_in_process(
    sweep: Sweep, uri: str, reports: Path, *, broken: dict[str, dict] | None = None
) -> tuple[str, list[CellOutcome]]:
    """Every cell of ``sweep`` in this process; ``broken``: cell id → config changes by
    section that make it fail (a real failing pipeline run). The parent's id and the outcomes."""
    from mlflow import MlflowClient

    from triage.tracking import ensure_experiment, use_tracking

    use_tracking()
    experiment_id = ensure_experiment(sweep.experiment, uri)
    parent = open_parent(MlflowClient(uri), experiment_id, sweep, earlier=None)
    outcomes = []
    try:
        for cell in sweep.cells:
            config = cell.config.model_dump(mode="json")
            for section, changes in (broken or {}).get(cell.id, {}).items():
                config[section] = {**config[section], **changes}
            task = _task(sweep, cell, uri, parent.experiment_id, parent.run_id, reports, config)
            outcomes.append(run_cell(task))
    finally:
        parent.close("FINISHED")
    return parent.run_id, outcomes


def rerun_cell(sweep: Sweep, cell_id: str, uri: str, parent_run_id: str, reports: Path):
    """The cell ``cell_id`` run again under the same parent, as ``--resume`` reruns a failed one."""
    from mlflow import MlflowClient

    cell = next(c for c in sweep.cells if c.id == cell_id)
    experiment_id = MlflowClient(uri).get_run(parent_run_id).info.experiment_id
    config = cell.config.model_dump(mode="json")
    return run_cell(_task(sweep, cell, uri, experiment_id, parent_run_id, reports, config))


def _task(
    sweep: Sweep, cell: Cell, uri: str, experiment_id: str, parent_run_id: str, reports: Path,
    config: dict[str, Any],
) -> CellTask:  # fmt: skip
    return CellTask(
        tracking_uri=uri, experiment_id=experiment_id, parent_run_id=parent_run_id,
        sweep=sweep.name, cell_id=cell.id, overrides=cell.overrides, seed=cell.seed,
        config=config, config_digest=cell.digest,
        reports=str(reports / sweep.name / "cells" / cell.id), audit=sweep.audit,
    )  # fmt: skip


@contextmanager
def store_in(folder: Path) -> Iterator[tuple[Path, str]]:
    """A SQLite store in ``folder`` (the working folder too); MLflow's URIs restored after."""
    import mlflow.tracking._model_registry.utils as registry_utils
    import mlflow.tracking._tracking_service.utils as tracking_utils

    uri = f"sqlite:///{folder / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("MLFLOW_")]:
            mp.delenv(key)
        mp.setattr(tracking_utils, "_tracking_uri", None)
        mp.setattr(registry_utils, "_registry_uri", None)
        mp.chdir(folder)
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        yield folder, uri
