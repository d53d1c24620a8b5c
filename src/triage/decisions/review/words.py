"""The review's words in one language: its own phrases, and the catalogue's labels of tiers,
routes, fields and their values."""

from __future__ import annotations

import math
from typing import Any

from triage.labels import LANGS, dv_route_label, field_label, tier_label, value_label
from triage.labels.review_text import REVIEW_TEXT

_LIST_SEP = {"en": " or ", "ja": "・"}


class ReviewWords:
    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._i = LANGS.index(lang)

    def __call__(self, key: str, **fields: object) -> str:
        phrase = REVIEW_TEXT[key][self._i]
        return phrase.format(**fields) if fields else phrase

    def tier(self, tier: str) -> str:
        return tier_label(tier, self.lang)

    def tiers(self, tiers: list[str]) -> str:
        return _LIST_SEP[self.lang].join(self.tier(t) for t in tiers)

    def route(self, route: str) -> str:
        return self("no_route") if route == "none" else dv_route_label(route, self.lang)

    def feature(self, feature: str) -> str:
        """A sensitive feature, or an intersection (``a x b``) as its parts."""
        return " × ".join(field_label(f, self.lang) for f in feature.split(" x "))

    def group(self, feature: str, group: str) -> str:
        """A group's value(s): ``yes`` / ``unknown`` / an enum value, ``|``-joined for intersections."""
        fields, values = feature.split(" x "), group.split("|")
        return " × ".join(
            value_label(f, None if v == "unknown" else v, self.lang)
            for f, v in zip(fields, values, strict=True)
        )


def number(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    return f"{x:.{digits}f}"


def with_interval(estimate: Any, low: Any, high: Any, digits: int = 3) -> str:
    if low is None or high is None or not all(map(math.isfinite, (low, high))):
        return number(estimate, digits)
    return f"{number(estimate, digits)} [{number(low, digits)}, {number(high, digits)}]"


def share(s: dict[str, Any]) -> str:
    """``k/n = rate [low, high]``."""
    return f"{s['k']}/{s['n']} = {with_interval(s['rate'], s['low'], s['high'])}"
