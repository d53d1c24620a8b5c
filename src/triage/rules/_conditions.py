"""Declarative conditions for locally added rules (``configs/rules.yaml``).

A condition is a mapping, one of::

    {all: [condition, ...]}          every one holds
    {any: [condition, ...]}          at least one holds
    {field: NAME, OP: VALUE}         one test on one contract field

Tests by field kind (unknown = null or absent):

- boolean: ``is_true: true``, ``is_false: true``, ``is_unknown: true``, ``eq``/``ne`` (true/false)
- enum: ``eq``, ``ne``, ``in`` (schema values), ``is_unknown: true``
- integer: ``eq``, ``ne``, ``in``, ``lt``, ``le``, ``gt``, ``ge``, ``is_unknown: true``
- ``alleged_types``: ``contains`` (a type or a list: any of them), ``is_unknown: true``
- ``region_code``: ``eq``, ``ne``, ``in``, ``is_unknown: true``

A test on an unknown value is False (rules fire on what is known), except
``is_unknown``. Timing (confirmation, 48 h) belongs to the built-in rules, so
the datetime fields and ``notice_id`` cannot be tested.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from triage.contract import ABUSE_TYPES, notice_fields
from triage.contract.errors import TriageError
from triage.rules._facts import NoticeFacts

BOOLEAN_OPS = ("is_true", "is_false", "is_unknown", "eq", "ne")
ENUM_OPS = ("eq", "ne", "in", "is_unknown")
INTEGER_OPS = ("eq", "ne", "in", "lt", "le", "gt", "ge", "is_unknown")
TYPES_OPS = ("contains", "is_unknown")
STRING_OPS = ("eq", "ne", "in", "is_unknown")
FLAG_OPS = ("is_true", "is_false", "is_unknown")
UNTESTABLE = {
    "notice_id": "a pseudonymous id is not a risk fact",
    "received_at": "timing belongs to the built-in rules (R-48H, R-ONSITE)",
    "safety_confirmed_at": "timing belongs to the built-in rules (R-48H, R-ONSITE)",
}


class ConditionError(TriageError, ValueError):
    """Problems of one condition: ``problems`` holds (key path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))


def _ops_for(field: str) -> tuple[str, ...]:
    f = notice_fields()
    if field in f.booleans:
        return BOOLEAN_OPS
    if field in f.enums:
        return ENUM_OPS
    if field in f.integers:
        return INTEGER_OPS
    if field == "alleged_types":
        return TYPES_OPS
    return STRING_OPS


@dataclass(frozen=True)
class FieldTest:
    field: str
    op: str
    value: Any

    def __call__(self, facts: NoticeFacts) -> np.ndarray:
        f = notice_fields()
        field, op, value = self.field, self.op, self.value
        if op == "is_unknown":
            return facts.unknown(field)
        if field in f.booleans:
            if op in ("is_true", "is_false"):
                value, op = op == "is_true", "eq"
            want_true = value if op == "eq" else not value
            return facts.known_true(field) if want_true else facts.known_false(field)
        if field in f.enums:
            if op == "ne":
                return facts.enum_known(field) & ~facts.enum_in(field, value)
            return facts.enum_in(field, *(value if op == "in" else [value]))
        if field == "alleged_types":
            return facts.types_include(*(value if isinstance(value, tuple) else [value]))
        if field in f.integers:
            x = facts.integers(field)
            known = ~np.isnan(x)
            with np.errstate(invalid="ignore"):
                out = {
                    "eq": lambda: x == value,
                    "ne": lambda: known & (x != value),
                    "in": lambda: np.isin(x, value),
                    "lt": lambda: x < value,
                    "le": lambda: x <= value,
                    "gt": lambda: x > value,
                    "ge": lambda: x >= value,
                }[op]()
            return out & known
        s = facts.strings(field)
        known = np.array([v is not None for v in s.tolist()], dtype=bool)
        if op == "in":
            return known & np.isin(s, np.array(value, dtype=object))
        return known & ((s == value) if op == "eq" else (s != value))

    def describe(self) -> str:
        return f"{self.field} {self.op} {self.value!r}"


@dataclass(frozen=True)
class AllOf:
    items: tuple[Any, ...]

    def __call__(self, facts: NoticeFacts) -> np.ndarray:
        out = np.ones(facts.n, dtype=bool)
        for item in self.items:
            out &= item(facts)
        return out

    def describe(self) -> str:
        return "(" + " and ".join(i.describe() for i in self.items) + ")"


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Any, ...]

    def __call__(self, facts: NoticeFacts) -> np.ndarray:
        out = np.zeros(facts.n, dtype=bool)
        for item in self.items:
            out |= item(facts)
        return out

    def describe(self) -> str:
        return "(" + " or ".join(i.describe() for i in self.items) + ")"


