"""A fairness audit's settings as the card shows them, in the card's language.

``triage audit`` logs two settings as English sentences (``audit.flag_rule``,
``audit.model_inputs``). The card says the ones this version writes in the card's
language and shows any other as logged (an older or newer audit's own words).
"""

from __future__ import annotations

import re

from triage import labels
from triage.report.sections.common import tier_name

MODEL_INPUTS_JA: dict[str, str] = {
    "sensitive features were model inputs": "機微な属性をモデルの入力に使用した",
    "sensitive features were not model inputs": "機微な属性はモデルの入力に使用していない",
    "sensitive features excluded": "機微な属性を除外した",
    "not stated by the run": "実行に記載なし",
    "not stated": "記載なし",
}
"""``audit.model_inputs`` as ``triage.audit`` logs it → Japanese; the English card shows it as
logged."""
FLAG_RULE_JA: dict[str, str] = {
    "tier": "提案された区分が{values}のとき",
    "route": "振り分け先が{values}のとき",
}
"""``"{decision} in {values}"`` (``triage.audit.groups``) in Japanese, by the decision audited;
the English card shows the rule as logged."""
_RULE = re.compile(r"^(\w+) in \{(.*)\}$")


def model_inputs(logged: str | None, lang: str) -> str | None:
    if lang == "en" or logged not in MODEL_INPUTS_JA:
        return logged
    return MODEL_INPUTS_JA[logged]


def flag_rule(logged: str | None, lang: str) -> str | None:
    """``route in {cgc}`` → 振り分け先が「児童相談所」のとき; a rule of another form as logged."""
    m = _RULE.match(logged or "")
    if lang == "en" or not m or m.group(1) not in FLAG_RULE_JA:
        return logged
    decision, values = m.group(1), [v.strip() for v in m.group(2).split(",") if v.strip()]
    named = "・".join(f"「{_value(decision, v, lang)}」" for v in values)
    return FLAG_RULE_JA[decision].format(values=named)


def _value(decision: str, value: str, lang: str) -> str:
    if decision == "tier":
        return tier_name(value, lang)
    try:
        return labels.dv_route_label(value, lang)
    except KeyError:
        return value
