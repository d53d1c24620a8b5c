"""What a model card shows of a run, read from MLflow: the only module of the card that talks to it.

``read_card_inputs`` turns a run id into ``CardInputs``: the run's metrics, params
and tags, its newest fairness audit and the registered model's champion. Artefacts
are fetched one file at a time when a section asks for one, so the card downloads
only what it shows (``audit_inputs/``, which is row-level, is never opened).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.audit.runs import AUDIT_KIND, OF_RUN_TAG
from triage.contract.names import CHAMPION
from triage.report.errors import RunNotFound

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

Fetch = Callable[[str], bytes | None]
ListFolder = Callable[[str], list[str]]


@dataclass(frozen=True)
class RunRecord:
    """One run's logged facts; ``file`` reads an artefact (``None`` when the run has none)."""

    run_id: str
    experiment_id: str
    start_time: int | None
    """Milliseconds since the epoch, as MLflow keeps it."""
    metrics: dict[str, float]
    params: dict[str, str]
    tags: dict[str, str]
    fetch: Fetch = field(repr=False, compare=False)
    list_folder: ListFolder | None = field(default=None, repr=False, compare=False)
    """The artefact paths directly in a folder (``""``: the top); ``None``: nothing listed."""

    def file(self, path: str) -> bytes | None:
        return self.fetch(path)

    def has(self, path: str) -> bool:
        """Whether the run logged the artefact ``path``: listed, never downloaded (so a
        row-level file such as ``audit_inputs/`` is never opened to tell)."""
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        return self.list_folder is not None and path in self.list_folder(folder)

    def text(self, path: str) -> str | None:
        data = self.fetch(path)
        # Universal newlines, as the card has always read artefacts as text files.
        return None if data is None else io.TextIOWrapper(io.BytesIO(data), "utf-8").read()

    def json(self, path: str) -> Any:
        text = self.text(path)
        return json.loads(text) if text is not None else None

    def csv(self, path: str) -> list[dict[str, str]] | None:
        text = self.text(path)
        return list(csv.DictReader(io.StringIO(text))) if text is not None else None


@dataclass(frozen=True)
class AuditSource:
    """The run holding an audit of a run: its newest audit run, or the run itself."""

    run: RunRecord
    runs: int
    """How many audit runs name the audited run (0: the run holds ``audit/`` itself)."""


@dataclass(frozen=True)
class Champion:
    """The ``@champion`` version of the run's registered model."""

    model: str
    version: str
    run_id: str
    run: RunRecord | None
    """``None`` when the champion is the run itself, or its run could not be read."""
    audit: AuditSource | None


@dataclass(frozen=True)
class CardInputs:
    """Everything a card is built from."""

    run: RunRecord
    audit: AuditSource | None
    champion: Champion | None
    """``None`` when the run names no registered model, or the model has no champion."""


def open_client() -> tuple[MlflowClient, str]:
    """A client of the tracking store (``MLFLOW_TRACKING_URI`` or ./mlflow.db) and its URI."""
    from mlflow import MlflowClient

    from triage.tracking import tracking_uri

    uri = tracking_uri()
    return MlflowClient(tracking_uri=uri, registry_uri=uri), uri


def read_card_inputs(client: MlflowClient, run_id: str) -> CardInputs:
    """The run ``run_id`` with its audit and champion; ``RunNotFound`` when there is no such run."""
    try:
        found = client.get_run(run_id)
    except Exception:  # noqa: BLE001 - MLflow raises its own exception for an unknown run
        raise RunNotFound(run_id, getattr(client, "tracking_uri", "the tracking store")) from None
    run = _record(client, found)
    return CardInputs(run=run, audit=_audit_source(client, run), champion=_champion(client, run))


