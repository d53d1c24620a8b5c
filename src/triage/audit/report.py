"""An audit's MLflow run: its tables, flags and disparity plot.

Everything logged is an aggregate: group tables, disparities and flags as
JSON and CSV, and one disparity plot per audit. No row-level record leaves here.
The terminal summary is the command line's (``triage.cli.printers_audit``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from triage import labels
from triage.evaluation.figure_text import figure_text
from triage.explain.figures import figure_lang
from triage.labels.catalogue import AUDIT_METRIC_LABELS, AUDIT_METRIC_LABELS_BY_DECISION

from ._audit import AuditResult
from .label_bias import LabelBiasAudit


def disparity_figure(
    disparities: pd.DataFrame,
    *,
    band: Sequence[float],
    name: str,
    lang: str = "en",
    decision: str | None = None,
) -> Figure:
    """Ratios with intervals per metric against the band (log scale); a matplotlib Figure.

    ``disparities`` is an audit's disparity table (``AuditResult.disparities``, or the
    ``disparities`` of its logged ``audit.json``); ``name`` titles it as given. Drawn at
    audit time and again, in its language, for a model card: fields, groups and metrics
    in ``figure_lang(lang)`` (English when Japanese is asked for and no CJK font is installed).
    ``decision`` is the audited decision (``settings["decision"]``): a route's misses are
    under-routing, a tier's under-triage.
    """
    lang = figure_lang(lang)
    d = disparities[~disparities["suppressed"].astype(bool)]
    d = d.assign(
        key=[_row_label(f, g, lang) for f, g in zip(d["feature"], d["group"], strict=True)]
    )
    metrics = list(dict.fromkeys(d["metric"]))
    labels = list(dict.fromkeys(d["key"]))
    fig = Figure(
        figsize=(3.2 * max(len(metrics), 1) + 2, 0.28 * len(labels) + 1.5), layout="constrained"
    )
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, max(len(metrics), 1), sharey=True, squeeze=False)
    low, high = band
    for ax, metric in zip(axes[0], metrics, strict=False):
        m = d[d["metric"] == metric].set_index("key").reindex(labels)
        ratio, ratio_low, ratio_high = (
            m[c].astype(float) for c in ("ratio", "ratio_low", "ratio_high")
        )
        y = np.arange(len(labels))
        colour = np.where(m["flag"].fillna(False).astype(bool), "tab:red", "tab:blue")
        ax.axvspan(low, high, color="0.9")
        ax.axvline(1.0, color="0.5", lw=0.8)
        ax.errorbar(
            ratio, y,
            xerr=[(ratio - ratio_low).clip(lower=0), (ratio_high - ratio).clip(lower=0)],
            fmt="none", ecolor="0.4", lw=1,
        )  # fmt: skip
        ax.scatter(ratio, y, c=colour, s=14, zorder=3)
        ax.set_xscale("log")
        ax.set_title(audit_metric_label(metric, lang, decision))
        ax.set_yticks(y, labels, fontsize=7)
        ax.invert_yaxis()
    fig.suptitle(figure_text("disparity_title", lang, name=name, low=low, high=high))
    return fig


# A group the catalogue has no words for (a derived band, a local field) shows its raw name.


def _row_label(feature: str, group: str, lang: str) -> str:
    try:
        return labels.factor_label(feature, group, lang)
    except (KeyError, ValueError):
        return f"{feature}: {group}"


def audit_metric_label(metric: str, lang: str, decision: str | None = None) -> str:
    """A metric's words in ``lang`` for the decision audited (its code when it has none)."""
    pair = AUDIT_METRIC_LABELS_BY_DECISION.get(decision or "", {}).get(metric)
    pair = pair or AUDIT_METRIC_LABELS.get(metric)
    return metric if pair is None else pair[labels.LANGS.index(lang)]


def log_audit_artifacts(result: AuditResult, *, prefix: str | None = None) -> None:
    """Log one audit's tables (JSON and CSV), counts of flags and its plot to the active run."""
    import mlflow

    p = prefix or f"audit/{result.name}"
    data = result.data()
    mlflow.log_dict(data, f"{p}/audit.json")
    mlflow.log_text(result.groups.to_csv(index=False), f"{p}/groups.csv")
    mlflow.log_text(result.disparities.to_csv(index=False), f"{p}/disparities.csv")
    mlflow.log_text(result.flags.to_csv(index=False), f"{p}/flags.csv")
    fig = disparity_figure(
        result.disparities,
        band=result.settings["band"],
        name=result.name,
        decision=result.settings.get("decision"),
    )
    mlflow.log_figure(fig, f"{p}/disparities.png")
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
