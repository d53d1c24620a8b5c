"""Global explanations: which fields move the chosen model's scores, and whether that ranking
recovers the generator's true effects (the truth check; a run without ground truth says why it
has none)."""

from __future__ import annotations

from typing import Any

from triage.explain.figures import importance_figure, truth_check_figure
from triage.explain.importance import UNITS
from triage.report._text import METRICS, TEXT, WORDS, t
from triage.report.reader import RunRecord
from triage.report.sections import ground_truth, routing_run
from triage.report.sections.common import (
    Draw,
    Figures,
    Section,
    Table,
    embed_figure,
    field_label,
    fmt,
    section,
)

GLOBAL = "explanations/global.json"
TOP_FIELDS = 10
TRUTH_METRICS: tuple[str, ...] = ("truth.spearman", "truth.top5_overlap", "truth.margin_spearman")


def explanations_section(run: RunRecord, lang: str, figures: Figures) -> Section:
    g = run.json(GLOBAL)
    truth_keys = [k for k in TRUTH_METRICS if k in run.metrics]
    if not g:
        return section(
            "explanations",
            lang,
            available=False,
            notes=[routing_run.text(run, "no_explanations", lang)],
        )
    label = f"label_{lang}"
    importance = g.get("importance", [])[:TOP_FIELDS]
    tables: list[Table] = [
        {
            "caption": t(WORDS, "importance_table", lang),
            "columns": [t(WORDS, k, lang) for k in ("rank", "field", "contribution")],
            "rows": [
                [
                    str(r.get("rank", "")),
                    r.get(label) or field_label(r.get("feature", ""), lang),
                    fmt(r.get("mean_abs_contribution")),
                ]
                for r in importance
            ],
        }
    ]
    notes = [
        t(
            TEXT,
            "explanations_intro",
            lang,
            model=g.get("model", "?"),
            # the units are the explanation's own words (English); this version names them
            units=t(WORDS, "margin_units", lang)
            if g.get("units") == UNITS
            else g.get("units", "?"),
            n=g.get("n_notices", "?"),
        )
    ]
    if not ground_truth.has_ground_truth(run):
        notes.append(ground_truth.words("no_truth_check", lang))
    if truth_keys:
        tables.append(
            {
                "caption": t(TEXT, "truth_intro", lang),
                "columns": [t(WORDS, "metric", lang), t(WORDS, "value", lang)],
                "rows": [[t(METRICS, k, lang), fmt(run.metrics[k])] for k in truth_keys],
            }
        )
    figs = []
    for name, draw in _drawings(g).items():
        key, figure_notes = embed_figure(
            run,
            f"explanations/{name}.png",
            figures,
            lang,
            draw=None if draw is None else (GLOBAL, draw),
        )
        if key:
            figs.append({"key": key, "caption": t(TEXT, f"caption_{name}", lang)})
            notes += [n for n in figure_notes if n not in notes]
    data: dict[str, Any] = {
        "model": g.get("model"),
        "top_fields": g.get("top_fields", []),
        "importance": [
            {"feature": r.get("feature"), "mean_abs_contribution": r.get("mean_abs_contribution")}
            for r in importance
        ],
        "truth": {k: run.metrics[k] for k in truth_keys},
    }
    return section("explanations", lang, notes=notes, tables=tables, figures=figs, data=data)


def _drawings(g: dict[str, Any]) -> dict[str, Draw | None]:
    """The card's two figures, drawn from ``global.json`` when it holds their data."""
    importance = {
        r["feature"]: r["mean_abs_contribution"]
        for r in g.get("importance", [])
        if "feature" in r and r.get("mean_abs_contribution") is not None
    }
    truth = g.get("truth") or {}
    rows = truth.get("fields")
    nan = float("nan")
    return {
        "importance": (lambda lang: importance_figure(importance, lang=lang))
        if importance
        else None,
        "truth_check": (
            lambda lang: truth_check_figure(
                rows,
                spearman=truth.get("truth.spearman", nan),
                top5_overlap=truth.get("truth.top5_overlap", nan),
                lang=lang,
            )
        )
        if rows
        else None,
    }
