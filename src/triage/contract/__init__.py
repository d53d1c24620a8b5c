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

Beside the schemas' field lists, the package holds the names every layer
shares: the outcome columns, recorded and true (``columns``), the registered
models and their aliases (``names``), and ``TriageError``, the base of every
error the library raises on purpose (``errors``).

Layer: contract, the lowest. May import nothing else of triage.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from triage.contract.errors import InvalidParameter as InvalidParameter
from triage.contract.errors import TriageError as TriageError

TIERS: tuple[str, ...] = ("immediate", "urgent", "standard")
"""Tiers, highest first (contracts/README.md)."""

DV_ROUTES: tuple[str, ...] = ("cgc", "municipality")

ABUSE_TYPES: tuple[str, ...] = ("physical", "neglect", "sexual", "psychological")

DIRECT_IDENTIFIER_HINTS: dict[str, str] = {
    "name": "a person's name",
    "names": "a person's name",
    "shimei": "a person's name",
    "namae": "a person's name",
    "kana": "a person's name",
    "furigana": "a person's name",
    "address": "a postal address",
    "jusho": "a postal address",
    "postal": "a postal address",
    "postcode": "a postal address",
    "zip": "a postal address",
    "zipcode": "a postal address",
    "latitude": "a location",
    "longitude": "a location",
    "phone": "a phone number",
    "tel": "a phone number",
    "mobile": "a phone number",
    "fax": "a phone number",
    "email": "an e-mail address",
    "mail": "an e-mail address",
    "birth": "a date of birth",
    "birthday": "a date of birth",
    "birthdate": "a date of birth",
    "dob": "a date of birth",
    "my_number": "an individual number (マイナンバー)",
    "mynumber": "an individual number (マイナンバー)",
    "individual_number": "an individual number (マイナンバー)",
    "personal_number": "an individual number (マイナンバー)",
    "insurance_number": "an individual number",
    "passport": "an individual number",
    "ssn": "an individual number",
    "case_number": "a real case number",
    "free_text": "free text, which can hold any identifier",
    "note": "free text, which can hold any identifier",
    "notes": "free text, which can hold any identifier",
    "comment": "free text, which can hold any identifier",
    "narrative": "free text, which can hold any identifier",
    "description": "free text, which can hold any identifier",
    "memo": "free text, which can hold any identifier",
    "remark": "free text, which can hold any identifier",
    "remarks": "free text, which can hold any identifier",
    "biko": "free text, which can hold any identifier",
    "text": "free text, which can hold any identifier",
}
"""Column-name words that mark a direct identifier, and what it would hold.

A hint matches a whole word or run of words of a column name (``tel`` matches
``home_tel``, not ``hotel``); hints of 5+ letters also match inside a word
(``emailaddr``); the hints in ``_SUFFIX_HINTS`` also match at the end of a word
(``childname``); a plural ``s`` is ignored (``notes``, ``memos``).
"""

_SUFFIX_HINTS: tuple[str, ...] = ("name", "mail")
_SUFFIX_EXCEPTIONS: tuple[str, ...] = ("rename",)

JAPANESE_IDENTIFIER_TOKENS: tuple[str, ...] = (
    "氏名",
    "名前",
    "ふりがな",
    "フリガナ",
    "住所",
    "郵便番号",
    "電話",
    "携帯",
    "生年月日",
    "誕生日",
    "メール",
    "マイナンバー",
    "個人番号",
    "自由記述",
    "自由記載",
    "備考",
    "メモ",
)
"""Fragments of Japanese column names that mark a direct identifier or free text."""


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


def _name_words(column: str) -> list[str]:
    text = unicodedata.normalize("NFKC", column).strip()
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)  # camelCase -> camel_Case
    text = text.lower().replace("-", "_").replace(" ", "_").replace(".", "_")
    return [w for w in text.split("_") if w]


def identifier_reason(column: str) -> str | None:
    """Why a column name looks like a direct identifier, or None when it does not.

    Contract fields are never identifiers (``region_code`` is pseudonymous). A
    name is split into words (``_``, ``-``, space, camelCase) so that ``tel``
    matches ``tel`` or ``home_tel`` but not ``hotel``; multi-word hints such as
    ``free_text`` match as a run; see ``DIRECT_IDENTIFIER_HINTS``.
    """
    if column in notice_fields().all:
        return None
    words = _name_words(column)
    singular = [w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words]
    joined = "".join(words)
    for hint, what in DIRECT_IDENTIFIER_HINTS.items():
        hint_words = hint.split("_")
        size = len(hint_words)
        for candidate in (words, singular):
            for i in range(len(candidate) - size + 1):
                if candidate[i : i + size] == hint_words:
                    return what
        if "_" not in hint and len(hint) >= 5 and hint in joined:
            return what  # e.g. "emailaddr", "telephone"
    for word in singular:
        for hint in _SUFFIX_HINTS:
            if word.endswith(hint) and word not in _SUFFIX_EXCEPTIONS:
                return DIRECT_IDENTIFIER_HINTS[hint]  # e.g. "childname", "gmail"
    if any(token in column for token in JAPANESE_IDENTIFIER_TOKENS):
        return "a direct identifier or free text"
    return None
