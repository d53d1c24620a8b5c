"""The order in which a worker asks a caller the notice's facts, in five groups.

The new-notice page lays its form out in this order: who is calling and how;
the child; what happened; the household; history. A worker on the line asks
the questions the caller can answer at once first and reaches the family's
history last. Every contract field but ``notice_id`` (given on saving) is
asked exactly once; ``tests/test_web_entry.py`` checks that against the
schema.

Each group has its title here, in English and Japanese. A field's own label
comes from the catalogue (``field_label``); the three fields the catalogue
leaves out (they never show as a model's factor) take a phrase of the page.

Layer: labels. May import ``triage.contract`` and ``triage.notices``.
"""

from __future__ import annotations

from dataclasses import dataclass

from triage.labels import field_label, labelled_fields, ui_text


@dataclass(frozen=True)
class QuestionGroup:
    key: str
    title_en: str
    title_ja: str
    fields: tuple[str, ...]

    def title(self, lang: str) -> str:
        return self.title_ja if lang == "ja" else self.title_en


QUESTION_GROUPS: tuple[QuestionGroup, ...] = (
    QuestionGroup(
        "caller",
        "Who is calling and how",
        "通告者と通告の方法",
        ("received_at", "route", "notice_kind", "region_urbanity", "region_code"),
    ),
    QuestionGroup(
        "child",
        "The child",
        "子ども",
        (
            "child_age_years",
            "child_sex",
            "child_disability",
            "missed_health_checks",
            "not_enrolled",
            "no_service_use",
            "school_absence",
            "child_fears_home",
            "child_requests_protection",
            "safety_confirmed_at",
        ),
    ),
    QuestionGroup(
        "happened",
        "What happened",
        "何が起きたか",
        (
            "alleged_types",
            "injury",
            "injury_head_face",
            "sexual_abuse_disclosure",
            "weapon_used",
            "dv_physical_assault",
            "dv_weapon",
            "dv_strangulation",
            "dv_child_intervened",
            "dv_child_injured",
            "dv_arrest",
            "dv_alcohol",
            "dv_victim_pregnant",
        ),
    ),
    QuestionGroup(
        "household",
        "The household",
        "世帯",
        (
            "household_type",
            "siblings",
            "caregiver_substance_use",
            "caregiver_mental_illness",
            "dv_in_home",
            "welfare_receipt",
            "young_caregiver",
            "caregiver_pregnant",
            "foreign_national_household",
            "socially_isolated",
        ),
    ),
    QuestionGroup(
        "history",
        "History",
        "これまでの経過",
        (
            "prior_notices",
            "prior_protection",
            "returning_home_after_protection",
            "council_registered",
            "moved_from_other_area",
            "under_guidance",
            "contact_refused",
            "dv_repeat_count",
        ),
    ),
)

_PAGE_PHRASES = {
    "received_at": "col_received",
    "safety_confirmed_at": "safety_confirmed_at",
    "region_code": "region_code",
}
"""Fields the catalogue does not label (never a factor): the page's phrase for each."""


def asked_fields() -> tuple[str, ...]:
    """Every field the new-notice form asks, in the order asked."""
    return tuple(f for group in QUESTION_GROUPS for f in group.fields)


def question_label(field: str, lang: str = "ja") -> str:
    """The label of a field on the form: the catalogue's, or the page's phrase for it."""
    if field in _PAGE_PHRASES and field not in labelled_fields():
        return ui_text(_PAGE_PHRASES[field], lang)
    return field_label(field, lang)
