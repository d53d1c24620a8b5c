"""Sections whose words are (nearly) the same for every run: intended use, limitations, sign-off.

The limitations of a run without ground truth, or trained from a release, say so instead
of speaking of synthetic truth (``ground_truth``); a DV-witness routing run's intended use
and limitations speak of its routes and the CGC's capacity instead of tiers (``routing_run``).
"""

from __future__ import annotations

from triage.report._text import TEXT, WORDS, t
from triage.report.reader import RunRecord
from triage.report.sections import ground_truth, routing_run
from triage.report.sections.common import Section, section


def intended_use_section(run: RunRecord, lang: str) -> Section:
    """What the model is for: a tier for an intake run, a route for a DV-witness routing run."""
    return section(
        "intended_use",
        lang,
        lists=[
            {
                "title": t(WORDS, "intended", lang),
                "items": [routing_run.text(run, k, lang) for k in ("intended", "research")],
            },
            {
                "title": t(WORDS, "out_of_scope", lang),
                "items": [
                    routing_run.text(run, k, lang)
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
                "items": measured
                + [routing_run.text(run, "lim_capacity", lang), t(TEXT, "lim_intervals", lang)],
            },
            {
                "title": t(WORDS, "ethics", lang),
                "items": [
                    t(TEXT, k, lang) for k in ("eth_sensitive", "eth_human", "eth_subgroups")
                ],
            },
        ],
    )


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
