"""Applying a rule set to a batch of notices at an explicit ``as_of``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from triage.contract import TIERS
from triage.rules._facts import NoticeFacts
from triage.rules._record import RecordFacts
from triage.rules._ruleset import RuleSet
from triage.rules._table import CGC_TIERS, RECEIPT_FLOOR_RULES, Rule
from triage.rules._time import parse_as_of
from triage.tiers import tier_codes

RECORD_KEYS: tuple[str, ...] = (
    "rules",
    "actions",
    "rule_floor",
    "suggested_tier",
    "safety_deadline",
    "dv_route",
)
"""The keys of score.schema.json that the rules fill, in :meth:`RuleOutcome.records`."""


_NO_FLOOR = len(TIERS)
_TIER_NAMES = np.array([*TIERS, None], dtype=object)  # code -> name; _NO_FLOOR -> None
_BUILTINS = RuleSet()


@dataclass(frozen=True, eq=False)
class RuleOutcome:
    """What the rules say about each notice; every field is aligned with the input order.

    ``rules``/``actions`` are lists of lists; the others are numpy arrays
    (object arrays of str/None, ``overdue`` bool).
    """

    rules: list[list[str]]
    actions: list[list[str]]
    rule_floor: np.ndarray
    suggested_tier: np.ndarray
    model_tier: np.ndarray
    safety_deadline: np.ndarray
    dv_route: np.ndarray
    dv_route_at_receipt: np.ndarray
    overdue: np.ndarray
    as_of: pd.Timestamp

    def __len__(self) -> int:
        return len(self.rules)

    def records(self) -> list[dict[str, Any]]:
        """Per notice, the score fields the rules fill (``RECORD_KEYS``), as plain Python values."""
        return [
            {
                "rules": list(r),
                "actions": list(a),
                "rule_floor": f,
                "suggested_tier": s,
                "safety_deadline": d,
                "dv_route": v,
            }
            for r, a, f, s, d, v in zip(
                self.rules,
                self.actions,
                self.rule_floor.tolist(),
                self.suggested_tier.tolist(),
                self.safety_deadline.tolist(),
                self.dv_route.tolist(),
                strict=True,
            )
        ]


def _fires(rule: Rule, condition: Any, facts: NoticeFacts) -> np.ndarray:
    out = condition(facts)
    out = np.asarray(out.to_numpy(dtype=bool, na_value=False) if hasattr(out, "to_numpy") else out)
    if out.shape != (facts.n,) or out.dtype != bool:
        raise TypeError(
            f"rule {rule.id}: a condition must give {facts.n} booleans, got {out.dtype} {out.shape}"
        )
    return out


def apply_rules(
    notices: pd.DataFrame | Mapping[str, Any],
    model_tier: Sequence[str] | np.ndarray,
    *,
    as_of: Any,
    rule_set: RuleSet | None = None,
) -> RuleOutcome:
    """Rules, actions, floor, suggested tier, deadline and DV route of each notice at ``as_of``.

    ``notices``: a notice frame, or one valid notice as a dict (JSON semantics;
    judged without pandas, with the same result as its one-row frame).
    ``suggested_tier = max(model_tier, rule_floor)`` (``TIERS`` order); the
    floor is the highest floor of the rules that fired. ``as_of`` is a tz-aware
    datetime or an ISO 8601 string with offset; a naive one raises ``ValueError``.
    """
    when = parse_as_of(as_of)
    rule_set = _BUILTINS if rule_set is None else rule_set
    rules = rule_set.rules
    if isinstance(notices, Mapping):
        facts: NoticeFacts = RecordFacts(notices, as_of=when)
    else:
        facts = NoticeFacts(notices, as_of=when)
    n = facts.n
    model = tier_codes(model_tier, n=n, name="model_tier").astype(np.int64)

    fired = np.zeros((n, len(rules)), dtype=bool)
    extra = np.zeros((n, len(rules)), dtype=bool)
    for j, rule in enumerate(rules):
        if not rule.needs_tier:
            fired[:, j] = _fires(rule, rule.when, facts)

    floor = np.full(n, _NO_FLOOR, dtype=np.int64)
    receipt_floor = np.full(n, _NO_FLOOR, dtype=np.int64)
    for j, rule in enumerate(rules):
        if rule.floor is not None:
            code = TIERS.index(rule.floor)
            floor = np.where(fired[:, j], np.minimum(floor, code), floor)
            if rule.id in RECEIPT_FLOOR_RULES:
                receipt_floor = np.where(
                    fired[:, j], np.minimum(receipt_floor, code), receipt_floor
                )
    suggested = np.minimum(model, floor)
    receipt = np.minimum(model, receipt_floor)
    facts.model_code, facts.suggested_code, facts.receipt_code = model, suggested, receipt

    for j, rule in enumerate(rules):
        if rule.needs_tier:
            fired[:, j] = _fires(rule, rule.when, facts)
        if rule.extra_when is not None:
            extra[:, j] = fired[:, j] & _fires(rule, rule.extra_when, facts)

    rule_lists, action_lists = _lists(rules, fired, extra)

    dv = facts.enum_in("notice_kind", "dv_witness")
    cgc_codes = [TIERS.index(t) for t in CGC_TIERS]
    route = np.where(np.isin(suggested, cgc_codes), "cgc", "municipality").astype(object)
    route_at_receipt = np.where(np.isin(receipt, cgc_codes), "cgc", "municipality").astype(object)
    route[~dv] = None
    route_at_receipt[~dv] = None

    return RuleOutcome(
        rules=rule_lists,
        actions=action_lists,
        rule_floor=_TIER_NAMES[floor],
        suggested_tier=_TIER_NAMES[suggested],
        model_tier=_TIER_NAMES[model],
        safety_deadline=facts.deadline_text() if n else np.empty(0, dtype=object),
        dv_route=route,
        dv_route_at_receipt=route_at_receipt,
        overdue=facts.overdue.copy(),
        as_of=when,
    )


def _lists(
    rules: tuple[Rule, ...], fired: np.ndarray, extra: np.ndarray
) -> tuple[list[list[str]], list[list[str]]]:
    """Fired ids (table order) and actions (each once, first appearance) per notice.

    Built once per distinct pattern of fired rules, then copied per notice.
    """
    n = len(fired)
    if n == 0:
        return [], []
    bits = np.concatenate([fired, extra], axis=1)
    if n == 1:
        inverse, first = np.zeros(1, dtype=np.intp), np.zeros(1, dtype=np.intp)
    else:
        inverse, first = _pattern_codes(bits)
    patterns = bits[first]
    k = len(rules)
    ids_of: list[list[str]] = []
    actions_of: list[list[str]] = []
    for row in patterns:
        ids: list[str] = []
        actions: list[str] = []
        for j, rule in enumerate(rules):
            if row[j]:
                ids.append(rule.id)
                actions.extend(rule.actions)
                if row[k + j]:
                    actions.extend(rule.extra_actions)
        ids_of.append(ids)
        actions_of.append(list(dict.fromkeys(actions)))
    return [list(ids_of[i]) for i in inverse], [list(actions_of[i]) for i in inverse]


def _pattern_codes(bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Code of each row's bit pattern, and the first row of each code."""
    packed = np.packbits(bits, axis=1)
    width = -(-packed.shape[1] // 8) * 8
    words = np.zeros((len(bits), width), dtype=np.uint8)
    words[:, : packed.shape[1]] = packed
    words = words.view(np.uint64)
    codes, _ = pd.factorize(words[:, 0])
    for col in range(1, words.shape[1]):
        more, uniques = pd.factorize(words[:, col])
        codes, _ = pd.factorize(codes.astype(np.int64) * len(uniques) + more)
    first = np.unique(codes, return_index=True)[1]
    return codes, first
