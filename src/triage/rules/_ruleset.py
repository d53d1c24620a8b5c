"""A rule set: the built-in national rules, always on, plus rules added by configuration.

``configs/rules.yaml`` holds one key, ``rules``, a list of rules of their own::

    rules:
      - id: LOCAL-INFANT-INJURY          # ^[A-Z][A-Z0-9-]{1,40}$, not a built-in id, not R-...
        source: "Example City intake manual 2024, 2.1"
        text_en: "..."
        text_ja: "..."
        when: {all: [{field: child_age_years, lt: 1}, {field: injury, in: [minor, serious]}]}
        actions: [visual_confirmation]   # known ids of score.schema.json, or new ^[a-z][a-z0-9_]+$
        floor: urgent                    # optional

Added rules can add actions and raise the floor; the floor is the highest of
all fired rules' floors, so no rule lowers another's, and nothing switches a
built-in rule off. Every problem is reported at once with its key path
(``rules.0.when.all.1.field: unknown field 'injuries' ...``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic_core import ErrorDetails

from triage.contract import TIERS
from triage.contract.errors import TriageError
from triage.contract.yaml_files import read_yaml
from triage.rules._conditions import ConditionError, parse_condition
from triage.rules._table import ACTION_ID_PATTERN, BUILTIN_IDS, RULE_ID_PATTERN, RULES, Rule

RESERVED_PREFIX = "R-"
"""Rule ids starting with this are kept for national rules."""

BUILTIN_ID_REUSED = (
    "{id!r} is a built-in rule id; built-in rules are always on and cannot be redefined "
    "or switched off: give a rule of your own its own id (e.g. LOCAL-...)"
)
RESERVED_ID = (
    "ids starting with 'R-' are kept for national rules: use a prefix of your own (e.g. LOCAL-)"
)
DUPLICATE_ID = "{id!r} is used by rule {first} already"
UNKNOWN_TOP_KEY = (
    "unknown key: a rules file holds only 'rules' (built-in rules cannot be switched off)"
)
UNKNOWN_RULE_KEY = "unknown key: a rule has id, source, text_en, text_ja, when, actions and floor"
NOTHING_TO_DO = "a rule needs at least one action or a floor"
DUPLICATE_ACTION = "{action!r} is listed twice"


class RuleConfigError(TriageError, ValueError):
    """A rules file that cannot be used, with every problem's key path."""


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=RULE_ID_PATTERN)]
    source: Text
    text_en: Text
    text_ja: Text
    when: Any = Field(...)
    actions: list[Annotated[str, StringConstraints(pattern=ACTION_ID_PATTERN)]] = []
    floor: Literal[TIERS] | None = None  # type: ignore[valid-type]


class _RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: list[_RuleSpec] = []


@dataclass(frozen=True)
class RuleSet:
    """The built-in ``RULES`` followed by ``extra`` rules; ``rules`` always starts with ``RULES``."""

    extra: tuple[Rule, ...] = ()
    source: str | None = None

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for rule in self.extra:
            if not isinstance(rule, Rule):
                raise TypeError(f"extra rules must be Rule objects, got {type(rule).__name__}")
            if rule.id in BUILTIN_IDS:
                raise ValueError(BUILTIN_ID_REUSED.format(id=rule.id))
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} appears twice")
            seen.add(rule.id)

    @property
    def rules(self) -> tuple[Rule, ...]:
        return RULES + self.extra

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules)

    def get(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)


def _describe(err: ErrorDetails) -> tuple[str, str]:
    loc = [str(p) for p in err["loc"]]
    path = ".".join(loc) or "(top level)"
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = UNKNOWN_TOP_KEY if len(loc) == 1 else UNKNOWN_RULE_KEY
    elif "input" in err and err["type"] != "missing":
        msg = f"{msg}, got {repr(err['input'])[:60]}"
    return path, msg


def _own_checks(raw_rules: list[Any]) -> list[tuple[str, str]]:
    """Checks pydantic does not make: ids, actions, conditions."""
    problems: list[tuple[str, str]] = []
    first: dict[str, str] = {}
    for i, raw in enumerate(raw_rules):
        if not isinstance(raw, dict):
            continue  # pydantic reports it
        path = f"rules.{i}"
        rule_id = raw.get("id")
        if isinstance(rule_id, str):
            if rule_id in BUILTIN_IDS:
                problems.append((f"{path}.id", BUILTIN_ID_REUSED.format(id=rule_id)))
            elif rule_id.startswith(RESERVED_PREFIX):
                problems.append((f"{path}.id", RESERVED_ID))
            elif rule_id in first:
                problems.append(
                    (f"{path}.id", DUPLICATE_ID.format(id=rule_id, first=first[rule_id]))
                )
            else:
                first[rule_id] = path
        actions = raw.get("actions") or []
        if isinstance(actions, list):
            for j, action in enumerate(actions):
                if action in actions[:j]:
                    problems.append((f"{path}.actions.{j}", DUPLICATE_ACTION.format(action=action)))
        if not actions and raw.get("floor") is None:
            problems.append((path, NOTHING_TO_DO))
        if "when" in raw:
            try:
                parse_condition(raw["when"], f"{path}.when")
            except ConditionError as exc:
                problems.extend(exc.problems)
    return problems


def parse_rule_set(raw: Any, *, source: str = "rules") -> RuleSet:
    """A rule set from the parsed YAML of a rules file (``None``: built-ins only)."""
    if raw is None:
        return RuleSet(source=source)
    if not isinstance(raw, dict):
        raise RuleConfigError(f"{source}: expected a mapping with the key 'rules' at the top level")
    problems: list[tuple[str, str]] = []
    spec: _RulesFile | None = None
    try:
        spec = _RulesFile.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_describe(e) for e in exc.errors())
    raw_rules = raw.get("rules")
    if isinstance(raw_rules, list):
        problems.extend(_own_checks(raw_rules))
    if problems or spec is None:
        lines = "\n".join(f"  {p}: {m}" for p, m in sorted(set(problems), key=_path_order))
        raise RuleConfigError(f"{source} is invalid ({len(set(problems))} problem(s)):\n{lines}")
    extra = tuple(
        Rule(
            id=r.id,
            source=r.source,
            text_en=r.text_en,
            text_ja=r.text_ja,
            when=parse_condition(r.when, f"rules.{i}.when"),
            actions=tuple(r.actions),
            floor=r.floor,
        )
        for i, r in enumerate(spec.rules)
    )
    return RuleSet(extra=extra, source=source)


def _path_order(problem: tuple[str, str]) -> tuple[Any, ...]:
    return tuple(
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in problem[0].split(".")
    ), problem[1]


def load_rule_set(path: str | Path | None = None) -> RuleSet:
    """The built-in rules plus the rules of a YAML file; ``None``: built-ins only."""
    if path is None:
        return RuleSet()
    path = Path(path)
    raw = read_yaml(path, "rules file", RuleConfigError)
    return parse_rule_set(raw, source=str(path))
