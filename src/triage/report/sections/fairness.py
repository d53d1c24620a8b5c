"""The fairness section: the run's newest fairness audit (``triage audit --run``) as logged.

Each audit part (true outcome, recorded outcome, the labels themselves) shows its
flags and its group table; small groups stay suppressed, never shown as numbers.
A run without ground truth has one part: its audit against the recorded outcome,
which ``triage audit --run`` logs as a single audit (``logged_part``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from triage.audit.label_bias import RECORDED_LABEL
from triage.audit.report import disparity_figure
from triage.audit.runs import PREDICTIONS_PATH
from triage.contract.columns import RECORDED_HARM
from triage.experiment.routing_log import ROUTE_DECISION
from triage.report._text import TEXT, WORDS, t
from triage.report.reader import AuditSource, RunRecord
from triage.report.sections import audit_settings
from triage.report.sections.common import (
    Draw,
    Figures,
    Section,
    Table,
    audit_metric_label,
    count,
    embed_figure,
    fact,
    field_label,
    fmt,
    group_label,
    num,
    section,
)
from triage.report.sections.routing_run import is_routing_run

AUDITS: tuple[str, ...] = ("true", "recorded", "labels")
"""Parts of a fairness audit the card shows, in order (``audit/{name}/`` in the audit run)."""
GROUP_COLUMNS: tuple[str, ...] = ("n", "base_rate", "flag_rate", "fnr", "fpr", "precision")
SINGLE_AUDIT = "audit"
"""The name a single audit is logged under (``audit/audit/``, metrics ``audit.*``)."""


def logged_part(src: RunRecord, part: str) -> str:
    """The name an audit part was logged under (its folder and metric prefix): its own, except
    that a single audit against the recorded outcome (all there is to audit without ground
    truth) is the ``recorded`` part."""
    single = (
        part == "recorded"
        and f"{part}.flags" not in src.metrics
        and f"{SINGLE_AUDIT}.flags" in src.metrics
        and src.params.get("audit.label") == RECORDED_HARM
    )
    return SINGLE_AUDIT if single else part


def fairness_section(
    run: RunRecord, audit: AuditSource | None, lang: str, figures: Figures
) -> Section:
    if audit is None:
        return section("fairness", lang, available=False, notes=[_no_audit(run, lang)])
    src = audit.run
    tables: list[Table] = []
    figs: list[dict[str, str]] = []
    audits: dict[str, Any] = {}
    figure_notes: list[str] = []
    for name in AUDITS:
        decision = _decision(run, src, name)
        tb, fg, part_notes, data = _audit_part(src, name, lang, figures, decision)
        tables += tb
        figs += fg
        figure_notes += [n for n in part_notes if n not in figure_notes]
        if data:
            audits[name] = data
    p = src.params
    facts = [
        fact("audit_run", src.run_id, lang),
        fact("audit_n", p.get("audit.n"), lang),
        fact("audit_flag_rule", audit_settings.flag_rule(p.get("audit.flag_rule"), lang), lang),
        fact("audit_band", p.get("audit.band"), lang),
        fact("audit_min_n", p.get("audit.min_n"), lang),
        fact("audit_n_boot", p.get("audit.n_boot"), lang),
        fact(
            "audit_model_inputs",
            audit_settings.model_inputs(p.get("audit.model_inputs"), lang),
            lang,
        ),
    ]
    if not audits:
        return section(
            "fairness",
            lang,
            available=False,
            notes=[_no_audit(run, lang)],
            facts=facts,
        )
    notes = [t(TEXT, "fairness_intro", lang, run=src.run_id, n=audit.runs or 1), *figure_notes]
    data = {"audit_run_id": src.run_id, "audit_runs": audit.runs, "audits": audits}
    return section(
        "fairness", lang, notes=notes, facts=facts, tables=tables, figures=figs, data=data
    )


def _decision(run: RunRecord, src: RunRecord, part: str) -> str | None:
    """What an audit part judged, which gives its false negatives their name: the recorded
    label (the ``labels`` part), else as the audit logged it; an audit logged before audits
    named it judged a routing run's routes, or an intake run's tiers."""
    if part == "labels":
        return RECORDED_LABEL
    logged = src.params.get("audit.decision")
    if logged:
        return logged
    return ROUTE_DECISION if is_routing_run(run) else None


def _no_audit(run: RunRecord, lang: str) -> str:
    """What to do about a missing audit: run it when the run logged its test predictions,
    else make the run again (an audit of a run without them cannot work)."""
    if run.has(PREDICTIONS_PATH):
        return t(TEXT, "no_fairness", lang, run=run.run_id)
    return t(TEXT, "no_fairness_remake", lang, path=PREDICTIONS_PATH)


def disparities(src: RunRecord, part: str) -> dict[tuple[str, str, str], dict[str, Any]]:
    """An audit part's unsuppressed disparities by (feature, group, metric): ratio and flag."""
    rows = src.csv(f"audit/{logged_part(src, part)}/disparities.csv") or []
    return {
        (r["feature"], r["group"], r["metric"]): {
            "ratio": num(r.get("ratio")),
            "flag": str(r.get("flag", "")).lower() == "true",
        }
        for r in rows
        if str(r.get("suppressed", "")).lower() != "true"
    }


