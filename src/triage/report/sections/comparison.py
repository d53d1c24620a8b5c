"""Comparison with the champion: the chosen candidate's metrics and audit flags beside those of
the registered model's ``@champion``, so a reviewer sees what promoting this run would change.

Metrics are compared on the true outcome when both runs had ground truth, else on the
recorded outcome (``ground_truth``)."""

from __future__ import annotations

from typing import Any

from triage.report._text import METRICS, TEXT, WORDS, t
from triage.report.reader import AuditSource, Champion, RunRecord
from triage.report.sections import ground_truth
from triage.report.sections.common import (
    Section,
    Table,
    audit_metric_label,
    count,
    field_label,
    fmt,
    group_label,
    section,
)
from triage.report.sections.fairness import AUDITS, disparities, logged_part

COMPARISON_METRICS: tuple[str, ...] = ("auc", "brier", "ece", "under_triage", "recall_at_k_worst")


def comparison_section(
    run: RunRecord, audit: AuditSource | None, champion: Champion | None, lang: str
) -> Section:
    name = run.params.get("mlflow.registered_model")
    if not name:
        return section("comparison", lang, available=False, notes=[t(TEXT, "no_registry", lang)])
    if champion is None:
        return section(
            "comparison", lang, available=False, notes=[t(TEXT, "no_champion", lang, model=name)]
        )
    version, champion_run_id = champion.version, champion.run_id
    if champion_run_id == run.run_id:
        return section(
            "comparison",
            lang,
            available=False,
            notes=[t(TEXT, "champion_is_self", lang, model=name, version=version)],
            data={"champion_version": version, "champion_run_id": champion_run_id},
        )
    other = champion.run
    if other is None:
        note = t(
            TEXT,
            "champion_unreadable",
            lang,
            model=name,
            version=version,
            run=champion_run_id,
        )
        return section("comparison", lang, available=False, notes=[note])
    mine_c = run.tags.get("chosen_candidate", "")
    theirs_c = other.tags.get("chosen_candidate", "")
    both_true = ground_truth.has_ground_truth(run) and ground_truth.has_ground_truth(other)
    outcome = "true" if both_true else "recorded"
    deltas, rows = [], []
    for metric in COMPARISON_METRICS:
        a = run.metrics.get(f"{outcome}.{mine_c}.{metric}")
        b = other.metrics.get(f"{outcome}.{theirs_c}.{metric}")
        if a is None or b is None:
            continue
        deltas.append({"metric": metric, "this_run": a, "champion": b, "delta": a - b})
        rows.append([t(METRICS, metric, lang), fmt(a), fmt(b), f"{a - b:+.3f}"])
    tables: list[Table] = [
        {
            "caption": t(TEXT, "candidates_compared", lang, mine=mine_c, theirs=theirs_c),
            "columns": [t(WORDS, k, lang) for k in ("metric", "this_run", "champion", "delta")],
            "rows": rows,
        }
    ]
    intro = TEXT if both_true else ground_truth.TEXT
    notes = [t(intro, "champion_intro", lang, model=name, version=version, run=champion_run_id)]
    fair_notes, fair_tables, fair_data = _fairness_deltas(audit, champion.audit, lang)
    data = {
        "champion_version": version,
        "champion_run_id": champion_run_id,
        "deltas": deltas,
        "fairness": fair_data,
    }
    return section(
        "comparison", lang, notes=notes + fair_notes, tables=tables + fair_tables, data=data
    )


def _fairness_deltas(
    mine: AuditSource | None, champion: AuditSource | None, lang: str
) -> tuple[list[str], list[Table], dict[str, Any]]:
    """Flag counts and the flagged disparities of this run's audit beside the champion's."""
    if mine is None or champion is None:
        which = (
            "both"
            if mine is None and champion is None
            else ("this_run" if mine is None else "champion")
        )
        return [t(TEXT, f"no_fairness_delta_{which}", lang)], [], {"available": False}
    a, b = mine.run, champion.run
    counts, count_rows = [], []
    for part in AUDITS:
        x = a.metrics.get(f"{logged_part(a, part)}.flags")
        y = b.metrics.get(f"{logged_part(b, part)}.flags")
        if x is None or y is None:
            continue
        counts.append({"audit": part, "this_run": x, "champion": y, "delta": x - y})
        count_rows.append([t(WORDS, f"audit_{part}", lang), count(x), count(y), f"{x - y:+,.0f}"])
    ratios, ratio_rows = [], []
    for part in ("true", "recorded"):
        mine_d = disparities(a, part)
        theirs_d = disparities(b, part)
        for key in sorted(set(mine_d) | set(theirs_d)):
            dx, dy = mine_d.get(key), theirs_d.get(key)
            # A disparity flagged in either audit, and measured in both.
            if dx is None or dy is None or not (dx["flag"] or dy["flag"]):
                continue
            feature, group, metric = key
            rx, ry = dx["ratio"], dy["ratio"]
            ratios.append(
                {
                    "audit": part,
                    "feature": feature,
                    "group": group,
                    "metric": metric,
                    "this_run": rx,
                    "champion": ry,
                    "delta": None if rx is None or ry is None else rx - ry,
                    "flag_this_run": dx["flag"],
                    "flag_champion": dy["flag"],
                }
            )
            ratio_rows.append(
                [
                    t(WORDS, f"audit_{part}", lang),
                    field_label(feature, lang),
                    group_label(feature, group, lang),
                    audit_metric_label(metric, lang),
                    fmt(rx) + (" *" if dx["flag"] else ""),
                    fmt(ry) + (" *" if dy["flag"] else ""),
                    "—" if rx is None or ry is None else f"{rx - ry:+.3f}",
                ]
            )
    head = [t(WORDS, k, lang) for k in ("this_run", "champion", "delta")]
    tables: list[Table] = [
        {
            "caption": t(WORDS, "fairness_flags_delta", lang),
            "columns": [t(WORDS, "audit", lang)] + head,
            "rows": count_rows,
        },
        {
            "caption": t(WORDS, "fairness_ratio_delta", lang),
            "columns": [t(WORDS, k, lang) for k in ("audit", "feature", "group", "metric")] + head,
            "rows": ratio_rows or [[t(WORDS, "none", lang)] + [""] * 6],
        },
    ]
    note = t(TEXT, "fairness_delta_intro", lang, mine=a.run_id, theirs=b.run_id)
    data = {
        "available": True,
        "audit_run_id": a.run_id,
        "champion_audit_run_id": b.run_id,
        "flags": counts,
        "ratios": ratios,
    }
    return [note], tables, data
