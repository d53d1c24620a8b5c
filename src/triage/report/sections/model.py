"""The model section: the chosen candidate, how it was chosen, and the readable models' rules."""

from __future__ import annotations

from triage import labels
from triage.features import MONOTONE_INCREASING
from triage.models.checklist import CHECKLIST
from triage.models.scorecard import BASE_ROW
from triage.report._text import METRICS, TEXT, WORDS, t
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
        fact("selection", _metric(p.get("selection.metric"), lang), lang),
        fact("calibration", p.get("calibration.method"), lang),
        fact("candidates", ", ".join(c for c in candidates if not c.startswith("oracle")), lang),
        fact("include_sensitive", _yes_no(p.get("features.include_sensitive"), lang), lang),
        fact("registered_model", p.get("mlflow.registered_model"), lang),
        fact("git_commit", tags.get("git_commit"), lang),
    ]
    edges = [f"tiers.{chosen}.immediate", f"tiers.{chosen}.urgent"]
    if all(e in run.metrics for e in edges):
        facts.append(fact("thresholds", " / ".join(fmt(run.metrics[e]) for e in edges), lang))
    notes: list[str] = []
    tables: list[Table] = []
    constrained = monotone_candidates(p, candidates)
    if constrained:
        tables.append(monotone_table(constrained, lang))
    else:
        notes.append(t(TEXT, "no_monotone", lang))
    points = run.csv("models/scorecard_points.csv")
    if points:
        tables.append(
            {
                "caption": t(TEXT, "scorecard_caption", lang),
                "columns": [t(WORDS, k, lang) for k in ("feature", "field", "points", "counts")],
                "rows": [
                    [
                        _scorecard_word(r.get("feature", ""), lang),
                        _scorecard_word(field_label(r.get("field", ""), lang), lang),
                        r.get("points", ""),
                        _scorecard_word(r.get("counts", ""), lang),
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
                "caption": t(TEXT, "checklist_caption", lang),
                "columns": [
                    t(WORDS, "id", lang),
                    t(WORDS, "question", lang),
                    t(WORDS, "tier", lang),
                ],
                "rows": [
                    [
                        q.get("id", ""),
                        question_text(q.get("id", ""), q.get("question", ""), lang),
                        tier_name(q.get("tier", ""), lang),
                    ]
                    for q in questions
                ],
            }
        )
    return section("model", lang, facts=facts, notes=notes, tables=tables, data={"chosen": chosen})


SCORECARD_WORDS: dict[str, str] = {
    BASE_ROW: "base_points",
    "once": "once",
    "if 1": "if 1",
    "per unit": "per unit",
}
"""The scorecard table's own words (``ScorecardModel.points_table``) → their ``WORDS`` keys."""


def _scorecard_word(logged: str, lang: str) -> str:
    return t(WORDS, SCORECARD_WORDS[logged], lang) if logged in SCORECARD_WORDS else logged


def _yes_no(logged: str | None, lang: str) -> str | None:
    """A logged boolean parameter ("True"/"False") in words; anything else as logged."""
    word = {"true": "yes", "false": "no"}.get(str(logged).lower())
    return t(WORDS, word, lang) if word else logged


def _metric(logged: str | None, lang: str) -> str | None:
    return t(METRICS, logged, lang) if logged in METRICS else logged


MONOTONE_BY_DEFAULT = {"lightgbm": True, "tree": False}
"""Whether each constrainable candidate applies ``MONOTONE_INCREASING`` when its config is silent
(``MonotoneLGBM(monotone=True)``, ``TreeModel(monotone=False)``)."""


def monotone_candidates(params: dict[str, str], candidates: list[str]) -> list[str]:
    """The run's candidates whose models were fitted under the monotone constraints."""
    out = []
    for name, default in MONOTONE_BY_DEFAULT.items():
        if name not in candidates:
            continue
        given = params.get(f"candidates.{name}.params.monotone")
        if given is None and default or (given or "").lower() == "true":
            out.append(name)
    return out


def _factor(column: str, lang: str) -> str:
    """``injury=serious`` → "Injury: serious"; a count column → its field's label."""
    field, _, value = column.partition("=")
    try:
        return labels.factor_label(field, value, lang) if value else labels.field_label(field, lang)
    except (KeyError, ValueError):
        return column


def monotone_table(constrained: list[str], lang: str) -> Table:
    """Which inputs can only raise the predicted risk, in the candidates that enforce it."""
    return {
        "caption": t(TEXT, "monotone_caption", lang).format(candidates=", ".join(constrained)),
        "columns": [t(WORDS, "feature", lang), t(WORDS, "item", lang), t(WORDS, "reason", lang)],
        "rows": [
            [_factor(column, lang), column, reasons[0 if lang == "en" else 1]]
            for column, reasons in MONOTONE_INCREASING.items()
        ],
    }


def question_text(qid: str, logged: str, lang: str) -> str:
    """A checklist question in the card's language; the logged (English) text if it is not ours."""
    own = next((q for q in CHECKLIST if q.id == qid and q.text == logged), None)
    return own.text_in(lang) if own else logged
