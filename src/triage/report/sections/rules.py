"""The national rules no model can lower (the safety floor), and DV-witness routing figures."""

from __future__ import annotations

import re
from typing import Any

from triage.report._text import TEXT, WORDS, t
from triage.report.reader import RunRecord
from triage.report.sections.common import (
    OUTCOMES,
    Section,
    Table,
    cell,
    fact,
    fmt,
    metric_table,
    section,
    tier_name,
)
from triage.report.sections.routing_run import ROUTING_CAPACITY
from triage.rules import RULES

ROUTING_METRICS: tuple[str, ...] = (
    "share_municipality",
    "under_routing",
    "over_routing",
    "auc",
    "auc_ratio",
)
ROUTING_SETTINGS: tuple[str, ...] = (ROUTING_CAPACITY, "routing.survey_municipality_share")
_CUT = re.compile(r"routing\.[a-z0-9_]+\.cut")


def safety_floor_section(lang: str) -> Section:
    rows = [
        [
            r.id,
            r.source,
            r.text_ja if lang == "ja" else r.text_en,
            tier_name(r.floor, lang) if r.floor else "—",
        ]
        for r in RULES
    ]
    return section(
        "safety_floor",
        lang,
        notes=[t(TEXT, "rules_intro", lang)],
        tables=[
            {
                "caption": t(TEXT, "rules_caption", lang),
                "columns": [t(WORDS, k, lang) for k in ("id", "source", "rule", "floor")],
                "rows": rows,
            }
        ],
        data={"rule_ids": [r.id for r in RULES]},
    )


def routing_section(run: RunRecord, lang: str, candidates: list[str]) -> Section | None:
    """DV-witness routing figures, when the run has them (``dv_witness_sorting``); else None."""
    m = run.metrics
    if not any(k.endswith(".share_municipality") for k in m):
        return None
    tables: list[Table] = []
    outcomes: dict[str, list[dict[str, Any]]] = {}
    data: dict[str, Any] = {"metrics": list(ROUTING_METRICS), "outcomes": outcomes}
    for outcome in OUTCOMES:
        rows: list[dict[str, Any]] = []
        for cand in candidates:
            found = {n: cell(m, f"{outcome}.{cand}.{n}") for n in ROUTING_METRICS}
            cells = {k: v for k, v in found.items() if v is not None}
            if "share_municipality" in cells:
                rows.append({"candidate": cand, "metrics": cells})
        if rows:
            outcomes[outcome] = rows
            tables.append(metric_table(t(WORDS, outcome, lang), rows, ROUTING_METRICS, lang))
    settings = {k: m[k] for k in ROUTING_SETTINGS if k in m}
    cuts = {k.split(".")[1]: v for k, v in m.items() if _CUT.fullmatch(k)}
    data.update({"settings": settings, "cuts": cuts})
    facts = [fact(k, _setting(k, v), lang) for k, v in settings.items()]
    if cuts:
        tables.append(
            {
                "caption": t(WORDS, "cuts", lang),
                "columns": [t(WORDS, "candidate", lang), t(WORDS, "cut", lang)],
                "rows": [[c, fmt(v)] for c, v in cuts.items()],
            }
        )
    share = settings.get("routing.survey_municipality_share")
    per_day = settings.get("routing.cgc_per_day")
    note = t(
        TEXT,
        "routing_intro",
        lang,
        survey="?" if share is None else f"{share:.0%}",
        per_day="?" if per_day is None else f"{per_day:g}",
    )
    return section("routing", lang, notes=[note], facts=facts, tables=tables, data=data)


def _setting(key: str, value: float) -> str:
    """A routing setting as configured: a share in percent, a capacity as the count it is."""
    return f"{value:.0%}" if key.endswith("_share") else f"{value:,.6g}"
