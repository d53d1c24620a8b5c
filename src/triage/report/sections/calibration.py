"""How well scores match outcome rates (calibration), and where tiers go wrong (tier confusion)."""

from __future__ import annotations

from typing import Any

from triage.contract.columns import TRUE_TIER
from triage.report._text import METRICS, TEXT, WORDS, t
from triage.report.reader import RunRecord
from triage.report.sections.common import (
    Figures,
    Section,
    Table,
    cell,
    embed_figure,
    interval,
    section,
    tier_name,
)

CALIBRATION_METRICS: tuple[str, ...] = ("cal_slope", "cal_intercept", "ece")


def calibration_section(
    run: RunRecord, lang: str, candidates: list[str], figures: Figures
) -> Section:
    key = embed_figure(run, "evaluation/reliability_true_outcome.png", figures)
    rows: list[list[str]] = []
    data: dict[str, Any] = {}
    for cand in candidates:
        found = {n: cell(run.metrics, f"true.{cand}.{n}") for n in CALIBRATION_METRICS}
        cells = {k: v for k, v in found.items() if v is not None}
        if cells:
            data[cand] = cells
            rows.append([cand] + [interval(cells.get(n)) for n in CALIBRATION_METRICS])
    notes = [t(TEXT, "calibration_intro", lang)] if key else [t(TEXT, "no_calibration_plot", lang)]
    tables = (
        [
            {
                "caption": t(WORDS, "true", lang),
                "columns": [t(WORDS, "candidate", lang)]
                + [t(METRICS, n, lang) for n in CALIBRATION_METRICS],
                "rows": rows,
            }
        ]
        if rows
        else []
    )
    return section(
        "calibration",
        lang,
        available=bool(key or rows),
        notes=notes,
        figures=[{"key": key, "caption": t(TEXT, "calibration_intro", lang)}] if key else [],
        tables=tables,
        data={"candidates": data},
    )


def tiers_section(run: RunRecord, lang: str, candidates: list[str]) -> Section:
    tables: list[Table] = []
    data: dict[str, Any] = {}
    for cand in candidates:
        rows = run.csv(f"evaluation/tier_confusion_{cand}.csv")
        if not rows:
            continue
        cols = [c for c in rows[0] if c != TRUE_TIER]
        data[cand] = {
            "columns": cols,
            "rows": [[r[TRUE_TIER]] + [int(r[c]) for c in cols] for r in rows],
        }
        under = cell(run.metrics, f"true.{cand}.under_triage")
        caption = cand
        if under:
            caption += f" — {t(METRICS, 'under_triage', lang)} {interval(under)}"
            data[cand]["under_triage"] = under
        tables.append(
            {
                "caption": caption,
                "columns": [t(WORDS, TRUE_TIER, lang)] + [tier_name(c, lang) for c in cols],
                "rows": [[tier_name(r[TRUE_TIER], lang)] + [r[c] for c in cols] for r in rows],
            }
        )
    if not tables:
        return section("tiers", lang, available=False, notes=[t(TEXT, "no_tiers", lang)])
    return section("tiers", lang, notes=[t(TEXT, "tiers_intro", lang)], tables=tables, data=data)
