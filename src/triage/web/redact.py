"""What the server says back about refused input: the field and the rule, never the value.

A value sent in the wrong field may identify a person (``山田太郎 090-1234-5678``
typed into ``region_code``). The readers' messages may quote it; before such a
message leaves the server, each form in which it could be quoted is replaced.
"""

from __future__ import annotations

import json
from typing import Any

HIDDEN = "(value not shown)"
MIN_BARE = 3
"""Shorter values are replaced only where quoted: a bare "a" would eat ordinary words."""


def _forms(value: Any) -> list[str]:
    if value is None or isinstance(value, bool):
        return []
    forms = {json.dumps(value, ensure_ascii=False), json.dumps(value), repr(value)}
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if len(text) >= MIN_BARE:
        forms.add(text)
    return sorted((f for f in forms if f), key=len, reverse=True)


def without_value(message: str, value: Any) -> str:
    """``message`` with every quotation of ``value`` replaced by :data:`HIDDEN`."""
    for form in _forms(value):
        message = message.replace(form, HIDDEN)
    return message


def refused_value(item: Any, field: str | None) -> Any:
    """The value a row error is about: the item's field, or the whole item if not an object."""
    if isinstance(item, dict):
        return item.get(field) if field is not None else None
    return item
