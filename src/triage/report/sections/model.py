"""The model section: the chosen candidate, how it was chosen, and the readable models' rules."""

from __future__ import annotations

from triage.report._text import TEXT, WORDS, t
from triage.report.reader import RunRecord
from triage.report.sections.common import (
    Section,
    Table,
    fact,
    field_label,
    fmt,
    section,
    tier_name,
)


def model_section(run: RunRecord, lang: str, candidates: list[str]) -> Section:
    p, tags = run.params, run.tags
    chosen = tags.get("chosen_candidate", "")
    facts = [
        fact("chosen", chosen, lang),
        fact("selection", p.get("selection.metric"), lang),
        fact("calibration", p.get("calibration.method"), lang),
        fact("candidates", ", ".join(c for c in candidates if not c.startswith("oracle")), lang),
        fact("include_sensitive", p.get("features.include_sensitive"), lang),
        fact("registered_model", p.get("mlflow.registered_model"), lang),
        fact("git_commit", tags.get("git_commit"), lang),
    ]
    edges = [f"tiers.{chosen}.immediate", f"tiers.{chosen}.urgent"]
    if all(e in run.metrics for e in edges):
        facts.append(fact("thresholds", " / ".join(fmt(run.metrics[e]) for e in edges), lang))
    notes: list[str] = []
    tables: list[Table] = []
    monotone = {k: v for k, v in p.items() if "monoton" in k}
    if monotone:
        tables.append(
            {
                "caption": "monotone constraints",
                "columns": [t(WORDS, "item", lang), t(WORDS, "value", lang)],
                "rows": [[k, v] for k, v in sorted(monotone.items())],
            }
        )
    else:
        notes.append(t(TEXT, "no_monotone", lang))
    points = run.csv("models/scorecard_points.csv")
    if points:
        tables.append(
            {
                "caption": "scorecard (models/scorecard_points.csv)",
                "columns": [t(WORDS, k, lang) for k in ("feature", "field", "points", "counts")],
                "rows": [
                    [
                        r.get("feature", ""),
                        field_label(r.get("field", ""), lang),
                        r.get("points", ""),
                        r.get("counts", ""),
                    ]
                    for r in points
                ],
            }
        )
    else:
        notes.append(t(TEXT, "no_scorecard", lang))
    questions = run.json("models/checklist_questions.json")
    if questions:
        tables.append(
            {
                "caption": "checklist (models/checklist_questions.json)",
                "columns": [
                    t(WORDS, "id", lang),
                    t(WORDS, "question", lang),
                    t(WORDS, "tier", lang),
                ],
                "rows": [
                    [q.get("id", ""), q.get("question", ""), tier_name(q.get("tier", ""), lang)]
                    for q in questions
                ],
            }
        )
    return section("model", lang, facts=facts, notes=notes, tables=tables, data={"chosen": chosen})
