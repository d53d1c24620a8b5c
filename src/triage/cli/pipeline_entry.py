"""``python pipelines/<name>.py --config ... --reports ...``: what ``mlflow run pipelines`` starts.

The run goes where ``triage run``'s would: the same store and the config's
experiment (``triage.tracking.project_launch``).
"""

from __future__ import annotations

import argparse
import sys

from triage.cli.consoles import console, err_console
from triage.contract.errors import TriageError


def main(name: str, argv: list[str] | None = None) -> None:
    from triage.cli.printers_run import print_run_result
    from triage.experiment.config import load_config
    from triage.experiment.data import resolve_path
    from triage.pipelines import run_pipeline
    from triage.tracking.project_launch import leave_launcher_run, point_launcher_run

    parser = argparse.ArgumentParser(description=f"Run the {name} pipeline (as `triage run`).")
    parser.add_argument("--config", default=f"configs/{name}.yaml")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--reports", default="reports", help="folder for the model card")
    args = parser.parse_args(argv)
    config = resolve_path(args.config)  # `mlflow run` starts us inside pipelines/
    try:
        cfg = load_config(config)
        launcher = leave_launcher_run(cfg.mlflow.experiment)
        result = run_pipeline(
            cfg,
            config_path=config,
            console=console,
            quiet=args.quiet,
            reports=resolve_path(args.reports),
        )
    except TriageError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        from triage.cli.run import exit_interrupted

        exit_interrupted()
    print_run_result(result, console)
    if launcher is not None:
        line = point_launcher_run(
            launcher, run_id=result.logged.run_id, experiment=cfg.mlflow.experiment
        )
        console.print(line, markup=False, highlight=False, soft_wrap=True)
