"""What ``triage synth --check`` prints: generated against published shares, then the oracle."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from triage.synth.check import ORACLE_AUC_RANGE, SHARE_TOLERANCE_PP, CheckReport

RIGHT = ("published", "generated", "gap (pp)")


def print_check_report(report: CheckReport, console: Console) -> None:
    table = Table(title=f"Generated vs published shares (n = {report.n:,})")
    for col in ("dimension", "category", "published FY", "published", "generated", "gap (pp)", ""):
        table.add_column(col, justify="right" if col in RIGHT else "left")
    for r in report.shares:
        table.add_row(
            r.dimension,
            r.category,
            str(r.fiscal_year),
            f"{100 * r.published:.2f}%",
            f"{100 * r.generated:.2f}%",
            f"{r.gap_pp:+.2f}",
            "ok" if r.ok else f"[red]off by more than {SHARE_TOLERANCE_PP:g} pp[/red]",
        )
    console.print(table)
    oracle = Table(title="Ground truth (oracle) figures")
    oracle.add_column("figure")
    oracle.add_column("value", justify="right")
    lo, hi = ORACLE_AUC_RANGE
    verdict = "ok" if report.oracle_ok else f"[red]outside {lo}-{hi}[/red]"
    oracle.add_row(
        f"oracle AUC of p_harm for harm_90d (expected {lo}-{hi})",
        f"{report.oracle_auc:.4f} {verdict}",
    )
    for name, value in report.figures.items():
        oracle.add_row(name, f"{100 * value:.2f}%" if name != "mean p_harm" else f"{value:.4f}")
    console.print(oracle)
    console.print("check: " + ("[green]passed[/green]" if report.ok else "[red]failed[/red]"))
