"""Readable labels for contract fields and values, in English and Japanese.

The catalogue (``triage.labels.catalogue``) is the one place where a field or
value gets its words; score output, reports and the web page read them here.
It also holds the one decision-support notice per language
(``DECISION_SUPPORT_NOTICE``).

Layer: labels. May import ``triage.contract`` and ``triage.notices``.

- ``field_label("weapon_used", "ja")`` → 「凶器の使用」
- ``value_label("weapon_used", True, "en")`` → "yes"
- ``factor_label("weapon_used", True, "ja")`` → 「凶器の使用：あり」
- ``factor_sentence("prior_notices", 3, "up", "ja")`` → 「過去の通告：3回 → 緊急度を上げる方向」

A value is given as it is in a notice: ``True``/``False``/``None`` for a
boolean risk factor (or ``"yes"``/``"no"``/``"unknown"``), the category for an
enum field, the number for an integer field, a list of types for
``alleged_types``. ``None`` (or a pandas missing value) is "not known".
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from triage.labels.catalogue import (
    ACTION_LABELS,
    ASK_TEMPLATES,
    BOOLEAN_STATES,
    DIRECTIONS,
    DV_ROUTE_LABELS,
    FIELDS,
    TIER_LABELS,
    UI_TEXT,
    UNKNOWN_VALUE,
)
from triage.labels.catalogue import (
    DECISION_SUPPORT_NOTICE as DECISION_SUPPORT_NOTICE,
)
from triage.notices import is_missing

LANGS: tuple[str, ...] = ("en", "ja")

ERRORS = {
    "lang": "lang: expected one of {langs}, got {lang!r}.",
    "field": "no label for field {field!r}: add it to triage/labels/catalogue.py.",
    "value": "no label for value {value!r} of field {field!r}.",
    "direction": "direction: expected 'up' or 'down', got {direction!r}.",
    "tier": "no label for tier {tier!r}.",
}

_SEP = {"en": ": ", "ja": "："}
_LIST_SEP = {"en": ", ", "ja": "・"}


def _lang_index(lang: str) -> int:
    try:
        return LANGS.index(lang)
    except ValueError:
        raise ValueError(ERRORS["lang"].format(langs=list(LANGS), lang=lang)) from None


def _entry(field: str) -> dict:
    try:
        return FIELDS[field]
    except KeyError:
        raise KeyError(ERRORS["field"].format(field=field)) from None


def field_label(field: str, lang: str = "ja") -> str:
    """The field's own label: ``field_label("injury_head_face", "en")`` → "Injury to the head or face"."""
    _lang_index(lang)
    return _entry(field)[lang]


def value_label(field: str, value: Any, lang: str = "ja") -> str:
    """The label of one value of a field (see the module docstring for the accepted values)."""
    i = _lang_index(lang)
    entry = _entry(field)
    value = _hashable(value)
    if is_missing(value):
        return BOOLEAN_STATES["unknown"][i] if _is_boolean(field) else UNKNOWN_VALUE[i]
    if "unit" in entry:
        if isinstance(value, str) and value == "unknown":
            return UNKNOWN_VALUE[i]
        number = float(value)
        if not number.is_integer():
            raise ValueError(ERRORS["value"].format(field=field, value=value))
        return entry["unit"][i].format(n=int(number))
    if "values" in entry:
        values = entry["values"]
        if isinstance(value, Sequence) and not isinstance(value, str):
            return _LIST_SEP[lang].join(_lookup(values, field, v)[i] for v in value)
        if value == "unknown" and "unknown" not in values:
            return UNKNOWN_VALUE[i]
        return _lookup(values, field, value)[i]
    state = _boolean_state(value)
    if state is None:
        raise ValueError(ERRORS["value"].format(field=field, value=value))
    return BOOLEAN_STATES[state][i]


def factor_label(field: str, value: Any, lang: str = "ja") -> str:
    """Field and value as one short phrase: "Weapon used: yes" / 「凶器の使用：あり」."""
    return _factor_label(field, _hashable(value), lang)


def factor_sentence(field: str, value: Any, direction: str, lang: str = "ja") -> str:
    """A plain sentence for one factor: "Earlier notices: 3 → raises urgency"."""
    if direction not in DIRECTIONS:
        raise ValueError(ERRORS["direction"].format(direction=direction))
    i = _lang_index(lang)
    return f"{factor_label(field, value, lang)} → {DIRECTIONS[direction][i]}"


def tier_label(tier: str, lang: str = "ja") -> str:
    i = _lang_index(lang)
    try:
        return TIER_LABELS[tier][i]
    except KeyError:
        raise ValueError(ERRORS["tier"].format(tier=tier)) from None


def ui_text(key: str, lang: str = "ja", **fields: object) -> str:
    """A phrase of the intake page, with ``{name}`` fields filled in."""
    phrase = UI_TEXT[key][_lang_index(lang)]
    return phrase.format(**fields) if fields else phrase


def action_label(action: str, lang: str = "ja") -> str:
    """A rule's action in words; a locally configured action without a label shows its id."""
    pair = ACTION_LABELS.get(action)
    return action if pair is None else pair[_lang_index(lang)]


def dv_route_label(route: str | None, lang: str = "ja") -> str:
    return "" if route is None else DV_ROUTE_LABELS[route][_lang_index(lang)]


def ask_sentence(field: str, answer: bool, tier: str, lang: str = "ja") -> str:
    """Why to ask about a field: "If “Weapon used” turns out yes, ... could become immediate"."""
    return ASK_TEMPLATES[lang].format(
        field=field_label(field, lang),
        value=value_label(field, answer, lang),
        tier=tier_label(tier, lang),
    )


def labelled_fields() -> tuple[str, ...]:
    """Every field the catalogue labels, in catalogue order."""
    return tuple(FIELDS)


def _is_boolean(field: str) -> bool:
    entry = FIELDS[field]
    return "unit" not in entry and "values" not in entry


def _boolean_state(value: Any) -> str | None:
    if isinstance(value, str):
        return value if value in BOOLEAN_STATES else None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) and value in (0, 1):
        return "yes" if value == 1 else "no"
    return None


def _lookup(values: dict, field: str, value: Any) -> tuple[str, str]:
    try:
        return values[str(value)]
    except KeyError:
        raise ValueError(ERRORS["value"].format(field=field, value=value)) from None


def _hashable(value: Any) -> Any:
    if (isinstance(value, Sequence) and not isinstance(value, str)) or type(
        value
    ).__name__ == "ndarray":
        return tuple(str(v) for v in value)
    if is_missing(value):
        return None
    if type(value).__module__ == "numpy":
        return value.item()
    return value


@cache
def _factor_label(field: str, value: Any, lang: str) -> str:
    return f"{field_label(field, lang)}{_SEP[lang]}{value_label(field, value, lang)}"
