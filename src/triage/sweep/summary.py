"""``summarize_sweep``: the sweep's runs → its report, kept under ``reports/<sweep>/`` and
logged on the parent run under ``report/``.

It reads the tracking store only (``sweep_runs``), so it gives the same report after
``--resume`` or when the cells ran on other machines; the runner calls it once the last
cell has ended, and it can be called again at any time.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from triage.sweep.cell_table import cell_table
from triage.sweep.report import report_html, write_sweep_report
from triage.sweep.sweep_runs import read_sweep

if TYPE_CHECKING:
    from mlflow import MlflowClient

REPORT_ARTIFACTS = "report"
"""Where the parent run keeps the report, as a model run keeps its card."""


def summarize_sweep(client: MlflowClient, parent_run_id: str, reports_dir: Path) -> Path:
    """Write and log the sweep's report; the path of its Japanese HTML page."""
    sweep = read_sweep(client, parent_run_id)
    folder = Path(reports_dir) / report_folder_name(sweep.name)
    for path in write_sweep_report(sweep, cell_table(sweep), folder):
        client.log_artifact(parent_run_id, str(path), REPORT_ARTIFACTS)
    return folder / report_html("ja")


def report_folder_name(sweep_name: str) -> str:
    """The sweep's name as one folder name (a name is never a path out of ``reports/``)."""
    name = re.sub(r"[^\w.-]+", "_", sweep_name).strip("._")
    return name or "sweep"
