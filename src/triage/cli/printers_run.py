"""What ``triage run`` prints of a pipeline's result: the figures table, the card, the run."""

from __future__ import annotations

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from triage.cli.run import promote_command
from triage.experiment.assessment import Assessment
from triage.experiment.routing import ORACLE, ORACLE_CUT
from triage.experiment.routing_assessment import RoutingAssessment
from triage.experiment.run_log import LoggedRun
from triage.pipelines.results import PipelineResult, RoutingResult
from triage.tracking import ui_hint

HEADLINE_COLUMNS = {
    "auc": "AUC",
    "auc_ratio": "AUC / oracle",
    "brier": "Brier",
    "ece": "ECE",
    "under_triage": "under-triage",
    "recall_at_k_worst": "recall at capacity",
}
ROUTING_COLUMNS = {
    "share_municipality": "share to municipality",
    "under_routing": "under-routing",
    "over_routing": "over-routing",
    "auc": "AUC (cgc)",
    "auc_ratio": "AUC / oracle",
}


def print_run_result(result: PipelineResult, console: Console) -> None:
    """The result table, where the model card is, and the logged run with how to look at it."""
    if isinstance(result, RoutingResult):
        print_routing(
            result.assessment, console, survey_share=result.survey_share, capacity=result.capacity
        )
    else:
        print_headline(result.assessment, console, outcome=result.assessment.headline_outcome)
    console.print(
        f"model card (ja): {result.card_dir}/model_card.html; also under report/ in the run"
    )
    # soft_wrap: the commands it prints stay on one line, to be copied as printed
    console.print(run_summary(result.logged), markup=False, highlight=False, soft_wrap=True)


def run_summary(logged: LoggedRun) -> str:
    return "\n".join(
        [
            f"chosen candidate: {logged.chosen} → registered as models:/{logged.model_name}/{logged.model_version} "
            f"(alias @{logged.alias})",
            f"MLflow run {logged.run_id} in experiment {logged.experiment_id} at {logged.tracking_uri}",
            f"look at it with: {ui_hint(logged.tracking_uri)}",
            "promotion to @champion is a person's decision, never automatic: "
            + promote_command(logged.model_version, logged.model_name),
        ]
    )


def print_headline(assessment: Assessment, console: Console, *, outcome: str = "true") -> None:
    table = Table(
        title=f"Test period, {outcome} outcome: estimate [95% interval]; recall in the top k = {assessment.k:,} (capacity)"
    )
    fill_interval_table(table, assessment.headline(outcome), HEADLINE_COLUMNS)
    console.print(table)


def print_routing(
    assessment: RoutingAssessment, console: Console, *, survey_share: float, capacity: str
) -> None:
    pct = round(100 * assessment.level)
    table = Table(
        title=(
            f"DV-witness routing, test period, true route: estimate [{pct}% interval]; "
            f"survey reference: centres judged {100 * survey_share:.0f}% of these notices mild "
            "(municipality) in 2023"
        ),
        caption=(
            f"{capacity}. under-routing: truly CGC notices sent to the municipality; "
            f"over-routing: truly municipal notices sent to the CGC. {ORACLE}: p_harm at the "
            f"capacity cut; {ORACLE_CUT}: p_harm at the spec's urgent cut (the true route)."
        ),
    )
    fill_interval_table(table, assessment.headline(), ROUTING_COLUMNS)
    console.print(table)


def fill_interval_table(table: Table, head: pd.DataFrame, columns: dict[str, str]) -> None:
    """One row per candidate of ``head`` (cells: (estimate, low, high)), one column per metric."""
    table.add_column("candidate")
    for label in columns.values():
        table.add_column(label, justify="right")
    for cand, row in head.iterrows():
        cells = []
        for metric in columns:
            value = row.get(metric)
            if not isinstance(value, tuple):
                cells.append("—")
            else:
                est, lo, hi = value
                cells.append(f"{est:.3f} [{lo:.3f}, {hi:.3f}]" if np.isfinite(lo) else f"{est:.3f}")
        table.add_row(str(cand), *cells)
