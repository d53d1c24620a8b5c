"""The Dask cluster a sweep's cells run on: a LocalCluster of its own, or an existing one.

By default a ``LocalCluster`` with one single-threaded worker process per core
(a cell's LightGBM fit and bootstrap have their own threads; one cell per core
keeps them from fighting over it: each worker's thread budget, ``TRIAGE_THREADS``, is its
share of the cores). With ``scheduler`` the cells go to an
existing cluster, whose workers may run on other machines or in other
folders: so a tracking store only this machine's files hold (a SQLite file,
a file store) is refused before anything runs, naming what to use instead.

On Linux the LocalCluster's workers are forked from the sweep's own process
(``worker_start_method``), which has imported the cells' pipelines first
(``warm_up``): a spawned worker would import the whole library again and pay its
first-use costs (scikit-learn's walk in skops, MLflow's package scan): in the 8-cell
benchmark its first cell took 10.7 CPU-s against 6.8 for the later ones, and the
sweep's overhead was 1.6 s a cell (0.13 s forked). The process is then quiet: no pipeline runs in it, and the
workers set their own thread budget. Dask's own setting
(``DASK_DISTRIBUTED__WORKER__MULTIPROCESSING_METHOD``) wins when it is given.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

from triage.contract.errors import TriageError
from triage.contract.threads import THREADS_ENV

START_METHOD_ENV = "DASK_DISTRIBUTED__WORKER__MULTIPROCESSING_METHOD"
CONNECT_TIMEOUT = "15s"
WORKERS_WAIT_SECONDS = 30.0
SERVER_HINT = (
    "a tracking server every worker reaches, e.g. MLFLOW_TRACKING_URI=http://HOST:5000 for "
    "`mlflow server --backend-store-uri postgresql://... --artifacts-destination s3://... "
    "--serve-artifacts` (README: Sweeps)"
)


class ClusterError(TriageError, RuntimeError):
    """A cluster the sweep cannot use: unreachable, without workers, or its store unshared."""


def is_local_store(uri: str) -> bool:
    """Whether ``uri`` is a store on this machine's disk (SQLite file, file store, a path)."""
    scheme = urlparse(uri).scheme.lower()
    return scheme in ("", "file", "sqlite") or len(scheme) == 1  # one letter: a Windows drive


def check_shared_store(scheduler: str | None, uri: str) -> None:
    """``ClusterError`` when an existing cluster's workers could not write to ``uri``."""
    if scheduler is not None and is_local_store(uri):
        raise ClusterError(
            f"scheduler: the workers of {scheduler} may run on other machines or in other "
            f"folders and cannot share the local tracking store {uri}; use {SERVER_HINT}",
            param="scheduler",
        )


@contextmanager
def dask_client(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """A ``distributed.Client`` of the cluster the cells run on; a LocalCluster is closed after."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler is None:
        n = workers if workers is not None else (os.cpu_count() or 1)
        if n < 1:
            raise ClusterError(f"workers: expected at least 1, got {n}", param="workers")
        method = worker_start_method()
        with (
            dask.config.set({"distributed.worker.multiprocessing-method": method}),
            LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
                env={THREADS_ENV: str(cores_per_worker(n))},
            ) as cluster,
            Client(cluster, set_as_default=False) as client,
        ):
            yield client
        return
    if workers is not None:
        raise ClusterError(
            "workers: an existing cluster has its own workers; a number of workers sizes "
            "only the LocalCluster started when no scheduler is given",
            param="workers",
        )
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(
            f"scheduler: cannot reach a Dask scheduler at {scheduler} "
            f"({' '.join(str(exc).split())[:200]}); expected an address such as "
            "tcp://HOST:8786 of a running `dask scheduler`",
            param="scheduler",
        ) from None
    try:
        try:
            client.wait_for_workers(1, timeout=WORKERS_WAIT_SECONDS)
        except TimeoutError:
            raise ClusterError(
                f"scheduler: {scheduler} has no workers after {WORKERS_WAIT_SECONDS:.0f} s; "
                "start some with `dask worker " + scheduler + " --nthreads 1`",
                param="scheduler",
            ) from None
        yield client
    finally:
        client.close()


def worker_start_method() -> str:
    """How a LocalCluster starts its workers: Dask's setting when given, else ``fork`` on
    Linux (from the warmed-up sweep process), ``spawn`` elsewhere (fork is unsafe on macOS)."""
    given = os.environ.get(START_METHOD_ENV, "").strip().lower()
    if given:
        return given  # Dask checks it when it starts a worker
    return "fork" if sys.platform.startswith("linux") else "spawn"


def warm_up(pipelines: Iterable[str]) -> None:
    """Import the pipelines ``pipelines`` names and what their runs load later (MLflow's
    scikit-learn flavour, skops), so that workers forked from this process have them."""
    from triage.pipelines import load_pipeline
    from triage.tracking import preload_model_logging

    for name in sorted(set(pipelines)):
        load_pipeline(name)
    preload_model_logging()


def cores_per_worker(workers: int) -> int:
    """A LocalCluster worker's share of this machine's cores: its cell's thread budget."""
    return max(1, (os.cpu_count() or 1) // workers)


def slots(client: Any) -> int:
    """How many cells the cluster runs at once: its worker threads."""
    return max(sum(client.nthreads().values()), 1)