def _audit_part(
    src: RunRecord, name: str, lang: str, figures: Figures, decision: str | None
) -> tuple[list[Table], list[dict[str, str]], list[str], dict[str, Any]]:
    """One audit part (true / recorded / labels): its flags, its group table and its figure
    (with the figure's notes), as logged."""
    logged = logged_part(src, name)
    groups = src.csv(f"audit/{logged}/groups.csv")
    if groups is None:
        return [], [], [], {}
    flags = src.csv(f"audit/{logged}/flags.csv") or []
    title = t(WORDS, f"audit_{name}", lang)
    n_flags = src.metrics.get(f"{logged}.flags")
    n_disp = src.metrics.get(f"{logged}.disparities")
    flag_rows: list[dict[str, Any]] = [
        {
            "feature": r["feature"],
            "group": r["group"],
            "reference": r["reference"],
            "metric": r["metric"],
            **{
                k: num(r.get(k))
                for k in ("value", "reference_value", "ratio", "ratio_low", "ratio_high")
            },
        }
        for r in flags
    ]
    tables: list[Table] = [
        {
            "caption": f"{title}: {t(WORDS, 'flags', lang)} "
            f"({t(TEXT, 'flag_count', lang, flags=count(n_flags), of=count(n_disp))})",
            "columns": [t(WORDS, k, lang) for k in ("feature", "group", "vs", "metric")]
            + [t(WORDS, "value", lang), t(WORDS, "ratio", lang)],
            "rows": [
                [
                    field_label(f["feature"], lang),
                    group_label(f["feature"], f["group"], lang),
                    group_label(f["feature"], f["reference"], lang),
                    audit_metric_label(f["metric"], lang, decision),
                    t(
                        WORDS,
                        "versus",
                        lang,
                        value=fmt(f["value"]),
                        reference=fmt(f["reference_value"]),
                    ),
                    f"{fmt(f['ratio'])} [{fmt(f['ratio_low'])}, {fmt(f['ratio_high'])}]",
                ]
                for f in flag_rows
            ]
            or [[t(WORDS, "none", lang), "", "", "", "", ""]],
        }
    ]
    cols = [c for c in GROUP_COLUMNS if groups and c in groups[0]]
    group_rows, shown = [], []
    for r in groups:
        suppressed = str(r.get("suppressed", "")).lower() == "true"
        values = {} if suppressed else {c: num(r.get(c)) for c in cols}
        group_rows.append(
            {"feature": r["feature"], "group": r["group"], "suppressed": suppressed, **values}
        )
        label = [field_label(r["feature"], lang), group_label(r["feature"], r["group"], lang)]
        if suppressed:
            shown.append(label + [t(WORDS, "suppressed", lang)] + [""] * (len(cols) - 1))
        else:
            shown.append(label + [count(values[c]) if c == "n" else fmt(values[c]) for c in cols])
    tables.append(
        {
            "caption": f"{title}: {t(WORDS, 'groups', lang)}",
            "columns": [t(WORDS, "feature", lang), t(WORDS, "group", lang)]
            + [audit_metric_label(c, lang, decision) for c in cols],
            "rows": shown,
        }
    )
    figs = []
    notes: list[str] = []
    if name != "labels":
        key, notes = embed_figure(
            src,
            f"audit/{logged}/disparities.png",
            figures,
            lang,
            draw=_drawing(src, f"audit/{logged}/audit.json", title, decision),
        )
        if key:
            figs.append({"key": key, "caption": t(TEXT, "caption_disparities", lang, part=title)})
    data = {"flags": n_flags, "disparities": n_disp, "flag_rows": flag_rows, "groups": group_rows}
    return tables, figs, notes, data


def _drawing(
    src: RunRecord, path: str, title: str, decision: str | None
) -> tuple[str, Draw] | None:
    """The disparity figure drawn from the part's logged ``audit.json``, if it holds its data."""
    logged = src.json(path) or {}
    band = (logged.get("settings") or {}).get("band")
    rows = logged.get("disparities")
    if not rows or not band:
        return None
    table = pd.DataFrame(rows)
    return path, lambda lang: disparity_figure(
        table, band=band, name=title, lang=lang, decision=decision
    )
