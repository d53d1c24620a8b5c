"""The new-notice form: what the worker typed → the notice's facts, each field's problem, the layout.

A form sends text. Here an empty answer is a fact not known (left out of the
record: the contract's "unknown"), a boolean's ``yes``/``no`` becomes
true/false, a count typed in digits (full-width ones too, as a Japanese
keyboard gives them) an integer; everything else goes to the notice's
validation as typed, so the page says of a bad answer exactly what the file
import and ``/api/score`` say: the field and the rule, never the value.
Keys the form does not have (a hostile or stale post) go to validation too,
which names them as unknown or refused fields.

The facts are then checked as a draft under ``DRAFT_ID``: the same draft
``new_notice.js`` sends to ``/api/score``, so the page's check and the live
update score the same notice.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from triage.contract import load_schema, notice_fields
from triage.labels import value_label
from triage.labels.intake_questions import QUESTION_GROUPS, asked_fields, question_label
from triage.notices import TIMEZONE, validate_notices

DRAFT_ID = "draft"
"""The placeholder id of a notice not yet saved (saving gives the real one)."""
FORM_KEYS = ("csrf_token", "action")
"""The form's own keys: not facts."""
MAX_UNKNOWN_KEYS = 10
"""Unknown keys named one by one; past this many, one error counts the rest."""
MAX_KEPT = 200
"""Longest answer shown again on the form; no fact is near it, and a hostile post of
megabytes is not sent back (its error says how long it was)."""
BOOLEAN_ANSWERS = {"yes": True, "no": False}
_DIGITS = re.compile(r"[+-]?[0-9]{1,9}")

ONE_ANSWER = "{field}: expected one answer, got {n}"
NOT_TEXT = "{field}: expected text, got a file"
NOT_BOOLEAN = "{field}: expected yes, no or not known, got another answer"
TOO_MANY_KEYS = "form: {n} more unknown fields; notice.schema.json allows no other fields"
LATER_THAN_CLOCK = (
    "{field}: expected a time not later than the page's clock ({clock}), got a later one"
)

Answer = str | list[str]


@dataclass(frozen=True)
class Entry:
    """One post of the form, read."""

    answers: dict[str, Answer] = field(default_factory=dict)
    """What the worker typed, by field, to show again."""
    facts: dict[str, Any] = field(default_factory=dict)
    """The notice without its id: unknown facts left out (as ``new_notice.js`` sends them)."""
    errors: dict[str, str] = field(default_factory=dict)
    """field (or an unknown key) → one line naming it and what was expected."""
    draft: dict[str, Any] | None = None
    """The facts under ``DRAFT_ID`` as validation keeps them, when valid: what to score."""

    @property
    def still_needed(self) -> list[str]:
        """Required facts not answered yet, in the order asked."""
        required = set(notice_fields().required)
        return [f for f in asked_fields() if f in required and f not in self.facts]


def _kinds() -> dict[str, str]:
    fields = notice_fields()
    kinds = {f: "enum" for f in fields.enums}
    kinds.update({f: "bool" for f in fields.booleans})
    kinds.update({f: "int" for f in fields.integers})
    kinds.update({f: "datetime" for f in fields.datetimes})
    kinds["alleged_types"] = "multi"
    return {f: kinds.get(f, "text") for f in asked_fields()}


def _typed(kind: str, text: str) -> Any:
    """A non-empty answer as the contract types it; text that does not parse stays text."""
    if kind == "int":
        digits = unicodedata.normalize("NFKC", text)
        return int(digits) if _DIGITS.fullmatch(digits) else text
    return text


