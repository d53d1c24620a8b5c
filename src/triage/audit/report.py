"""An audit's MLflow run: its tables, flags and disparity plot.

Everything logged is an aggregate: group tables, disparities and flags as
JSON and CSV, and one disparity plot per audit. No row-level record leaves here.
The terminal summary is the command line's (``triage.cli.printers_audit``).
"""

from __future__ import annotations

import pandas as pd

from ._audit import AuditResult
from .label_bias import LabelBiasAudit


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


def log_power(table: pd.DataFrame, *, experiment: str, params: dict[str, object]) -> str:
    """The power table (``power_table``) as an MLflow run of kind ``fairness-power``; its id."""
    import mlflow

    from triage.tracking import ensure_experiment, environment_tags, use_tracking

    uri = use_tracking()
    with mlflow.start_run(
        experiment_id=ensure_experiment(experiment, uri), run_name="audit-power"
    ) as run:
        mlflow.set_tags({**environment_tags(), "kind": "fairness-power"})
        mlflow.log_params(params)
        mlflow.log_text(table.to_csv(index=False), "audit/power.csv")
        mlflow.log_dict({"power": table.to_dict(orient="records")}, "audit/power.json")
    return str(run.info.run_id)
