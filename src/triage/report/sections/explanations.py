"""Global explanations: which fields move the chosen model's scores, and whether that ranking
recovers the generator's true effects (the truth check; a run without ground truth says why it
has none)."""

from __future__ import annotations

from typing import Any

from triage.report._text import METRICS, TEXT, WORDS, t
from triage.report.reader import RunRecord
from triage.report.sections import ground_truth
from triage.report.sections.common import (
    Figures,
    Section,
    Table,
    embed_figure,
    field_label,
    fmt,
    section,
)

TOP_FIELDS = 10
TRUTH_METRICS: tuple[str, ...] = ("truth.spearman", "truth.top5_overlap", "truth.margin_spearman")


def explanations_section(run: RunRecord, lang: str, figures: Figures) -> Section:
    g = run.json("explanations/global.json")
    truth_keys = [k for k in TRUTH_METRICS if k in run.metrics]
    if not g:
        return section(
            "explanations", lang, available=False, notes=[t(TEXT, "no_explanations", lang)]
        )
    label = f"label_{lang}"
    importance = g.get("importance", [])[:TOP_FIELDS]
    tables: list[Table] = [
        {
            "caption": "explanations/global.json",
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
            units=g.get("units", "?"),
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
    for name in ("importance", "truth_check"):
        key = embed_figure(run, f"explanations/{name}.png", figures)
        if key:
            figs.append({"key": key, "caption": f"explanations/{name}.png"})
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
