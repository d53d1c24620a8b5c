"""How well scores match outcome rates (calibration), and where tiers go wrong (tier confusion).

Both are judged against the truth, or against the recorded outcome and tier of a
run without ground truth (``ground_truth``).
"""

from __future__ import annotations

from typing import Any

from triage.contract.columns import RECORDED_TIER, TRUE_TIER
from triage.evaluation.reliability_diagram import reliability_diagram
from triage.report._text import METRICS, TEXT, WORDS, t
from triage.report.reader import RunRecord
from triage.report.sections import ground_truth
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
from triage.report.sections.routing_run import is_routing_run

CALIBRATION_METRICS: tuple[str, ...] = ("cal_slope", "cal_intercept", "ece")


def calibration_section(
    run: RunRecord, lang: str, candidates: list[str], figures: Figures
) -> Section:
    outcome = ground_truth.headline_outcome(run)
    logged = f"evaluation/reliability_{outcome}_outcome"
    data_path = f"{logged}.json"
    reliability = run.json(data_path)
    key, figure_notes = embed_figure(
        run,
        f"{logged}.png",
        figures,
        lang,
        draw=None
        if reliability is None
        else (data_path, lambda drawn_in: reliability_diagram(reliability, lang=drawn_in)),
    )
    rows: list[list[str]] = []
    data: dict[str, Any] = {}
    for cand in candidates:
        found = {n: cell(run.metrics, f"{outcome}.{cand}.{n}") for n in CALIBRATION_METRICS}
        cells = {k: v for k, v in found.items() if v is not None}
        if cells:
            data[cand] = cells
            rows.append([cand] + [interval(cells.get(n)) for n in CALIBRATION_METRICS])
    intro = t(TEXT if outcome == "true" else ground_truth.TEXT, "calibration_intro", lang)
    notes = [intro, *figure_notes] if key else [t(TEXT, "no_calibration_plot", lang)]
    tables = (
        [
            {
                "caption": t(WORDS, outcome, lang),
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
        figures=[{"key": key, "caption": intro}] if key else [],
        tables=tables,
        data={"candidates": data},
    )


def tiers_section(run: RunRecord, lang: str, candidates: list[str]) -> Section | None:
    """Tier confusion per candidate; ``None`` for a routing run, which suggests routes, not
    tiers (its routing section gives under- and over-routing instead)."""
    if is_routing_run(run):
        return None
    truth = ground_truth.has_ground_truth(run)
    outcome = ground_truth.headline_outcome(run)
    ref = TRUE_TIER if truth else RECORDED_TIER  # the rows of the logged confusion tables
    ref_label = t(WORDS, TRUE_TIER, lang) if truth else t(ground_truth.WORDS, ref, lang)
    tables: list[Table] = []
    data: dict[str, Any] = {}
    for cand in candidates:
        rows = run.csv(f"evaluation/tier_confusion_{cand}.csv")
        if not rows or ref not in rows[0]:
            continue
        cols = [c for c in rows[0] if c != ref]
        data[cand] = {
            "columns": cols,
            "rows": [[r[ref]] + [int(r[c]) for c in cols] for r in rows],
        }
        under = cell(run.metrics, f"{outcome}.{cand}.under_triage")
        caption = cand
        if under:
            caption += f" — {t(METRICS, 'under_triage', lang)} {interval(under)}"
            data[cand]["under_triage"] = under
        tables.append(
            {
                "caption": caption,
                "columns": [ref_label] + [tier_name(c, lang) for c in cols],
                "rows": [[tier_name(r[ref], lang)] + [r[c] for c in cols] for r in rows],
            }
        )
    if not tables:
        return section("tiers", lang, available=False, notes=[t(TEXT, "no_tiers", lang)])
    intro = t(TEXT if truth else ground_truth.TEXT, "tiers_intro", lang)
    return section("tiers", lang, notes=[intro], tables=tables, data=data)
