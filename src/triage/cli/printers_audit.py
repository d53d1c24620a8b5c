"""What ``triage audit`` prints: each audit's groups and flags, label bias, the power table."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from triage.audit import AuditResult, LabelBiasAudit
from triage.audit.groups import METRIC_LABELS
from triage.audit.report import audit_metric_label
from triage.notices import is_missing

SHOWN = ("n", "base_rate", "flag_rate", "fnr", "fpr", "for", "precision", "auc", "brier", "ece")
ABOUT = {
    "recorded": "flags against the recorded labels (what an audit on real data sees)",
    "true": "flags against the true outcomes (synthetic truth)",
    "labels": "the recorded label as a flag of the true outcome: "
    "FNR = a true outcome never recorded, FPR = an outcome recorded that was not true",
}


def _fmt(value: Any, metric: str) -> str:
    if is_missing(value):
        return "-"
    return f"{int(value):,}" if metric == "n" else f"{value:.3f}"


def print_audit(result: AuditResult, console: Console) -> None:
    """Layer 1 per feature (suppressed rows say so), then every flag with its interval."""
    s = result.settings
    console.print(
        f"[bold]{result.name}[/bold]: {s['n']:,} notices, label [cyan]{s['label']}[/cyan], "
        f"flagged when [cyan]{s['flag_rule']}[/cyan]; model inputs: {s['model_inputs']}"
    )
    if result.name in ABOUT:
        console.print(f"  ({ABOUT[result.name]})")
    # What a miss is depends on the decision audited: a tier's is under-triage, a route's
    # under-routing; said once, as the card and the figure say it.
    console.print(f"  fnr: {audit_metric_label('fnr', 'en', s.get('decision'))}", markup=False)
    cols = [c for c in SHOWN if c in result.groups.columns]
    table = Table(show_lines=False, title="layer 1: groups (reference marked *)")
    table.add_column("feature")
    table.add_column("group")
    for c in cols:
        table.add_column(METRIC_LABELS[c] if c in ("n",) else c, justify="right")
    for row in result.groups.to_dict(orient="records"):
        ref = result.references.get(row["feature"]) == row["group"]
        name = f"{row['group']}{' *' if ref else ''}"
        if row["suppressed"]:
            table.add_row(
                row["feature"], name, f"suppressed (n < {s['min_n']})", *[""] * (len(cols) - 1)
            )
        else:
            table.add_row(row["feature"], name, *[_fmt(row[c], c) for c in cols])
    console.print(table)
    d = result.disparities
    flags = d[d["flag"]]
    band = f"{s['band'][0]:g}-{s['band'][1]:g}"
    console.print(
        f"layers 2-3: {len(d[~d['suppressed']])} disparities against the reference, "
        f"{len(flags)} flagged (ratio outside {band} and its {s['level']:.0%} interval "
        f"excludes 1; {s['n_boot']} bootstrap resamples)"
    )
    if len(flags):
        ft = Table(title="flags")
        for c in (
            "feature",
            "group",
            "vs",
            "metric",
            "value",
            "ratio [interval]",
            "difference [interval]",
        ):
            ft.add_column(
                c, justify="right" if c not in ("feature", "group", "vs", "metric") else "left"
            )
        for r in flags.itertuples(index=False):
            ft.add_row(
                r.feature, r.group, r.reference, r.metric,
                f"{r.value:.3f} vs {r.reference_value:.3f}",
                f"{r.ratio:.2f} [{r.ratio_low:.2f}, {r.ratio_high:.2f}]",
                f"{r.difference:+.3f} [{r.difference_low:+.3f}, {r.difference_high:+.3f}]",
            )  # fmt: skip
        console.print(ft)


def print_label_bias(result: LabelBiasAudit, console: Console) -> None:
    for audit in result.audits.values():
        print_audit(audit, console)
        console.print()
    diff = result.differences
    diff = diff[
        ~diff["suppressed"] & diff["metric"].isin(["base_rate", "fnr", "fpr", "for", "precision"])
    ]
    wide = diff.pivot_table(
        index=["feature", "group"], columns="metric", values="difference", sort=False
    )
    table = Table(title="label bias: recorded minus true, per group")
    table.add_column("feature")
    table.add_column("group")
    for c in wide.columns:
        table.add_column(c, justify="right")
    for (feature, group), row in wide.iterrows():
        table.add_row(feature, group, *[f"{v:+.3f}" for v in row])
    console.print(table)


def print_power_table(table: pd.DataFrame, console: Console) -> None:
    t = Table(title="power table: share of simulations flagging the planted group")
    for c in ("effect (log-odds)", "n", "sims", "median ratio", "power", "chance (other groups)"):
        t.add_column(c, justify="right")
    for r in table.itertuples(index=False):
        t.add_row(
            f"{r.effect:g}", f"{r.n:,}", str(r.sims), f"{r.ratio:.2f}", f"{r.power:.2f}",
            f"{r.other_flag_rate:.3f}",
        )  # fmt: skip
    console.print(t)
    first = table.iloc[0]
    console.print(
        f"planted: recording.{first.mechanism} term on {first.feature}={first.group} "
        f"(metric {first.metric} of the recorded labels against the true outcomes); "
        "every other recording bias switched off"
    )
