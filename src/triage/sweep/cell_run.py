"""One cell, where it runs (a Dask worker, or this process): an ordinary pipeline run,
logged into a child run of the sweep's parent.

The child run is created here first, tagged with the cell (``triage.sweep.tags``)
and with this process as its owner, and the pipeline logs into it
(``run_log.into_run``). So a cell that fails anywhere, even before its pipeline
would have opened a run (bad data, a missing spec file), is recorded: ``FAILED``,
the one-line error as ``sweep.error`` and the traceback as ``error.txt``. The
model is logged but not registered: a cell must not move ``@candidate`` of the
real model, and many processes registering at once would contend for the
registry's version numbers. A sweep with ``audit:`` then audits the cell's run as
``triage audit --run`` does (``cell_audit.py``); a failed audit fails the cell.

Everything the task needs travels with it (the tracking URI, the config as
JSON, an absolute reports folder): a worker may run elsewhere, in another folder.
On another machine the sweep's folder does not exist (or is not the worker's
to write): there ``reports`` is None, and the card is kept only in the run
(``report/``), written meanwhile to a temporary folder.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from triage.contract.threads import thread_budget
from triage.sweep import tags

ERROR_FILE = "error.txt"
MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class CellTask:
    """What a worker needs to run one cell; plain values, so it pickles anywhere."""

    tracking_uri: str
    experiment_id: str
    parent_run_id: str
    sweep: str
    cell_id: str
    overrides: dict[str, Any]
    seed: int
    config: dict[str, Any]  # the cell's validated config, ``model_dump(mode="json")``
    config_digest: str
    reports: str | None  # absolute folder to keep the cell's model card in; None: the run only
    audit: dict[str, Any] | None = None  # the audit config to audit the run with; None: no audit


@dataclass(frozen=True)
class CellOutcome:
    """How a cell ended, as its worker saw it."""

    cell_id: str
    run_id: str | None  # None only when not even the child run could be created
    status: str  # "FINISHED" or "FAILED"
    error: str | None  # one line
    seconds: float  # the whole task on the worker
    pipeline_seconds: float  # of which the pipeline itself (0 when it failed)
    pipeline_cpu_seconds: float = 0.0  # the CPU time its process spent meanwhile, all threads
    process: str = ""  # host:pid of the worker process that ran it (its first cell pays imports)

    @property
    def failed(self) -> bool:
        return self.status != "FINISHED"


def cell_tags(task: CellTask) -> dict[str, str]:
    """The tags that make a child run this sweep's cell (read by the summary and ``--resume``)."""
    return {
        tags.PARENT: task.parent_run_id,
        tags.SWEEP: task.sweep,
        tags.CELL: task.cell_id,
        tags.OVERRIDES: json.dumps(task.overrides, ensure_ascii=False, default=str),
        tags.SEED: str(task.seed),
        tags.CONFIG_DIGEST: task.config_digest,
    }


def error_line(exc: BaseException) -> str:
    """The exception as one line of at most ``MAX_ERROR_CHARS``: its type, then its message."""
    text = " ".join(str(exc).split())
    line = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 1] + "…"


def run_cell(task: CellTask) -> CellOutcome:
    """Run the cell's pipeline into a new child run; a failure is recorded, never raised."""
    from mlflow import MlflowClient

    from triage.experiment.config import parse_config
    from triage.experiment.run_log import into_run
    from triage.pipelines import run_pipeline
    from triage.sweep.cell_audit import audit_cell
    from triage.tracking.run_owner import HEARTBEAT_TAG, Heartbeat, now_utc, owner_tags, stamp

    started = time.perf_counter()
    client = MlflowClient(task.tracking_uri)
    threads = {tags.THREADS: str(thread_budget())}
    run = client.create_run(
        task.experiment_id, run_name=task.cell_id,
        tags={**cell_tags(task), **owner_tags(), **threads},
    )  # fmt: skip
    run_id = run.info.run_id
    beat = Heartbeat(lambda: client.set_tag(run_id, HEARTBEAT_TAG, stamp(now_utc()))).start()
    pipeline_seconds = pipeline_cpu = 0.0
    try:
        cfg = parse_config(task.config, source=f"cell {task.cell_id}")
        with tracking_at(task.tracking_uri):
            with into_run(run_id, register=False), _reports_folder(task.reports) as reports:
                begun, begun_cpu = time.perf_counter(), time.process_time()
                # BLAS and OpenMP pools of a forked worker were sized in the sweep's process:
                # held to the worker's share here, as a spawned worker's environment would.
                with threadpool_limits(limits=thread_budget()):
                    run_pipeline(cfg, quiet=True, reports=reports)
                pipeline_seconds = time.perf_counter() - begun
                pipeline_cpu = time.process_time() - begun_cpu
            if task.audit is not None:
                audit_cell(client, run_id, task.cell_id, task.audit)
    except Exception as exc:  # noqa: BLE001 - any failure is the cell's result; the rest go on
        line = error_line(exc)
        client.set_tag(run_id, tags.ERROR, line)
        client.log_text(run_id, traceback.format_exc(), ERROR_FILE)
        client.set_terminated(run_id, "FAILED")
        return CellOutcome(task.cell_id, run_id, "FAILED", line, _since(started), 0.0)
    except BaseException:  # stopped (KeyboardInterrupt): not a result, but not left RUNNING
        client.set_terminated(run_id, "KILLED")
        raise
    finally:
        beat.stop()
    return CellOutcome(
        task.cell_id, run_id, "FINISHED", None, _since(started), pipeline_seconds, pipeline_cpu,
        process=f"{socket.gethostname()}:{os.getpid()}",
    )  # fmt: skip


@contextmanager
def tracking_at(uri: str) -> Iterator[None]:
    """``MLFLOW_TRACKING_URI`` set to ``uri`` inside (the pipeline's store), restored after."""
    previous = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = uri
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = previous


@contextmanager
def _reports_folder(reports: str | None) -> Iterator[Path]:
    if reports is not None:
        yield Path(reports)
        return
    with tempfile.TemporaryDirectory(prefix="triage-cell-") as folder:
        yield Path(folder)


def _since(start: float) -> float:
    return time.perf_counter() - start
