"""An 8-cell sweep of the CI config on a LocalCluster of 2 workers, against the same 8 cells
one after another in this process, measured in the same run.

Run: .venv/bin/python benchmarks/bench_sweep.py [--workers 2]
Everything goes into a temporary MLflow store and reports folder (nothing in the checkout).
The in-process run imports the library before its clock starts; the sweep's clock includes
starting the cluster and its workers importing the library, which is the sweep's own cost.

Prints the two wall times, the speed-up (goal: at least 1.6x on 2 cores) and the sweep's own
overhead per cell (goal: under 1 s): the cluster's core-seconds (wall time x workers) not
spent inside a cell's pipeline, over the cells; and, apart, the mean time a cell's task
spends outside its pipeline on its worker (creating and tagging its child run).

Then what bounds the speed-up: the cores one in-process cell keeps busy (its process's CPU
time over its wall time: the pipeline overlaps its bootstrap, explanations and figures on
a second core), a worker cell's CPU time (one thread each), and the first cell on each
worker against the later ones (what a fresh process pays once: imports, first use of
skops and MLflow's package scan). With no start-up at all, the sweep could be at most
workers x (in-process wall per cell) / (worker CPU per cell) faster.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

SWEEP_FILE = """\
name: bench-sweep
question: How long do 8 cells of the CI config take on a LocalCluster?
base: ci
grid:
  data.synthetic.n: [20000, 30000]
seeds: [1, 2, 3, 4]
"""


def _in_process(sweep, uri: str, reports: Path) -> tuple[float, float, list]:
    """The cells one after another in this process, under a parent of their own."""
    from mlflow import MlflowClient

    from triage.sweep.cell_run import CellTask, run_cell
    from triage.sweep.parent_run import open_parent
    from triage.tracking import ensure_experiment

    client = MlflowClient(uri)
    experiment_id = ensure_experiment(sweep.experiment, uri)
    parent = open_parent(client, experiment_id, sweep, earlier=None)
    started, started_cpu = time.perf_counter(), time.process_time()
    outcomes = [
        run_cell(
            CellTask(
                tracking_uri=uri, experiment_id=experiment_id, parent_run_id=parent.run_id,
                sweep=sweep.name, cell_id=cell.id, overrides=cell.overrides, seed=cell.seed,
                config=cell.config.model_dump(mode="json"), config_digest=cell.digest,
                reports=str(reports / "sequential" / cell.id),
            )  # fmt: skip
        )
        for cell in sweep.cells
    ]
    wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    parent.close("FINISHED")
    return wall, cpu, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        root = Path(tmp)
        os.chdir(root)
        uri = f"sqlite:///{root / 'mlflow.db'}"
        os.environ["MLFLOW_TRACKING_URI"] = uri
        (root / "sweep.yaml").write_text(SWEEP_FILE, "utf-8")

        import triage.pipelines.intake_urgency  # noqa: F401 - imports before the clock
        from triage.sweep.cells import plan_sweep
        from triage.sweep.execute import run_sweep
        from triage.tracking import use_tracking

        use_tracking()  # the store created and migrated before either clock
        sweep = plan_sweep(root / "sweep.yaml")
        machine = _MachineCpu()
        sequential, sequential_cpu, seq_outcomes = _in_process(sweep, uri, root / "reports")
        others_sequential = machine.others(sequential)
        started = time.perf_counter()
        result = run_sweep(sweep, workers=args.workers, reports=root / "reports")
        parallel = time.perf_counter() - started
        others_parallel = machine.others(parallel)

        cells = len(sweep.cells)
        failed = [o for o in [*seq_outcomes, *result.outcomes] if o.failed]
        pipeline = sum(o.pipeline_seconds for o in result.outcomes)
        overhead = (parallel * args.workers - pipeline) / cells
        task_extra = sum(o.seconds - o.pipeline_seconds for o in result.outcomes) / cells
        print(f"cells: {cells}, failed: {len(failed)}")
        print(f"one after another in one process: {sequential:.1f} s")
        print(f"LocalCluster, {args.workers} workers: {parallel:.1f} s")
        print(f"speed-up: {sequential / parallel:.2f}x (goal >= 1.6x on 2 cores)")
        print(
            f"sweep overhead per cell: {overhead:.2f} s of a worker's time outside the "
            f"pipeline (goal < 1 s); of it {task_extra:.2f} s in the cell's task"
        )
        _print_bound(sequential, sequential_cpu, result.outcomes, args.workers)
        if others_sequential is not None and others_parallel is not None:
            print(
                "other processes on this machine meanwhile: "
                f"{others_sequential:.0%} of a core in the in-process part, "
                f"{others_parallel:.0%} in the sweep (figures are fair only when both are near 0)"
            )


class _MachineCpu:
    """CPU time the rest of the machine used, from /proc/stat less this process and its
    children (the LocalCluster's workers): a busy machine makes the figures meaningless."""

    def __init__(self) -> None:
        self._mark = self._read()

    @staticmethod
    def _read() -> tuple[float, float] | None:
        import resource

        try:
            fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        except OSError:
            return None
        ticks = os.sysconf("SC_CLK_TCK")
        busy = sum(int(v) for i, v in enumerate(fields[:8]) if i not in (3, 4)) / ticks
        own = sum(
            getattr(resource.getrusage(who), f)
            for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
            for f in ("ru_utime", "ru_stime")
        )
        return busy, own

    def others(self, wall: float) -> float | None:
        """Cores the rest of the machine kept busy on average since the last call."""
        now, before = self._read(), self._mark
        self._mark = now
        if now is None or before is None or wall <= 0:
            return None
        return max(0.0, (now[0] - before[0]) - (now[1] - before[1])) / wall


def _print_bound(sequential: float, sequential_cpu: float, outcomes, workers: int) -> None:
    """What limits the speed-up: the in-process cell's cores, and the workers' one-time costs."""
    import statistics

    cells = len(outcomes)
    wall_per_cell = sequential / cells
    worker_cpu = [o.pipeline_cpu_seconds for o in outcomes if not o.failed]
    first_each = {}  # the earliest cell of each worker process is its slowest: it pays the imports
    for o in outcomes:
        first_each.setdefault(o.process, o)
    firsts = [o.pipeline_cpu_seconds for o in first_each.values()]
    later = [o.pipeline_cpu_seconds for o in outcomes if o not in first_each.values()]
    steady = statistics.mean(later) if later else statistics.mean(worker_cpu)
    print(
        f"in process: {wall_per_cell:.2f} s a cell, {sequential_cpu / sequential:.2f} cores busy "
        f"({sequential_cpu / cells:.2f} CPU-s a cell)"
    )
    print(
        f"on a worker: {steady:.2f} CPU-s a cell after the first; the first on each worker "
        f"{statistics.mean(firsts):.2f} CPU-s (one-time costs of a fresh process)"
    )
    print(
        f"bound with no start-up at all: {workers} x {wall_per_cell:.2f} / {steady:.2f} = "
        f"{workers * wall_per_cell / steady:.2f}x"
    )


if __name__ == "__main__":
    main()
