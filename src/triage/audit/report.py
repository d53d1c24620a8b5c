"""Side effects of an audit: the terminal summary (rich) and the MLflow run.

Everything logged is an aggregate: group tables, disparities and flags as
JSON and CSV, and one disparity plot per audit. No row-level record leaves here.
"""

from __future__ import annotations

import math

import pandas as pd

from ._audit import AuditResult
from .groups import METRIC_LABELS
from .label_bias import LabelBiasAudit

SHOWN = ("n", "base_rate", "flag_rate", "fnr", "fpr", "for", "precision", "auc", "brier", "ece")
ABOUT = {
    "recorded": "flags against the recorded labels (what an audit on real data sees)",
    "true": "flags against the true outcomes (synthetic truth)",
    "labels": "the recorded label as a flag of the true outcome: "
    "FNR = harm never recorded, FPR = harm recorded that did not happen",
}


def _fmt(value, metric: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{int(value):,}" if metric == "n" else f"{value:.3f}"


def print_audit(result: AuditResult, console) -> None:
    """Layer 1 per feature (suppressed rows say so), then every flag with its interval."""
    from rich.table import Table

    s = result.settings
    console.print(
        f"[bold]{result.name}[/bold]: {s['n']:,} notices, label [cyan]{s['label']}[/cyan], "
        f"flagged when [cyan]{s['flag_rule']}[/cyan]; model inputs: {s['model_inputs']}"
    )
    if result.name in ABOUT:
        console.print(f"  ({ABOUT[result.name]})")
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


def print_label_bias(result: LabelBiasAudit, console) -> None:
    from rich.table import Table

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


def disparity_figure(result: AuditResult):
    """Ratios with intervals per metric against the band (log scale); a matplotlib Figure."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np

    d = result.disparities[~result.disparities["suppressed"]]
    d = d.assign(key=d["feature"] + ": " + d["group"])
    metrics = list(dict.fromkeys(d["metric"]))
    labels = list(dict.fromkeys(d["key"]))
    fig, axes = plt.subplots(
        1, len(metrics), figsize=(3.2 * len(metrics) + 2, 0.28 * len(labels) + 1.5),
        sharey=True, squeeze=False,
    )  # fmt: skip
    low, high = result.settings["band"]
    for ax, metric in zip(axes[0], metrics, strict=True):
        m = d[d["metric"] == metric].set_index("key").reindex(labels)
        y = np.arange(len(labels))
        colour = np.where(m["flag"].fillna(False).astype(bool), "tab:red", "tab:blue")
        ax.axvspan(low, high, color="0.9")
        ax.axvline(1.0, color="0.5", lw=0.8)
        ax.errorbar(
            m["ratio"], y,
            xerr=[(m["ratio"] - m["ratio_low"]).clip(lower=0), (m["ratio_high"] - m["ratio"]).clip(lower=0)],
            fmt="none", ecolor="0.4", lw=1,
        )  # fmt: skip
        ax.scatter(m["ratio"], y, c=colour, s=14, zorder=3)
        ax.set_xscale("log")
        ax.set_title(metric)
        ax.set_yticks(y, labels, fontsize=7)
        ax.invert_yaxis()
    fig.suptitle(f"{result.name}: ratio to the reference group (band {low:g}-{high:g})")
    fig.tight_layout()
    return fig


def log_audit_artifacts(result: AuditResult, *, prefix: str | None = None) -> None:
    """Log one audit's tables (JSON and CSV), counts of flags and its plot to the active run."""
    import matplotlib.pyplot as plt
    import mlflow

    p = prefix or f"audit/{result.name}"
    data = result.data()
    mlflow.log_dict(data, f"{p}/audit.json")
    mlflow.log_text(result.groups.to_csv(index=False), f"{p}/groups.csv")
    mlflow.log_text(result.disparities.to_csv(index=False), f"{p}/disparities.csv")
    mlflow.log_text(result.flags.to_csv(index=False), f"{p}/flags.csv")
    fig = disparity_figure(result)
    mlflow.log_figure(fig, f"{p}/disparities.png")
    plt.close(fig)
    d = result.disparities
    mlflow.log_metrics(
        {
            f"{result.name}.flags": float(d["flag"].sum()),
            f"{result.name}.disparities": float((~d["suppressed"]).sum()),
            f"{result.name}.suppressed_groups": float(result.groups["suppressed"].sum()),
        }
    )


def _params(settings: dict) -> dict[str, str]:
    return {f"audit.{k}": str(v)[:500] for k, v in settings.items()}


def log_audit(
    result: AuditResult | LabelBiasAudit,
    *,
    experiment: str = "fairness-audit",
    run_name: str = "audit",
    tags: dict[str, str] | None = None,
) -> str:
    """A new MLflow run holding the audit (and, for a label-bias audit, its three parts)."""
    import mlflow

    from triage.tracking import ensure_experiment, environment_tags, use_tracking

    uri = use_tracking()
    exp_id = ensure_experiment(experiment, uri)
    audits = result.audits if isinstance(result, LabelBiasAudit) else {result.name: result}
    first = next(iter(audits.values()))
    with mlflow.start_run(experiment_id=exp_id, run_name=run_name) as run:
        mlflow.set_tags({**environment_tags(), "kind": "fairness-audit", **(tags or {})})
        mlflow.log_params(_params(first.settings))
        for audit in audits.values():
            log_audit_artifacts(audit)
        if isinstance(result, LabelBiasAudit):
            mlflow.log_text(result.differences.to_csv(index=False), "audit/label_bias.csv")
            mlflow.log_dict({"differences": result.data()["differences"]}, "audit/label_bias.json")
    return run.info.run_id


def power_summary(table: pd.DataFrame, console) -> None:
    from rich.table import Table

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
