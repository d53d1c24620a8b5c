"""What the notice page shows, built from the stored notice, its cached score and decisions.

The suggestion is never a bare percentage: the tier comes first, then where
the model's estimate sits among the tier cut points, whether unknown facts
could move it, and the rules' floor that no model can lower. Without a model
the page shows the rules' verdict alone (floor, rules, actions, deadline) and
no tier of a model.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from triage.contract import TIERS
from triage.labels import ask_sentence, factor_sentence, field_label, labelled_fields, value_label
from triage.rules import BUILTIN_IDS
from triage.web.i18n import Words, when_text
from triage.web.waterfall_svg import waterfall

NEAR = 1.25
"""An estimate within this factor of a cut point is "close to the boundary"."""


def _pct(risk: float) -> str:
    return "<1%" if risk < 0.01 else f"{risk:.0%}"


def uncertainty(score: dict[str, Any], thresholds: Any | None, w: Words) -> list[str]:
    """Sentences placing the model's estimate: band, closeness to a boundary, unknowns, floor."""
    risk = float(score["risk"])
    k = max(1, round(1 / risk)) if risk > 0 else 1000
    out = [w("unc_estimate", pct=_pct(risk), k=f"{k:,}")]
    if thresholds is not None:
        cuts = (("urgent", thresholds.urgent), ("immediate", thresholds.immediate))
        # The urgency model's own band (a DV-witness notice's tier may come from the routing model).
        tier = str(thresholds.assign([risk])[0])
        lo, hi = {
            "standard": (0.0, thresholds.urgent),
            "urgent": (thresholds.urgent, thresholds.immediate),
            "immediate": (thresholds.immediate, 1.0),
        }[tier]
        out.append(w("unc_band", tier=w.tier(tier), lo=_pct(lo), hi=_pct(hi)))
        near = None
        for upper, cut in cuts:
            if risk > 0 and cut > 0 and abs(math.log(risk / cut)) < math.log(NEAR):
                lower = TIERS[TIERS.index(upper) + 1]
                near = lower if tier == upper else upper
        out.append(w("unc_near", tier=w.tier(near)) if near else w("unc_inside"))
    if score.get("ask_next"):
        out.append(w("unc_unknown", n=len(score["ask_next"])))
    if score.get("rule_floor"):
        out.append(w("unc_floor", tier=w.tier(score["rule_floor"])))
    return out


def _deadline(
    notice: dict[str, Any], verdict: dict[str, Any], as_of: pd.Timestamp, w: Words
) -> dict:
    deadline = pd.Timestamp(verdict["safety_deadline"])
    confirmed = notice.get("safety_confirmed_at")
    if confirmed and pd.Timestamp(confirmed) <= as_of:
        return {"text": w("deadline_confirmed", when=when_text(confirmed)), "overdue": False}
    hours = (deadline - as_of) / pd.Timedelta(hours=1)
    if hours <= -72:
        return {"text": w("deadline_overdue_days", days=f"{-hours / 24:.0f}"), "overdue": True}
    if hours <= 0:
        return {"text": w("deadline_overdue", hours=f"{-hours:.0f}"), "overdue": True}
    return {"text": w("deadline_left", hours=f"{hours:.0f}"), "overdue": False}


def _facts(notice: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    out = []
    for f in labelled_fields():
        if f in notice:
            out.append((field_label(f, lang), value_label(f, notice[f], lang)))
    return out


def rule_view(rule_id: str, rules_by_id: dict[str, Any], w: Words) -> dict[str, str]:
    rule = rules_by_id.get(rule_id)
    if rule is None:  # fired under a rule set this server no longer loads
        return {"id": rule_id, "source": "", "text": "", "floor": ""}
    source = rule.source
    if rule.id in BUILTIN_IDS:
        source = w("rule_source", source=rule.source)
    return {
        "id": rule.id,
        "source": source,
        "text": rule.text_ja if w.lang == "ja" else rule.text_en,
        "floor": w("rule_floor_of", tier=w.tier(rule.floor)) if rule.floor else "",
    }


def decision_view(d: dict[str, Any], w: Words) -> dict[str, Any]:
    """One decision for the page; ``d`` as ``workers.decision_for_viewer`` left it."""
    who = w.worker("you" if d.get("decided_by_you") else "another")
    return {
        "id": d["decision_id"],
        "tier": w.tier(d["decided_tier"]),
        "route": w.dv_route(d["decided_dv_route"]),
        "suggested": w("decision_suggested", tier=w.tier(d["suggested_tier"])),
        "overridden": d["tier_overridden"] or d["dv_route_overridden"],
        "below_floor": d["below_rule_floor"],
        "reason": d["override_reason"],
        "by": w("decided_by", user=who, when=when_text(d["decided_at"])),
        "model": d["model"],
        "hash": d["hash"][:16] if d.get("hash") else "",
    }


def notice_view(
    stored: dict[str, Any],
    *,
    decisions: list[dict[str, Any]],
    rules_by_id: dict[str, Any],
    thresholds: Any | None,
    as_of: pd.Timestamp,
    w: Words,
) -> dict[str, Any]:
    notice, score = stored["notice"], stored["score"]
    view: dict[str, Any] = {
        "notice_id": notice["notice_id"],
        "version": stored.get("version"),
        "received": when_text(notice["received_at"]),
        "is_dv": notice["notice_kind"] == "dv_witness",
        "facts": _facts(notice, w.lang),
        "history": [decision_view(d, w) for d in reversed(decisions)],
        "score": score,
        "score_hash": stored["score_hash"],
        "rules_only": None,
    }
    # The rules' part: from the score, or without a model from the rules' verdict alone.
    verdict = score if score is not None else stored.get("rules_verdict")
    if verdict is not None:
        view.update(
            rules=[rule_view(r, rules_by_id, w) for r in verdict["rules"]],
            actions=[w.action(a) for a in verdict["actions"]],
            deadline_at=when_text(verdict["safety_deadline"]),
            deadline=_deadline(notice, verdict, as_of, w),
        )
    if score is None:
        view["rules_only"] = verdict
        return view
    lang = w.lang
    view.update(
        suggested_tier=score["suggested_tier"],
        uncertainty=uncertainty(score, thresholds, w),
        factors=[
            {
                "sentence": factor_sentence(f["feature"], f["value"], f["direction"], lang),
                "contribution": f"{f['contribution']:+.2f}",
                "direction": f["direction"],
            }
            for f in score["factors"]
        ],
        waterfall=waterfall(
            score,
            lang=lang,
            base_label=w("waterfall_base"),
            margin_label=w("waterfall_margin"),
            others_label=w("waterfall_others", n="{n}"),
        ),
        ask=[
            ask_sentence(a["feature"], a["if_answer"], a["could_change_tier_to"], lang)
            for a in score.get("ask_next", [])
        ],
    )
    return view
