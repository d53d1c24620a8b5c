"""Experiment sweeps: a grid of config settings × seeds, each cell one ordinary pipeline
run (an MLflow child run under the sweep's parent run), run on Dask, then summarised.

- ``spec``: the sweep file's shape; ``overrides``: values set at config key paths;
  ``cells``: ``plan_sweep(path) -> Sweep``, every cell validated before any runs.
- ``cell_run``: ``run_cell(CellTask) -> CellOutcome``, one cell where it runs (a worker).
- ``parent_run``: the parent run, opened or reopened (``--resume``), and what finished.
- ``cluster``: the LocalCluster or existing cluster, and the stores its workers can share.
- ``execute``: ``run_sweep(sweep, ...) -> SweepResult`` and ``summarize(result)``.
- ``progress``: cells done, running, failed and the time left (drawn by the command line).
- ``tags``: the MLflow tag names the runner writes and the summary reads.

Nothing is imported here: ``import triage.sweep.tags`` stays light.

Layer: sweep, above the pipelines (a cell is a pipeline run) and below the command
line. May import every layer below.
"""
