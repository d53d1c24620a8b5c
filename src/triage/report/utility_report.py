"""The aggregates-utility experiment's table, figure and card, logged as one MLflow run.

The figure has two panels against ε (log scale): AUC / oracle, and the
largest gap in missed harm between groups, one line per candidate with its
intervals; the rows themselves and each sdc level are horizontal reference
lines. The card (Markdown and self-contained HTML, ja/en) shows the table and
the figure and says where the loss comes from.
"""

from __future__ import annotations

import base64
import io
import re
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from triage.report.render import CSS

_TEXT: dict[str, tuple[str, str]] = {
    "title": (
        "集計表から学ぶモデルの有用性: 保護の水準ごとの損失",
        "Learning from aggregates: what each level of protection costs",
    ),
    "lead": (
        "シミュレーションした機関の記録から、訓練期間だけを集計表として公表し、そこから合成した通告で"
        "モデルを学習し、公表されていない検証期間の真の結果で評価した。",
        "From simulated agency records, only the training windows were released as tables; "
        "models were trained on notices synthesized from the release and judged on the "
        "unreleased test window against the truth.",
    ),
    "auc": ("AUC / オラクル", "AUC / oracle"),
    "gap": ("群間の見逃し率 (FNR) の最大差", "Largest group gap in missed harm (FNR)"),
    "eps": ("ε (対数目盛)", "ε (log scale)"),
    "rows": ("個票そのもの", "the rows themselves"),
    "table": ("水準ごとの結果 (95% 区間)", "Results by level (95% intervals)"),
}
SDC_STYLES = (":", "--", "-.")
_COLUMNS = (
    "level",
    "candidate",
    "auc_ratio",
    "ece",
    "under_triage",
    "recall_at_k_worst",
    "fnr_gap",
)


def _t(key: str, lang: str) -> str:
    ja, en = _TEXT[key]
    return ja if lang == "ja" else en


