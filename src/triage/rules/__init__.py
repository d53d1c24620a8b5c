"""The safety floor: the national rules of the 2018 emergency measures, as code.

``RULES`` (in :mod:`triage.rules._table`) is the one place the rule table of
``contracts/README.md`` is written. :func:`apply_rules` judges a notice frame
at an explicit ``as_of``: which rules fire, the actions they add, the floor
they set, ``suggested_tier = max(model_tier, rule_floor)``, the 48-hour safety
deadline and the DV-witness route. No model output can put a notice below its
floor. :func:`load_rule_set` adds locally configured rules (``configs/rules.yaml``)
to the built-in ones, which are always on.

Layer: domain. May import ``triage.features``, ``triage.tiers``, labels, notices and
contract.
"""

from triage.rules._apply import RECORD_KEYS, RuleOutcome, apply_rules
from triage.rules._conditions import AllOf, AnyOf, ConditionError, FieldTest, parse_condition
from triage.rules._facts import NoticeFacts
from triage.rules._ruleset import RuleConfigError, RuleSet, load_rule_set, parse_rule_set
from triage.rules._table import (
    BUILTIN_IDS,
    CGC_TIERS,
    RECEIPT_FLOOR_RULES,
    RULES,
    Rule,
    known_actions,
)
from triage.rules._time import AS_OF_NEEDS_OFFSET, SAFETY_WINDOW, parse_as_of

__all__ = [
    "AS_OF_NEEDS_OFFSET",
    "BUILTIN_IDS",
    "CGC_TIERS",
    "RECEIPT_FLOOR_RULES",
    "RECORD_KEYS",
    "RULES",
    "SAFETY_WINDOW",
    "AllOf",
    "AnyOf",
    "ConditionError",
    "FieldTest",
    "NoticeFacts",
    "Rule",
    "RuleConfigError",
    "RuleOutcome",
    "RuleSet",
    "apply_rules",
    "known_actions",
    "load_rule_set",
    "parse_as_of",
    "parse_condition",
    "parse_rule_set",
]
