"""Sections whose words are (nearly) the same for every run: intended use, limitations, sign-off.

The limitations of a run without ground truth, or trained from a release, say so instead
of speaking of synthetic truth (``ground_truth``); those of a DV-witness routing run speak
of its routes and the CGC's capacity instead of tiers (``ROUTING_TEXT``, here beside the
code that uses it, as ``ground_truth`` keeps its own).
"""

from __future__ import annotations

from triage.report._text import TEXT, WORDS, t
from triage.report.reader import RunRecord
from triage.report.sections import ground_truth
from triage.report.sections.common import Section, section
from triage.report.sections.rules import ROUTING_CAPACITY

# Each entry: (English, Japanese), as in ``triage.report._text``.
ROUTING_TEXT: dict[str, tuple[str, str]] = {
    "lim_capacity": (
        "Routes depend on the capacity assumption logged as routing.cgc_per_day: the riskiest "
        "notices up to that number a day go to the CGC; another capacity gives other routes.",
        "振り分け先は routing.cgc_per_day として記録された対応能力の仮定に依存する：1日あたりその件数"
        "までリスクの高い通告を児童相談所に送る。対応能力が変われば振り分け先も変わる。",
    ),
}


def intended_use_section(lang: str) -> Section:
    return section(
        "intended_use",
        lang,
        lists=[
            {
                "title": t(WORDS, "intended", lang),
                "items": [t(TEXT, k, lang) for k in ("intended", "research")],
            },
            {
                "title": t(WORDS, "out_of_scope", lang),
                "items": [
                    t(TEXT, k, lang)
                    for k in ("oos_automated", "oos_low_score", "oos_rules", "oos_real_data")
                ],
            },
            {
                "title": t(WORDS, "lessons", lang),
                "items": [
                    t(TEXT, k, lang)
                    for k in (
                        "lesson_child_voice",
                        "lesson_bare_probability",
                        "lesson_capacity",
                        "lesson_audit",
                        "lesson_past_practice",
                    )
                ],
            },
        ],
    )


def limitations_section(run: RunRecord, lang: str) -> Section:
    if ground_truth.has_ground_truth(run):
        measured = [t(TEXT, k, lang) for k in ("lim_synthetic", "lim_recorded")]
    else:
        measured = [ground_truth.words("lim_recorded_only", lang)]
    if ground_truth.from_release(run):
        method = ground_truth.release_method(run, lang)
        measured.append(ground_truth.words("lim_release", lang, method=method))
    return section(
        "limitations",
        lang,
        lists=[
            {
                "title": t(WORDS, "limitations", lang),
                "items": measured + [_capacity_limit(run, lang), t(TEXT, "lim_intervals", lang)],
            },
            {
                "title": t(WORDS, "ethics", lang),
                "items": [
                    t(TEXT, k, lang) for k in ("eth_sensitive", "eth_human", "eth_subgroups")
                ],
            },
        ],
    )


def _capacity_limit(run: RunRecord, lang: str) -> str:
    """What the run's cut points depend on: the tiers' capacity, or the CGC's for routes."""
    routing = ROUTING_CAPACITY in run.metrics
    return t(ROUTING_TEXT if routing else TEXT, "lim_capacity", lang)


def sign_off_section(lang: str) -> Section:
    """Blank fields a reviewer fills in on the printed card."""
    fields = ["name", "role", "date", "decision", "comments"]
    return section(
        "sign_off",
        lang,
        notes=[
            t(TEXT, "sign_off_intro", lang),
            f"{t(WORDS, 'decision', lang)}: {t(TEXT, 'decision_options', lang)}",
        ],
        data={"fields": {f: t(WORDS, f, lang) for f in fields}},
    )
