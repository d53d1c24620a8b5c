"""The page's words, from the one label catalogue; Japanese unless the worker switches.

Contract fields, values, tiers and factor sentences come from ``triage.labels``;
the page's own phrases, action and DV-route labels from the catalogue's
``UI_TEXT``, ``ACTION_LABELS`` and ``DV_ROUTE_LABELS``.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from triage.labels import LANGS, tier_label
from triage.labels_catalogue import ACTION_LABELS, DV_ROUTE_LABELS, UI_TEXT

DEFAULT_LANG = "ja"


def lang_of(value: object) -> str:
    return value if isinstance(value, str) and value in LANGS else DEFAULT_LANG


def text(key: str, lang: str, **fields: object) -> str:
    phrase = UI_TEXT[key][LANGS.index(lang)]
    return phrase.format(**fields) if fields else phrase


def action_label(action: str, lang: str) -> str:
    """A rule's action in words; a locally configured action without a label shows its id."""
    pair = ACTION_LABELS.get(action)
    return action if pair is None else pair[LANGS.index(lang)]


def dv_route_label(route: str | None, lang: str) -> str:
    return "" if route is None else DV_ROUTE_LABELS[route][LANGS.index(lang)]


def tier_text(tier: str | None, lang: str) -> str:
    return text("none_floor", lang) if tier is None else tier_label(tier, lang)


def when_text(value: str | datetime | pd.Timestamp | None) -> str:
    """A moment in its own offset (the notices carry +09:00), to the minute."""
    if value is None:
        return ""
    return pd.Timestamp(value).isoformat(timespec="minutes").replace("T", " ")


class Words:
    """``t("key", name=value)`` in one language, for templates."""

    def __init__(self, lang: str) -> None:
        self.lang = lang_of(lang)
        self.other = "en" if self.lang == "ja" else "ja"

    def __call__(self, key: str, **fields: object) -> str:
        return text(key, self.lang, **fields)

    def tier(self, tier: str | None) -> str:
        return tier_text(tier, self.lang)

    def action(self, action: str) -> str:
        return action_label(action, self.lang)

    def dv_route(self, route: str | None) -> str:
        return dv_route_label(route, self.lang)
