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


def _in_process(sweep, uri: str, reports: Path) -> tuple[float, list]:
    """The cells one after another in this process, under a parent of their own."""
    from mlflow import MlflowClient

    from triage.sweep.cell_run import CellTask, run_cell
    from triage.sweep.parent_run import open_parent
    from triage.tracking import ensure_experiment

    client = MlflowClient(uri)
    experiment_id = ensure_experiment(sweep.experiment, uri)
    parent = open_parent(client, experiment_id, sweep, earlier=None)
    started = time.perf_counter()
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
    wall = time.perf_counter() - started
    parent.close("FINISHED")
    return wall, outcomes


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
        sequential, seq_outcomes = _in_process(sweep, uri, root / "reports")
        started = time.perf_counter()
        result = run_sweep(sweep, workers=args.workers, reports=root / "reports")
        parallel = time.perf_counter() - started

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


if __name__ == "__main__":
    main()
