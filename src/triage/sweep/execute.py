"""Run a sweep: open its parent run, send the cells still to run to Dask, collect how each ended.

The order of work keeps a bad setup from leaving runs behind: the cells were
all validated when the sweep was planned, an unshareable store or an
unreachable cluster is refused next, and only then is the parent run opened.
With ``resume`` the latest parent of the same sweep name is reopened and every
cell whose config digest already has a ``FINISHED`` child is skipped; failed
and missing cells run again (a rerun is a new child run; the failed one stays).

The parent ends ``FINISHED`` once every cell has ended, failed ones included
(each child says how it ended), ``KILLED`` when the sweep is interrupted and
``FAILED`` when the sweep itself breaks (the cluster lost).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triage.sweep import tags
from triage.sweep.cell_run import CellOutcome, CellTask, error_line, run_cell
from triage.sweep.cells import Cell, Sweep
from triage.sweep.cluster import (
    check_shared_store,
    dask_client,
    slots,
    warm_up,
    worker_start_method,
)
from triage.sweep.parent_run import (
    ParentRun,
    check_not_running,
    finished_digests,
    latest_parent,
    open_parent,
)
from triage.sweep.progress import SweepProgress

CELLS_FOLDER = "cells"

OnProgress = Callable[[SweepProgress, CellOutcome], None]
"""Called after each cell ends, with the sweep's progress and the cell's outcome."""


@dataclass(frozen=True)
class SweepResult:
    sweep: Sweep
    tracking_uri: str
    experiment_id: str
    parent_run_id: str
    resumed: bool
    skipped: tuple[str, ...]  # cell ids an earlier run already finished
    outcomes: tuple[CellOutcome, ...]  # the cells run now, in the order they ended

    @property
    def failed(self) -> list[CellOutcome]:
        return [o for o in self.outcomes if o.failed]


def sweep_reports(reports: Path, sweep: Sweep) -> Path:
    """The sweep's own folder under ``reports``: its summary, and its cells' model cards."""
    return reports / sweep.name


def run_sweep(
    sweep: Sweep,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    resume: bool = False,
    reports: Path = Path("reports"),
    on_progress: OnProgress | None = None,
) -> SweepResult:
    """Run every cell of ``sweep`` not yet finished, on a LocalCluster or at ``scheduler``.

    The store is the one ``triage run`` uses (``triage.tracking.tracking_uri``).
    """
    from mlflow import MlflowClient

    from triage.tracking import ensure_experiment, tracking_uri, use_tracking

    check_shared_store(scheduler, tracking_uri())
    uri = use_tracking()  # a SQLite store is created and migrated here, once, under its lock
    client = MlflowClient(uri)
    experiment_id = ensure_experiment(sweep.experiment, uri)
    earlier = latest_parent(client, experiment_id, sweep.name) if resume else None
    if earlier is not None:
        check_not_running(client, earlier)
    done = finished_digests(client, experiment_id, earlier) if earlier else set()
    todo = [cell for cell in sweep.cells if cell.digest not in done]
    skipped = tuple(cell.id for cell in sweep.cells if cell.digest in done)
    if todo and scheduler is None and worker_start_method() == "fork":
        warm_up(cell.config.pipeline for cell in todo)
    parent: ParentRun | None = None
    try:  # no cluster is started when nothing is left to run (a resume of a complete sweep)
        with dask_client(scheduler, workers) if todo else nullcontext(None) as dask:
            parent = open_parent(client, experiment_id, sweep, earlier=earlier)
            # An existing cluster's workers may be other machines: cards stay in the runs.
            cells_root = (
                None if scheduler else sweep_reports(reports, sweep).resolve() / CELLS_FOLDER
            )
            tasks = [_task(uri, parent, sweep, cell, cells_root) for cell in todo]
            progress = SweepProgress(
                total=len(sweep.cells),
                skipped=len(skipped),
                slots=slots(dask) if dask is not None else 1,
            )
            outcomes = _run_all(dask, client, parent, tasks, progress, on_progress) if tasks else []
    except KeyboardInterrupt:
        if parent is not None:  # after the cluster closed: a LocalCluster's cells are gone
            _end_running_children(client, parent, "KILLED", "the sweep was stopped")
            parent.close("KILLED")
        raise
    except BaseException:
        if parent is not None:
            parent.close("FAILED")
        raise
    parent.close("FINISHED")
    return SweepResult(
        sweep=sweep,
        tracking_uri=uri,
        experiment_id=experiment_id,
        parent_run_id=parent.run_id,
        resumed=parent.resumed,
        skipped=skipped,
        outcomes=tuple(outcomes),
    )


def summarize(result: SweepResult, reports: Path = Path("reports")) -> Path:
    """Build the sweep's summary from its runs (``triage.sweep.summary``); its report's path."""
    from mlflow import MlflowClient

    from triage.sweep.summary import summarize_sweep

    return summarize_sweep(MlflowClient(result.tracking_uri), result.parent_run_id, reports)


def _task(
    uri: str, parent: ParentRun, sweep: Sweep, cell: Cell, cells_root: Path | None
) -> CellTask:
    return CellTask(
        tracking_uri=uri,
        experiment_id=parent.experiment_id,
        parent_run_id=parent.run_id,
        sweep=sweep.name,
        cell_id=cell.id,
        overrides=cell.overrides,
        seed=cell.seed,
        config=cell.config.model_dump(mode="json"),
        config_digest=cell.digest,
        reports=None if cells_root is None else str(cells_root / cell.id),
        audit=sweep.audit,
    )


def _run_all(
    dask: Any,
    client: Any,
    parent: ParentRun,
    tasks: list[CellTask],
    progress: SweepProgress,
    on_progress: OnProgress | None,
) -> list[CellOutcome]:
    from distributed import as_completed

    batch = uuid.uuid4().hex[:8]  # task keys unique per run: a resumed cell is new work
    futures = {
        dask.submit(run_cell, task, key=f"sweep-{batch}-{task.cell_id}", pure=False): task
        for task in tasks
    }
    outcomes: list[CellOutcome] = []
    try:
        for future in as_completed(futures, loop=dask.loop):
            outcome = _outcome(future, futures[future], client, parent)
            outcomes.append(outcome)
            progress.record(failed=outcome.failed, seconds=outcome.seconds)
            if on_progress is not None:
                on_progress(progress, outcome)
    finally:
        for future in futures:  # interrupted: nothing more is started (ended ones: no-op)
            future.cancel()
    return outcomes


def _outcome(future: Any, task: CellTask, client: Any, parent: ParentRun) -> CellOutcome:
    """The cell's outcome; a task that died with its worker is recorded as failed here."""
    try:
        outcome: CellOutcome = future.result()
        return outcome
    except Exception as exc:  # noqa: BLE001 - the worker died or the task could not run
        line = error_line(exc)
        run_id = _end_running_children(client, parent, "FAILED", line, cell_id=task.cell_id)
        return CellOutcome(task.cell_id, run_id, "FAILED", line, math.nan, 0.0)


def _end_running_children(
    client: Any, parent: ParentRun, status: str, error: str, *, cell_id: str | None = None
) -> str | None:
    """End the parent's children (of ``cell_id`` only, if given) still ``RUNNING``.

    A lost worker cannot end its cell's run, nor can a LocalCluster's workers stopped with
    the sweep. A remote worker still running its cell ends the run itself after this.
    Returns the id of one run ended, if any.
    """
    where = f"tags.`{tags.PARENT}` = '{parent.run_id}' and attributes.status = 'RUNNING'"
    if cell_id is not None:
        where += f" and tags.`{tags.CELL}` = '{cell_id}'"
    runs = client.search_runs([parent.experiment_id], filter_string=where, max_results=1000)
    for run in runs:
        client.set_tag(run.info.run_id, tags.ERROR, error)
        client.set_terminated(run.info.run_id, status)
    return runs[0].info.run_id if runs else None