def _cell(row: pd.Series, metric: str) -> str:
    value = row.get(metric)
    if value is None or pd.isna(value):
        return "-"
    low, high = row.get(f"{metric}_low"), row.get(f"{metric}_high")
    if low is None or pd.isna(low):
        return f"{value:.3f}"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table as shown: estimate [low, high] per metric."""
    rows = []
    for _, row in table.iterrows():
        shown = {"level": row["level"], "candidate": row["candidate"]}
        shown |= {m: _cell(row, m) for m in _COLUMNS[2:]}
        shown["fnr_gap_group"] = row.get("fnr_gap_group", "")
        rows.append(shown)
    return pd.DataFrame(rows)


def utility_figure(table: pd.DataFrame, *, lang: str) -> bytes:
    """PNG of the two panels (AUC / oracle and the largest FNR gap) against ε."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from triage.explain.fonts import use_cjk_font

    use_cjk_font()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, metric, label in ((axes[0], "auc_ratio", "auc"), (axes[1], "fnr_gap", "gap")):
        for i, (cand, rows) in enumerate(table.groupby("candidate", sort=False)):
            color = f"C{i}"
            dp = rows[rows["method"] == "dp"].sort_values("value")
            if len(dp):
                lo = dp[metric] - dp[f"{metric}_low"]
                hi = dp[f"{metric}_high"] - dp[metric]
                ax.errorbar(dp["value"], dp[metric], yerr=[lo, hi], marker="o", color=color,
                            capsize=3, label=f"{cand} (dp)")  # fmt: skip
            refs = rows[rows["method"] != "dp"]
            for _, ref in refs.iterrows():
                style = "-" if ref["method"] == "rows" else SDC_STYLES[len(SDC_STYLES) // 2]
                ax.axhline(ref[metric], color=color, linestyle=style, linewidth=1, alpha=0.7)
            # one label per kind of reference line: the sdc levels lie within each other's intervals
            for method, name in (("rows", _t("rows", lang)), ("sdc", "sdc k = " + ", ".join(
                f"{v:g}" for v in refs.loc[refs["method"] == "sdc", "value"]))):  # fmt: skip
                values = refs.loc[refs["method"] == method, metric]
                if len(values):
                    ax.annotate(name, xy=(1.0, float(values.mean())), xycoords=("axes fraction", "data"),
                                fontsize=7, color=color, ha="right", va="bottom")  # fmt: skip
        epsilons = sorted(table.loc[table["method"] == "dp", "value"].unique())
        ax.set_xscale("log")
        if epsilons:
            ax.set_xticks(epsilons, [f"{e:g}" for e in epsilons])
            ax.minorticks_off()
        ax.set_xlabel(_t("eps", lang))
        ax.set_ylabel(_t(label, lang))
        ax.grid(alpha=0.3)
    if axes[0].get_legend_handles_labels()[0]:  # no dp level: the reference lines say it all
        axes[0].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def render_utility_html(table: pd.DataFrame, figure_png: bytes, *, lang: str) -> str:
    shown = display_table(table)
    head = "".join(f"<th>{escape(c)}</th>" for c in shown.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>"
        for row in shown.itertuples(index=False)
    )
    img = base64.b64encode(figure_png).decode()
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head><meta charset="utf-8"><title>{escape(_t("title", lang))}</title><style>{CSS}</style></head>
<body>
<h1>{escape(_t("title", lang))}</h1>
<p>{escape(_t("lead", lang))}</p>
<figure><img alt="{escape(_t("auc", lang))}" src="data:image/png;base64,{img}"></figure>
<h2>{escape(_t("table", lang))}</h2>
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
</body>
</html>
"""


def render_utility_markdown(table: pd.DataFrame, *, lang: str) -> str:
    shown = display_table(table)
    lines = [f"# {_t('title', lang)}", "", _t("lead", lang), "", f"## {_t('table', lang)}", ""]
    lines.append("| " + " | ".join(shown.columns) + " |")
    lines.append("|" + "---|" * len(shown.columns))
    lines += [
        "| " + " | ".join(str(v) for v in row) + " |" for row in shown.itertuples(index=False)
    ]
    lines += ["", "![figure](utility.png)", ""]
    return "\n".join(lines)


def metric_key(level: str, candidate: str, metric: str) -> str:
    """An MLflow-safe key: ``dp_eps_1.lightgbm.auc_ratio``, ``sdc_k_10...``, ``rows...``."""
    safe = re.sub(r"[^A-Za-z0-9_.]+", "_", level.replace("ε", "eps").replace("=", "_"))
    return f"{safe}.{candidate}.{metric}"


def write_utility_report(table: pd.DataFrame, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "utility.csv"]
    table.to_csv(written[0], index=False, lineterminator="\n")
    for lang in ("ja", "en"):
        png = utility_figure(table, lang=lang)
        fig = out / f"utility.{lang}.png" if lang == "ja" else out / "utility.png"
        fig.write_bytes(png)
        html = out / f"utility_card.{lang}.html"
        html.write_text(render_utility_html(table, png, lang=lang), "utf-8")
        md = out / f"utility_card.{lang}.md"
        md.write_text(render_utility_markdown(table, lang=lang), "utf-8")
        written += [fig, html, md]
    return written


def log_utility(cfg: Any, table: pd.DataFrame, *, reports: Path) -> tuple[str, Path]:
    """One MLflow run with the config, every figure of the table as a metric, and the card."""
    import tempfile

    import mlflow

    from triage.tracking import ensure_experiment, use_tracking

    uri = use_tracking()
    experiment_id = ensure_experiment(cfg.experiment, uri)
    keep = reports / cfg.name
    with mlflow.start_run(experiment_id=experiment_id, run_name=cfg.name) as run:
        mlflow.log_params(_flat(cfg.model_dump(mode="json")))
        metrics = {}
        for _, row in table.iterrows():
            for col, value in row.items():
                if isinstance(value, int | float) and not pd.isna(value) and col != "value":
                    metrics[metric_key(str(row["level"]), str(row["candidate"]), str(col))] = float(
                        value
                    )
        mlflow.log_metrics(metrics)
        with tempfile.TemporaryDirectory() as tmp:
            for path in write_utility_report(table, Path(tmp)):
                mlflow.log_artifact(str(path), artifact_path="utility")
        write_utility_report(table, keep)
    return run.info.run_id, keep


def _flat(obj: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(obj, dict):
        out: dict[str, str] = {}
        for key, value in obj.items():
            out |= _flat(value, f"{prefix}{key}.")
        return out
    return {prefix.rstrip("."): str(obj)}
