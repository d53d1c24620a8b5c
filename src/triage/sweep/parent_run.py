"""The sweep's parent run: opened (or, with ``--resume``, reopened) before any cell runs,
and what its finished children already cover.

The parent lives in the base config's experiment (the MLflow UI nests the cells
under it only there), holds the sweep file as ``sweep/sweep.yaml``, its question
as the run's description, and owner tags with a heartbeat like every pipeline
run, so a sweep killed outright is marked ``FAILED`` by the next run on the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from triage.contract.errors import TriageError
from triage.sweep import tags
from triage.sweep.cells import Sweep, canonical_json
from triage.tracking.run_owner import (
    HEARTBEAT_TAG,
    HOST_TAG,
    PID_TAG,
    Heartbeat,
    now_utc,
    owner_tags,
    stale_reason,
    stamp,
)

SWEEP_FILE_ARTEFACT = "sweep/sweep.yaml"
NOTE_TAG = "mlflow.note.content"  # MLflow's run description
QUESTION_TAG = "sweep.question"  # the summary's header (triage.sweep.sweep_runs reads it)


class SweepRunning(TriageError, RuntimeError):
    """The sweep to resume is still running in a live process: two would run its cells twice."""


@dataclass
class ParentRun:
    """The open parent run; ``close`` ends it and its heartbeat."""

    client: Any  # MlflowClient
    run_id: str
    experiment_id: str
    resumed: bool
    heartbeat: Heartbeat

    def close(self, status: str) -> None:
        self.heartbeat.stop()
        self.client.set_terminated(self.run_id, status)


def open_parent(client: Any, experiment_id: str, sweep: Sweep, *, earlier: str | None) -> ParentRun:
    """A new parent run for ``sweep``, or the ``earlier`` one (``latest_parent``) reopened."""
    sweep_tags = {
        tags.SWEEP: sweep.name,
        tags.SWEEP_DIGEST: sweep.digest,
        tags.KEYS: canonical_json(sweep.file.keys()),
        **({tags.AUDIT_EXPERIMENT: sweep.audit["experiment"]} if sweep.audit else {}),
        NOTE_TAG: sweep.file.question,
        QUESTION_TAG: sweep.file.question,
        **owner_tags(),
    }
    if earlier is None:
        run = client.create_run(experiment_id, run_name=f"sweep {sweep.name}", tags=sweep_tags)
        run_id = run.info.run_id
    else:
        run_id = earlier
        client.update_run(run_id, status="RUNNING")
        for key, value in sweep_tags.items():  # the file may have changed since
            client.set_tag(run_id, key, value)
    client.log_text(run_id, sweep.path.read_text("utf-8"), SWEEP_FILE_ARTEFACT)
    beat = Heartbeat(lambda: client.set_tag(run_id, HEARTBEAT_TAG, stamp(now_utc()))).start()
    return ParentRun(client, run_id, experiment_id, earlier is not None, beat)


def latest_parent(client: Any, experiment_id: str, name: str) -> str | None:
    """The run id of the latest parent run of the sweep ``name`` in the experiment, if any."""
    runs = client.search_runs(
        [experiment_id],
        filter_string=f"tags.`{tags.SWEEP}` = '{name}' and tags.`{tags.SWEEP_DIGEST}` LIKE '%'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    return runs[0].info.run_id if runs else None


def check_not_running(client: Any, run_id: str) -> None:
    """``SweepRunning`` when the parent ``run_id`` is ``RUNNING`` and its process may be alive."""
    run = client.get_run(run_id)
    found = run.data.tags
    if run.info.status == "RUNNING" and stale_reason(found) is None:
        raise SweepRunning(
            f"sweep {found.get(tags.SWEEP)}: its parent run {run_id} is still running "
            f"(process {found.get(PID_TAG, '?')} on {found.get(HOST_TAG, '?')}); wait for it to "
            "end, or stop it, before resuming the sweep"
        )


def finished_digests(client: Any, experiment_id: str, parent_run_id: str) -> set[str]:
    """The config digests of the parent's children that ended ``FINISHED``."""
    found: set[str] = set()
    token = None
    while True:
        page = client.search_runs(
            [experiment_id],
            filter_string=(
                f"tags.`{tags.PARENT}` = '{parent_run_id}' and attributes.status = 'FINISHED'"
            ),
            max_results=1000,
            page_token=token,
        )
        found.update(r.data.tags.get(tags.CONFIG_DIGEST, "") for r in page)
        token = page.token
        if not token:
            return found - {""}