def _record(client: MlflowClient, run: Run) -> RunRecord:
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    run_id = run.info.run_id
    folder_on_disk = _artifacts_on_disk(run)
    listings: dict[str, list[str]] = {}

    def listing(folder: str) -> list[str]:
        if folder not in listings:
            listings[folder] = _listed_on_disk(folder_on_disk, folder) or _listed_by(folder)
        return listings[folder]

    def _listed_by(folder: str) -> list[str]:
        """Not on disk: the store's client (a logged model's files), once a folder."""
        try:
            return [f.path for f in client.list_artifacts(run_id, folder)]
        except Exception:  # noqa: BLE001 - a missing folder is "no data"
            return []

    def fetch(path: str) -> bytes | None:
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        if path not in listing(folder):
            return None
        if folder_on_disk is not None and (folder_on_disk / path).is_file():
            return (folder_on_disk / path).read_bytes()
        try:
            with tempfile.TemporaryDirectory(prefix="triage-card-") as tmp:
                return Path(client.download_artifacts(run_id, path, tmp)).read_bytes()
        except Exception:  # noqa: BLE001 - an unreadable file is "no data"
            return None

    return RunRecord(
        run_id=run_id,
        experiment_id=run.info.experiment_id,
        start_time=run.info.start_time,
        metrics=dict(run.data.metrics),
        params=dict(run.data.params),
        tags=dict(run.data.tags),
        fetch=fetch,
        list_folder=listing,
    )


def _artifacts_on_disk(run: Run) -> Path | None:
    """The run's artefact folder when the store keeps it on this machine's disk (a
    ``file:`` URI or a plain path, as the local store keeps them), else None.

    Read there directly, a file costs a file read; through the client, each one was a
    run lookup and a logged-model search in the database, then a copy (the card's
    reading took 0.64 s of its 1 s at 1M notices)."""
    from mlflow.utils.file_utils import local_file_uri_to_path

    uri = run.info.artifact_uri or ""
    if urllib.parse.urlparse(uri).scheme not in ("", "file") or not uri:
        return None
    folder = Path(local_file_uri_to_path(uri))
    return folder if folder.is_dir() else None


def _listed_on_disk(root: Path | None, folder: str) -> list[str]:
    """The paths directly in ``folder`` of an artefact folder on disk, as MLflow lists
    them (relative to the root, "/"-separated); [] when there is no such folder inside
    the root (a name with ".." in it included)."""
    if root is None:
        return []
    where = (root / folder).resolve()
    if not where.is_dir() or not where.is_relative_to(root.resolve()):
        return []
    return sorted(
        (Path(folder) / entry.name).as_posix() if folder else entry.name
        for entry in where.iterdir()
    )


def _audit_source(client: MlflowClient, run: RunRecord) -> AuditSource | None:
    """Fairness-audit runs that name this run (``triage audit --run RUN_ID``): the newest one;
    else the run itself if it holds ``audit/``."""
    try:
        experiments = [e.experiment_id for e in client.search_experiments()]
        found = client.search_runs(
            experiments,
            filter_string=f"tags.`{OF_RUN_TAG}` = '{run.run_id}'",
            order_by=["attributes.start_time DESC"],
        )
        audits = [r for r in found if r.data.tags.get("kind") == AUDIT_KIND]
    except Exception:  # noqa: BLE001 - a store that cannot be searched has no audits to show
        audits = []
    if audits:
        return AuditSource(run=_record(client, audits[0]), runs=len(audits))
    holds_audit = run.list_folder is not None and bool(run.list_folder("audit"))
    return AuditSource(run=run, runs=0) if holds_audit else None


def _champion(client: MlflowClient, run: RunRecord) -> Champion | None:
    name = run.params.get("mlflow.registered_model")
    if not name:
        return None
    try:
        mv = client.get_model_version_by_alias(name, CHAMPION)
    except Exception:  # noqa: BLE001 - no such alias or model
        return None
    version, champion_run_id = str(mv.version), str(mv.run_id)
    if champion_run_id == run.run_id:
        return Champion(name, version, champion_run_id, run=None, audit=None)
    try:
        other = _record(client, client.get_run(champion_run_id))
    except Exception:  # noqa: BLE001 - a deleted or unreadable champion run
        return Champion(name, version, champion_run_id, run=None, audit=None)
    return Champion(name, version, champion_run_id, run=other, audit=_audit_source(client, other))
