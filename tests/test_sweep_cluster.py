"""How a LocalCluster starts its workers: forked from the warmed-up sweep process on Linux,
unless Dask's own setting says otherwise; a forked worker still keeps to its thread budget."""

from __future__ import annotations

import sys

import pytest

from triage.sweep.cluster import START_METHOD_ENV, worker_start_method


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is the Linux default")
def test_workers_are_forked_on_linux(monkeypatch):
    monkeypatch.delenv(START_METHOD_ENV, raising=False)
    assert worker_start_method() == "fork"


@pytest.mark.parametrize("given", ["spawn", "forkserver", " Spawn "])
def test_dasks_own_setting_wins(monkeypatch, given):
    monkeypatch.setenv(START_METHOD_ENV, given)
    assert worker_start_method() == given.strip().lower()


def test_a_forked_worker_can_hold_its_pools_to_its_budget():
    """A worker forked from this process, whose BLAS pool was sized for every core, runs its
    cell with the pools held to its share (what run_cell sets around the pipeline)."""
    import os

    from distributed import Client, LocalCluster
    from threadpoolctl import threadpool_info

    def pools_in_cell() -> list[int]:
        from threadpoolctl import threadpool_info, threadpool_limits

        from triage.contract.threads import thread_budget

        with threadpool_limits(limits=thread_budget()):
            return sorted({p["num_threads"] for p in threadpool_info()})

    if not threadpool_info():
        pytest.skip("no BLAS or OpenMP pool loaded to hold")
    import dask

    with (
        dask.config.set({"distributed.worker.multiprocessing-method": "fork"}),
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
            env={"TRIAGE_THREADS": "1"},
        ) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        assert client.submit(os.getpid).result() != os.getpid()
        assert client.submit(pools_in_cell).result() == [1]
