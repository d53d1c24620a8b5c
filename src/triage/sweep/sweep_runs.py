"""A finished (or stopped) sweep as its MLflow runs say it is: the parent and its cells.

Only the parent's and the children's tags (``triage.sweep.tags``), statuses and metrics
are read, so a sweep resumed, or run on other machines against a shared tracking
server, reads the same as one run in one go.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from triage.contract.errors import TriageError
from triage.sweep import tags

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

QUESTION_TAG = "sweep.question"
"""Parent: the sweep file's ``question`` (also the run's description, ``mlflow.note.content``)."""
FINISHED = "FINISHED"
FAILED = ("FAILED", "KILLED")


class SweepNotFound(TriageError):
    """A run id that is not a sweep's parent run."""


@dataclass(frozen=True)
class CellRun:
    """One child run: a cell at one seed."""

    run_id: str
    cell_id: str
    overrides: dict[str, Any]
    seed: str
    status: str
    error: str | None
    metrics: dict[str, float]
    pipeline: str | None
    start_time: int

    @property
    def settings(self) -> str:
        """The overrides as one canonical string: the cell, whatever its seed."""
        return json.dumps(self.overrides, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class SweepRuns:
    parent_run_id: str
    name: str
    question: str
    keys: list[str]
    runs: list[CellRun]
    audit_experiment: str | None = None
    """Where the cells' audit runs are, for a sweep that audits its cells."""

    @property
    def pipeline(self) -> str | None:
        return next((r.pipeline for r in self.runs if r.pipeline), None)


def read_sweep(client: MlflowClient, parent_run_id: str) -> SweepRuns:
    """The parent run and, per cell and seed, its latest child run (a finished one first)."""
    from mlflow.exceptions import MlflowException

    try:
        parent = client.get_run(parent_run_id)
    except MlflowException as exc:
        raise SweepNotFound(
            f"parent_run_id: no run {parent_run_id!r} in the tracking store ({exc.error_code})"
        ) from None
    parent_tags = parent.data.tags
    if tags.SWEEP not in parent_tags:
        raise SweepNotFound(
            f"parent_run_id: run {parent_run_id} has no {tags.SWEEP} tag: not a sweep's parent run"
        )
    children = [_cell_run(run) for run in _children(client, parent)]
    keys = _json_list(parent_tags.get(tags.KEYS)) or _keys_in_order(children)
    name = parent_tags[tags.SWEEP]
    question = parent_tags.get(QUESTION_TAG) or parent_tags.get("mlflow.note.content") or name
    return SweepRuns(
        parent_run_id, name, question, keys, _latest_per_cell(children),
        parent_tags.get(tags.AUDIT_EXPERIMENT),
    )  # fmt: skip


def _children(client: MlflowClient, parent: Run) -> list[Run]:
    # The cells share their parent's experiment (the base config's).
    experiments = [parent.info.experiment_id]
    query = f"tags.`{tags.PARENT}` = '{parent.info.run_id}'"
    found: list[Run] = []
    token = None
    while True:
        page = client.search_runs(
            experiments, filter_string=query, max_results=1000, page_token=token
        )
        found += list(page)
        token = page.token
        if not token:
            return found


def _cell_run(run: Run) -> CellRun:
    run_tags = run.data.tags
    overrides = json.loads(run_tags.get(tags.OVERRIDES) or "{}")
    return CellRun(
        run_id=run.info.run_id,
        cell_id=run_tags.get(tags.CELL, run.info.run_id),
        overrides=overrides if isinstance(overrides, dict) else {},
        seed=run_tags.get(tags.SEED, ""),
        status=run.info.status,
        error=run_tags.get(tags.ERROR),
        metrics=dict(run.data.metrics),
        pipeline=run_tags.get("pipeline"),
        start_time=int(run.info.start_time or 0),
    )


def _latest_per_cell(runs: list[CellRun]) -> list[CellRun]:
    # A resumed sweep runs a failed cell again: its newest finished run stands for it.
    best: dict[str, CellRun] = {}
    for run in sorted(runs, key=lambda r: (r.status == FINISHED, r.start_time)):
        best[run.cell_id] = run
    return sorted(best.values(), key=lambda r: r.cell_id)


def _json_list(text: str | None) -> list[str]:
    if not text:
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _keys_in_order(runs: list[CellRun]) -> list[str]:
    keys: list[str] = []
    for run in sorted(runs, key=lambda r: r.cell_id):
        keys += [k for k in run.overrides if k not in keys]
    return keys
