"""The page's words, from the one label catalogue; Japanese unless the worker switches.

Every word comes from ``triage.labels`` (contract fields, values, tiers, factor
sentences, the page's own phrases, actions and DV routes).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from triage.labels import LANGS, action_label, dv_route_label, tier_label
from triage.labels import ui_text as text

DEFAULT_LANG = "ja"


def lang_of(value: object) -> str:
    return value if isinstance(value, str) and value in LANGS else DEFAULT_LANG


def accept_lang(header: str | None) -> str | None:
    """The first of our languages an ``Accept-Language`` header names, or None."""
    for part in (header or "").split(","):
        tag = part.split(";")[0].strip().lower()
        for lang in LANGS:
            if tag == lang or tag.startswith(lang + "-"):
                return lang
    return None


def request_lang(request) -> str:
    """For messages to API clients: the language chosen on the login page, else the
    ``Accept-Language``'s, else Japanese (the page's default)."""
    chosen = request.session.get("lang")
    if chosen:
        return lang_of(chosen)
    return accept_lang(request.headers.get("accept-language")) or DEFAULT_LANG


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

    def worker(self, who: str) -> str:
        """``you`` or ``another`` worker, in words (``workers.py`` never passes a login)."""
        return text(f"worker_{who}", self.lang)

    def dv_route(self, route: str | None) -> str:
        return dv_route_label(route, self.lang)
