"""What ``triage synth`` prints: the notes on a user's aggregates table (rows left out,
margins from the national figures), and for ``--check`` generated against published
shares, then the oracle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from triage.synth.calibrate import AggregatesTable, Target
from triage.synth.check import (
    MIN_N,
    ORACLE_AUC_RANGE,
    SHARE_ALLOWANCE_PP,
    SHARE_Z,
    CheckReport,
)

RIGHT = ("published", "generated", "gap (pp)", "tolerance (pp)")
NOT_JUDGED = "not judged"
LEFT_OUT_SHOWN = 20
"""Rows left out that are named one by one; the rest are counted (the manifest lists all)."""


def left_out_lines(path: str, table: AggregatesTable | None) -> list[str]:
    """``warning: FILE: line N: why; left out`` for each row of a user's table left out."""
    if table is None:
        return []
    lines = [
        f"warning: {path}: line {row.line}: {row.reason}; left out"
        for row in table.left_out[:LEFT_OUT_SHOWN]
    ]
    more = len(table.left_out) - LEFT_OUT_SHOWN
    if more > 0:
        lines.append(f"warning: {path}: {more:,} more rows left out")
    return lines


def fallback_lines(targets: dict[str, Target]) -> list[str]:
    """A note for each margin that came from the national figures although a table was given."""
    return [
        f"note: {dim} from the national figures, FY{t.fiscal_year}: {t.fallback}"
        for dim, t in targets.items()
        if t.fallback
    ]


def aggregates_summary(table: AggregatesTable, targets: dict[str, Target]) -> str:
    """``calibrated to FILE (national figures for ...)`` for the line that ends a run."""
    national = [dim for dim, t in targets.items() if t.fallback]
    return f"calibrated to {table.name}" + (
        f" (national figures for {', '.join(national)})" if national else ""
    )


def manifest_aggregates_lines(
    folder: Path, manifest: dict[str, Any], given: Path | None, table: AggregatesTable | None
) -> list[str]:
    """Whether ``--check`` compares with the table the folder was made from (its manifest says)."""
    made_from = manifest.get("aggregates") or {}
    if table is None:
        if not made_from:
            return []
        return [
            f"note: {folder} was calibrated to {made_from.get('file')} (its manifest); this check "
            f"compares with the national figures (give --aggregates {made_from.get('file')} to "
            "compare with that table)"
        ]
    if made_from.get("sha256") == table.sha256:
        return []
    was = f"{made_from.get('file')} (another sha256)" if made_from else "the national figures"
    return [
        f"warning: {folder} was calibrated to {was} (its manifest), not to {given}; "
        f"this check compares with {given}"
    ]


def tolerance_rule() -> str:
    """How each share's tolerance is made, in words the table's title uses."""
    return f"{SHARE_ALLOWANCE_PP:g} pp + {SHARE_Z:g} standard errors at n"


def cannot_judge_line(n: int) -> str:
    """The verdict for a data set under ``MIN_N`` notices."""
    return (
        f"check: cannot judge {n:,} notices: the tolerances come from the sampling error at n, "
        f"and under {MIN_N:,} notices they are too wide to tell a right generator from a wrong "
        f"one; generate at least {MIN_N:,} (e.g. --n {MIN_N}) and check again"
    )


def failed_line(report: CheckReport) -> str:
    """The verdict for a failed check, naming each row off and the oracle if it is."""
    parts = [
        f"{r.label} off by {r.gap_pp:+.2f} pp (tolerance ±{r.tolerance_pp:.2f})" for r in report.off
    ]
    if not report.oracle_ok:
        lo, hi = report.oracle_range
        parts.append(f"oracle AUC {report.oracle_auc:.4f} outside {lo:.3f}-{hi:.3f}")
    return "check: failed: " + "; ".join(parts)


def print_check_report(report: CheckReport, console: Console) -> None:
    judged = report.judgeable
    table = Table(
        title=f"Generated vs published shares (n = {report.n:,}; tolerance {tolerance_rule()})"
    )
    for col in (
        "dimension", "category", "published FY", "published", "generated", "gap (pp)",
        "tolerance (pp)", "",
    ):  # fmt: skip
        table.add_column(col, justify="right" if col in RIGHT else "left")
    for r in report.shares:
        if not judged:
            verdict = NOT_JUDGED
        elif r.ok:
            verdict = "ok"
        else:
            verdict = f"[red]off by more than {r.tolerance_pp:.2f} pp[/red]"
        table.add_row(
            r.dimension,
            r.category,
            str(r.fiscal_year),
            f"{100 * r.published:.2f}%",
            f"{100 * r.generated:.2f}%",
            f"{r.gap_pp:+.2f}",
            f"±{r.tolerance_pp:.2f}",
            verdict,
        )
    console.print(table)
    oracle = Table(title="Ground truth (oracle) figures")
    oracle.add_column("figure")
    oracle.add_column("value", justify="right")
    lo, hi = ORACLE_AUC_RANGE
    wlo, whi = report.oracle_range
    if not judged:
        verdict = NOT_JUDGED
    elif report.oracle_ok:
        verdict = "ok"
    else:
        verdict = f"[red]outside {wlo:.3f}-{whi:.3f}[/red]"
    oracle.add_row(
        f"oracle AUC of p_harm for harm_90d (expected {lo}-{hi}; "
        f"± {SHARE_Z:g} SE at n: {wlo:.3f}-{whi:.3f})",
        f"{report.oracle_auc:.4f} ± {report.oracle_auc_se:.4f} {verdict}",
    )
    for name, value in report.figures.items():
        oracle.add_row(name, f"{100 * value:.2f}%" if name != "mean p_harm" else f"{value:.4f}")
    console.print(oracle)
    if report.verdict == "cannot judge":
        console.print(escape(cannot_judge_line(report.n)), soft_wrap=True)
    elif report.verdict == "failed":
        line = escape(failed_line(report)).replace("failed", "[red]failed[/red]", 1)
        console.print(line, soft_wrap=True)
    else:
        console.print("check: [green]passed[/green]")
