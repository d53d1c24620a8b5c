"""The notice and score contracts, and the field lists derived from them.

The JSON Schemas in ``triage/contracts/`` are the single source of truth: the
lists below are read from them, never written out by hand, so a change to
the contract reaches every part of the toolkit.

In memory a batch of notices is a pandas DataFrame (a "notice frame"):
- enum fields are ``category`` columns with the schema's categories, in schema order;
- boolean risk factors are nullable ``boolean`` columns (``<NA>`` = not known at intake);
- integer fields are nullable ``Int64`` columns (optional ones may be ``<NA>``: absent);
- ``received_at`` / ``safety_confirmed_at`` are tz-aware ``datetime64`` columns;
- ``alleged_types`` is a column of tuples of strings, first entry = main type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

TIERS: tuple[str, ...] = ("immediate", "urgent", "standard")
"""Tiers, highest first (contracts/README.md)."""

DV_ROUTES: tuple[str, ...] = ("cgc", "municipality")

ABUSE_TYPES: tuple[str, ...] = ("physical", "neglect", "sexual", "psychological")

DIRECT_IDENTIFIER_HINTS: dict[str, str] = {
    "name": "a person's name",
    "shimei": "a person's name",
    "address": "a postal address",
    "jusho": "a postal address",
    "phone": "a phone number",
    "tel": "a phone number",
    "mobile": "a phone number",
    "email": "an e-mail address",
    "mail": "an e-mail address",
    "birth": "a date of birth",
    "dob": "a date of birth",
    "my_number": "an individual number (マイナンバー)",
    "mynumber": "an individual number (マイナンバー)",
    "individual_number": "an individual number (マイナンバー)",
    "personal_number": "an individual number (マイナンバー)",
    "ssn": "an individual number",
    "free_text": "free text, which can hold any identifier",
    "note": "free text, which can hold any identifier",
    "comment": "free text, which can hold any identifier",
    "narrative": "free text, which can hold any identifier",
    "description": "free text, which can hold any identifier",
    "memo": "free text, which can hold any identifier",
    "text": "free text, which can hold any identifier",
}
"""Column-name fragments that mark a direct identifier, and what it would hold."""


@cache
def load_schema(name: str) -> dict[str, Any]:
    """One of the contract schemas shipped in the package: ``notice`` or ``score``."""
    text = resources.files("triage").joinpath("contracts", f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


def _types(spec: dict[str, Any]) -> set[str]:
    t = spec.get("type")
    if t is None:
        return set()
    return {t} if isinstance(t, str) else set(t)


@dataclass(frozen=True)
class NoticeFields:
    """Field lists of the notice contract, grouped by how they are stored."""

    all: tuple[str, ...]
    required: tuple[str, ...]
    enums: dict[str, tuple[str, ...]]
    booleans: tuple[str, ...]
    integers: dict[str, tuple[int, int]]
    datetimes: tuple[str, ...]
    patterns: dict[str, str]
    nullable: tuple[str, ...]
    dv_only: tuple[str, ...]

    @property
    def optional(self) -> tuple[str, ...]:
        return tuple(f for f in self.all if f not in self.required)


@cache
def notice_fields() -> NoticeFields:
    schema = load_schema("notice")
    props: dict[str, dict[str, Any]] = schema["properties"]
    enums, booleans, integers, datetimes, patterns, nullable = {}, [], {}, [], {}, []
    for field, spec in props.items():
        types = _types(spec)
        if "null" in types:
            nullable.append(field)
        if "enum" in spec:
            enums[field] = tuple(spec["enum"])
        elif "boolean" in types:
            booleans.append(field)
        elif "integer" in types:
            integers[field] = (spec["minimum"], spec["maximum"])
        elif spec.get("format") == "date-time":
            datetimes.append(field)
        if "pattern" in spec:
            patterns[field] = spec["pattern"]
    dv_only = tuple(
        f for f, s in props.items() if s.get("description", "").startswith("dv_witness only")
    )
    return NoticeFields(
        all=tuple(props),
        required=tuple(schema["required"]),
        enums=enums,
        booleans=tuple(booleans),
        integers=integers,
        datetimes=tuple(datetimes),
        patterns=patterns,
        nullable=tuple(nullable),
        dv_only=dv_only,
    )


def identifier_reason(column: str) -> str | None:
    """Why a column name looks like a direct identifier, or None when it does not.

    Contract fields are never identifiers (``region_code`` is pseudonymous). A
    name is split into words so that ``tel`` matches ``tel`` or ``home_tel`` but
    not ``hotel``; multi-word hints such as ``free_text`` match as a run.
    """
    if column in notice_fields().all:
        return None
    lowered = column.strip().lower().replace("-", "_").replace(" ", "_")
    words = [w for w in lowered.split("_") if w]
    joined = "_".join(words)
    for hint, what in DIRECT_IDENTIFIER_HINTS.items():
        hint_words = hint.split("_")
        for i in range(len(words) - len(hint_words) + 1):
            if words[i : i + len(hint_words)] == hint_words:
                return what
        if "_" not in hint and len(hint) >= 5 and hint in joined:
            return what  # e.g. "childname", "emailaddr"
    for token in ("氏名", "名前", "住所", "電話", "生年月日", "メール", "マイナンバー", "個人番号", "自由記述", "備考"):
        if token in column:
            return "a direct identifier or free text"
    return None