def read_entry(items: Iterable[tuple[str, Any]], *, now: pd.Timestamp) -> Entry:
    """The form's (key, value) pairs → answers, facts and problems, checked as a draft.

    A time later than the page's clock ``now`` is refused: a notice received
    "tomorrow" (a year typed wrong) would keep its 48-hour deadline from ever
    passing.
    """
    grouped: dict[str, list[Any]] = {}
    for key, value in items:
        grouped.setdefault(key, []).append(value)
    kinds = _kinds()
    answers: dict[str, Answer] = {}
    facts: dict[str, Any] = {}
    errors: dict[str, str] = {}
    unknown = [k for k in grouped if k not in kinds and k not in FORM_KEYS and k != "notice_id"]
    for key in unknown[:MAX_UNKNOWN_KEYS]:
        facts[key] = grouped[key][0]  # validation names the key (never the value)
    if len(unknown) > MAX_UNKNOWN_KEYS:
        errors["form"] = TOO_MANY_KEYS.format(n=len(unknown) - MAX_UNKNOWN_KEYS)
    for name, kind in kinds.items():
        values = grouped.get(name, [])
        if any(not isinstance(v, str) for v in values):
            errors[name] = NOT_TEXT.format(field=name)
            continue
        if kind == "multi":
            picked = [v for v in values if v]
            answers[name] = [v for v in picked if len(v) <= MAX_KEPT]
            if picked:
                facts[name] = picked
            continue
        if len(values) > 1:
            errors[name] = ONE_ANSWER.format(field=name, n=len(values))
            continue
        text = values[0].strip() if values else ""
        answers[name] = text if len(text) <= MAX_KEPT else ""
        if not text:
            continue  # not known yet
        if kind == "bool":
            if text in BOOLEAN_ANSWERS:
                facts[name] = BOOLEAN_ANSWERS[text]
            else:
                errors[name] = NOT_BOOLEAN.format(field=name)
            continue
        facts[name] = _typed(kind, text)
    return _checked(Entry(answers=answers, facts=facts, errors=errors), now)


def _checked(entry: Entry, now: pd.Timestamp) -> Entry:
    result = validate_notices([{**entry.facts, "notice_id": DRAFT_ID}])
    errors = dict(entry.errors)  # the form's own problem with a field comes first
    for e in result.errors:
        errors.setdefault(e.field or "form", e.message)
    for name in notice_fields().datetimes:
        if name in entry.facts and name not in errors and _later(entry.facts[name], now):
            errors[name] = LATER_THAN_CLOCK.format(field=name, clock=received_default(now))
    draft = result.records[0] if not errors and result.records else None
    return Entry(answers=entry.answers, facts=entry.facts, errors=errors, draft=draft)


def _later(moment: str, now: pd.Timestamp) -> bool:
    try:
        return pd.Timestamp(moment) > now
    except (ValueError, TypeError):  # not a moment with its offset: validation says so
        return False


def received_default(now: pd.Timestamp) -> str:
    """The page's clock as ``received_at`` is typed: to the second, in the notices' zone."""
    return now.tz_convert(TIMEZONE).isoformat(timespec="seconds")


def _choices(name: str, kind: str, lang: str) -> list[tuple[str, str]]:
    """(value, label) of each answer; the first is "not known" for a single answer."""
    if kind not in ("bool", "enum", "multi"):
        return []  # typed in
    unknown = ("", value_label(name, None, lang))
    if kind == "bool":
        return [unknown, *((a, value_label(name, a, lang)) for a in BOOLEAN_ANSWERS)]
    if kind == "enum":
        return [unknown, *((v, value_label(name, v, lang)) for v in notice_fields().enums[name])]
    types = load_schema("notice")["properties"][name]["items"]["enum"]
    return [(t, value_label(name, [t], lang)) for t in types]


def form_groups(entry: Entry, lang: str) -> list[dict[str, Any]]:
    """The form's groups, in the order asked, each field with its answer, choices and problem."""
    kinds = _kinds()
    required = set(notice_fields().required)
    return [
        {
            "key": group.key,
            "title": group.title(lang),
            "fields": [
                {
                    "name": name,
                    "kind": kinds[name],
                    "label": question_label(name, lang),
                    "required": name in required,
                    "answer": entry.answers.get(name, [] if kinds[name] == "multi" else ""),
                    "choices": _choices(name, kinds[name], lang),
                    "error": entry.errors.get(name),
                }
                for name in group.fields
            ],
        }
        for group in QUESTION_GROUPS
    ]


def other_errors(entry: Entry) -> list[str]:
    """Problems with no field of the form to show them beside (unknown keys, the form itself)."""
    return [message for key, message in entry.errors.items() if key not in asked_fields()]
