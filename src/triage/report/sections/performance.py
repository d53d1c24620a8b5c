"""Performance against both outcomes with intervals, and recall and precision as capacity varies.

Without ground truth there is one outcome, ``recorded``, and no oracle (``ground_truth``).
"""

from __future__ import annotations

import contextlib
from typing import Any

from triage.evaluation.capacity_curve import capacity_curve_figure
from triage.experiment.capacity_log import CURVE_DATA, CURVE_FIGURE
from triage.report._text import METRICS, TEXT, WORDS, t
from triage.report.reader import RunRecord
from triage.report.sections import ground_truth, routing_run
from triage.report.sections.common import (
    OUTCOMES,
    Figures,
    Section,
    Table,
    cell,
    embed_figure,
    fmt,
    metric_table,
    section,
)

PERFORMANCE_METRICS: tuple[str, ...] = (
    "auc",
    "auc_ratio",
    "brier",
    "ece",
    "under_triage",
    "recall_at_k_worst",
)


def performance_section(run: RunRecord, lang: str, candidates: list[str]) -> Section:
    m = run.metrics
    truth = ground_truth.has_ground_truth(run)
    # Without ground truth there is no oracle, so no AUC / oracle to show.
    metrics = tuple(n for n in PERFORMANCE_METRICS if truth or n != "auc_ratio")
    outcomes: dict[str, list[dict[str, Any]]] = {}
    data: dict[str, Any] = {
        "k": m.get("capacity.k"),
        "metrics": list(metrics),
        "outcomes": outcomes,
    }
    tables: list[Table] = []
    for outcome in OUTCOMES:
        rows: list[dict[str, Any]] = []
        for cand in candidates:
            found = {name: cell(m, f"{outcome}.{cand}.{name}") for name in metrics}
            cells = {k: v for k, v in found.items() if v is not None}
            if cells:
                rows.append({"candidate": cand, "metrics": cells})
        if rows:
            outcomes[outcome] = rows
            tables.append(metric_table(t(WORDS, outcome, lang), rows, metrics, lang))
    if not tables:
        return section(
            "performance", lang, available=False, notes=[t(TEXT, "no_performance", lang)]
        )
    level = run.params.get("evaluation.level", "0.95")
    with contextlib.suppress(ValueError):
        level = f"{float(level):.0%}"
    k = data["k"]
    words = {
        "level": level,
        "n_boot": run.params.get("evaluation.n_boot", "?"),
        "capacity": "" if k is None else t(TEXT, "capacity_k", lang, k=f"{k:,.0f}"),
    }
    if truth:
        note = routing_run.text(run, "perf_intro", lang, **words)
    else:
        note = t(ground_truth.TEXT, "perf_intro", lang, **words)
    return section("performance", lang, notes=[note], tables=tables, data=data)


def capacity_section(run: RunRecord, lang: str, figures: Figures) -> Section:
    curve = run.json(CURVE_DATA)
    outcome = ground_truth.headline_outcome(run)
    drawable = bool(curve) and outcome in curve.get("outcomes", {})
    key, figure_notes = embed_figure(
        run,
        CURVE_FIGURE,
        figures,
        lang,
        draw=(
            CURVE_DATA,
            lambda drawn_in: capacity_curve_figure(curve, outcome=outcome, lang=drawn_in),
        )
        if drawable
        else None,
    )
    caption = t(TEXT, "caption_capacity", lang)
    figs = [{"key": key, "caption": caption}] if key else []
    if not drawable:
        # A run with the figure but not its data still shows the figure, as logged.
        notes = [t(TEXT, "capacity_figure_only" if key else "no_capacity", lang), *figure_notes]
        return section("capacity", lang, available=False, notes=notes, figures=figs)
    by_cand = curve["outcomes"][outcome]
    per_day, ks = curve["per_day"], curve["k"]
    head = [t(WORDS, "candidate", lang)] + [
        f"{c:g}/{t(WORDS, 'day', lang)} (k={k:,})" for c, k in zip(per_day, ks, strict=True)
    ]
    tables: list[Table] = []
    data: dict[str, Any] = {"per_day": per_day, "k": ks, "outcome": outcome}
    data["configured_per_day"] = curve.get("configured_per_day")
    for what in ("recall", "precision"):
        name = f"{what}_at_k_worst"
        data[what] = {cand: m[name] for cand, m in by_cand.items()}
        tables.append(
            {
                "caption": f"{t(METRICS, name, lang)} ({t(WORDS, outcome, lang)})",
                "columns": head,
                "rows": [[cand] + [fmt(v) for v in m[name]] for cand, m in by_cand.items()],
            }
        )
    configured = curve.get("configured_per_day")
    note = t(
        TEXT if outcome == "true" else ground_truth.TEXT,
        "capacity_intro",
        lang,
        days=f"{curve['days']:.0f}",
        configured="?" if configured is None else f"{configured:g}",
    )
    return section(
        "capacity", lang, notes=[note, *figure_notes], tables=tables, figures=figs, data=data
    )