def _join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


def parse_condition(raw: Any, path: str = "when") -> AllOf | AnyOf | FieldTest:
    """A condition from its YAML form; raises ``ConditionError`` naming every bad key path."""
    problems: list[tuple[str, str]] = []
    cond = _parse(raw, path, problems)
    if problems or cond is None:
        raise ConditionError(problems or [(path, "not a condition")])
    return cond


def _parse(raw: Any, path: str, problems: list[tuple[str, str]]) -> Any:
    if not isinstance(raw, dict) or not raw:
        problems.append(
            (path, "expected a condition: {all: [...]}, {any: [...]} or {field: NAME, OP: VALUE}")
        )
        return None
    groups = [k for k in ("all", "any") if k in raw]
    if groups:
        if len(raw) != 1:
            problems.append(
                (
                    path,
                    f"'{groups[0]}' stands alone in its mapping, got keys {sorted(map(str, raw))}",
                )
            )
            return None
        key = groups[0]
        items = raw[key]
        if not isinstance(items, list) or not items:
            problems.append((_join(path, key), "expected a non-empty list of conditions"))
            return None
        parsed = [
            _parse(item, _join(_join(path, key), i), problems) for i, item in enumerate(items)
        ]
        if any(p is None for p in parsed):
            return None
        return (AllOf if key == "all" else AnyOf)(tuple(parsed))
    if "field" not in raw:
        problems.append(
            (path, f"expected 'all', 'any' or 'field', got keys {sorted(map(str, raw))}")
        )
        return None
    return _parse_test(raw, path, problems)


def _parse_test(
    raw: dict[str, Any], path: str, problems: list[tuple[str, str]]
) -> FieldTest | None:
    f = notice_fields()
    field = raw["field"]
    fpath = _join(path, "field")
    if not isinstance(field, str) or field not in f.all:
        problems.append((fpath, f"unknown field {field!r}: use a field of notice.schema.json"))
        return None
    if field in UNTESTABLE:
        problems.append((fpath, f"{field!r} cannot be tested: {UNTESTABLE[field]}"))
        return None
    allowed = _ops_for(field)
    ops = [k for k in raw if k != "field"]
    if len(ops) != 1:
        problems.append(
            (
                path,
                f"a test has 'field' and exactly one of {', '.join(allowed)}; got {ops or 'none'}",
            )
        )
        return None
    op = ops[0]
    opath = _join(path, op)
    if op not in allowed:
        problems.append((opath, f"unknown test for {field!r}: use one of {', '.join(allowed)}"))
        return None
    value = raw[op]
    problem = _check_value(field, op, value)
    if problem:
        problems.append((opath, problem))
        return None
    return FieldTest(field, op, tuple(value) if isinstance(value, list) else value)


def _check_value(field: str, op: str, value: Any) -> str | None:
    f = notice_fields()
    if op in FLAG_OPS:
        return None if value is True else f"write '{op}: true'"
    many = op in ("in",) or (op == "contains" and isinstance(value, list))
    values = value if many else [value]
    if many and (not isinstance(value, list) or not value):
        return "expected a non-empty list"
    if field in f.booleans:
        ok = all(isinstance(v, bool) for v in values)
        return None if ok else "expected true or false"
    if field in f.enums:
        allowed = f.enums[field]
        bad = [v for v in values if v not in allowed]
        return f"{bad[0]!r} is not a value of {field} ({', '.join(allowed)})" if bad else None
    if field == "alleged_types":
        bad = [v for v in values if v not in ABUSE_TYPES]
        return f"{bad[0]!r} is not an abuse type ({', '.join(ABUSE_TYPES)})" if bad else None
    if field in f.integers:
        lo, hi = f.integers[field]
        bad = [v for v in values if isinstance(v, bool) or not isinstance(v, int)]
        return f"expected whole numbers ({field} is {lo}..{hi}), got {bad[0]!r}" if bad else None
    pattern = f.patterns.get(field)
    bad = [
        v for v in values if not isinstance(v, str) or (pattern and not re.fullmatch(pattern, v))
    ]
    return f"expected a {field} string, got {bad[0]!r}" if bad else None
