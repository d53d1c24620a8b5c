"""The national rule table (contracts/README.md, "Rules and the actions they add").

``RULES`` is the one place the table is written: id, source section of the
2018 emergency measures (児童虐待防止対策の強化に向けた緊急総合対策), condition,
actions and floor. Everything else (scoring, reports, tests) imports it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from triage.contract import TIERS, load_schema

if TYPE_CHECKING:
    from triage.rules._facts import NoticeFacts

Condition = Callable[["NoticeFacts"], np.ndarray]
"""A vectorised condition: facts of n notices -> bool array of n."""

RULE_ID_PATTERN = r"^[A-Z][A-Z0-9-]{1,40}$"
ACTION_ID_PATTERN = r"^[a-z][a-z0-9_]+$"

CGC_TIERS: tuple[str, ...] = ("immediate", "urgent")
"""DV-witness routing: ``dv_route`` is ``cgc`` when the tier is one of these, else ``municipality``."""

RECEIPT_FLOOR_RULES: tuple[str, ...] = ("R-SEVERE",)
"""Rules whose floor counts in the tier at receipt (before any deadline passed)."""


@cache
def known_actions() -> tuple[str, ...]:
    """Action ids listed in ``score.schema.json`` (``actions`` description, "known ids: ...")."""
    text = load_schema("score")["properties"]["actions"]["description"]
    listed = text.split("known ids:", 1)[1]
    return tuple(a.strip() for a in listed.split(",") if a.strip())


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One rule: when ``when`` holds it fires, adds ``actions`` and sets ``floor``.

    ``extra_actions`` are added too when the rule fires and ``extra_when``
    holds (R-TRANSFER's face-to-face handover). A rule with ``needs_tier``
    reads the suggested tier or the tier at receipt, so it is judged after the
    floor and cannot set one.
    """

    id: str
    source: str
    text_en: str
    text_ja: str
    actions: tuple[str, ...] = ()
    floor: str | None = None
    when: Condition = field(repr=False, compare=False)
    extra_actions: tuple[str, ...] = ()
    extra_when: Condition | None = field(default=None, repr=False, compare=False)
    needs_tier: bool = False

    def __post_init__(self) -> None:
        if not re.fullmatch(RULE_ID_PATTERN, self.id):
            raise ValueError(f"rule id {self.id!r} does not match {RULE_ID_PATTERN}")
        if self.floor is not None and self.floor not in TIERS:
            raise ValueError(f"rule {self.id}: floor {self.floor!r} is not a tier {TIERS}")
        if self.needs_tier and self.floor is not None:
            raise ValueError(f"rule {self.id}: a rule that reads the tier cannot set a floor")
        if bool(self.extra_actions) != (self.extra_when is not None):
            raise ValueError(f"rule {self.id}: extra_actions and extra_when go together")
        for action in (*self.actions, *self.extra_actions):
            if not re.fullmatch(ACTION_ID_PATTERN, action):
                raise ValueError(
                    f"rule {self.id}: action {action!r} does not match {ACTION_ID_PATTERN}"
                )
        if not (self.actions or self.floor):
            raise ValueError(f"rule {self.id}: a rule needs at least one action or a floor")


# Conditions shared by several rows of the table (the README says "same condition as").


def _unconfirmed(f: NoticeFacts) -> np.ndarray:
    return f.unconfirmed


def _overdue(f: NoticeFacts) -> np.ndarray:
    """R-ONSITE: unconfirmed and ``as_of >= received_at + 48 h``."""
    return f.overdue


def _harm_to_share(f: NoticeFacts) -> np.ndarray:
    """R-POLICE-1: ``injury`` is not ``none``, or ``neglect`` or ``sexual`` alleged."""
    injured = f.enum_known("injury") & ~f.enum_in("injury", "none")
    return injured | f.types_include("neglect", "sexual")


RULES: tuple[Rule, ...] = (
    Rule(
        id="R-48H",
        source="II, 3",
        text_en="Every notice still unconfirmed: see the child in person within 48 h of receipt.",
        text_ja="未確認の通告はすべて、受理後原則48時間以内に子どもを直接目視して安全確認する。",
        when=_unconfirmed,
        actions=("safety_check_48h",),
    ),
    Rule(
        id="R-ONSITE",
        source="II",
        text_en=(
            "Safety still unconfirmed 48 h after receipt: on-site inspection, "
            "with a request for police assistance."
        ),
        text_ja="受理後48時間を経ても安全確認ができない場合は立入調査を実施し、必要に応じ警察に援助要請する。",
        when=_overdue,
        actions=("onsite_inspection", "police_assistance"),
        floor="immediate",
    ),
    Rule(
        id="R-POLICE-1",
        source="III ①",
        text_en="Injury caused by abuse, neglect or (suspected) sexual abuse: share with the police.",
        text_ja="虐待による外傷、ネグレクト、性的虐待があると考えられる事案は警察と情報共有する。",
        when=_harm_to_share,
        actions=("police_info_share",),
    ),
    Rule(
        id="R-POLICE-2",
        source="III ②",
        text_en="Child not seen and safety not confirmed within 48 h: share with the police.",
        text_ja="48時間以内に子どもとの面会ができず安全確認ができない事案は警察と情報共有する。",
        when=_overdue,
        actions=("police_info_share",),
    ),
    Rule(
        id="R-POLICE-3",
        source="III ③",
        text_en="A case of R-POLICE-1 whose protection ends and the child returns home: share with the police.",
        text_ja="①の事案で一時保護等の措置を解除し家庭復帰するものは警察と情報共有する。",
        when=lambda f: f.known_true("returning_home_after_protection") & _harm_to_share(f),
        actions=("police_info_share",),
    ),
    Rule(
        id="R-TRANSFER",
        source="I ①②③",
        text_en=(
            "Family moved from another CGC's area: hand over in writing; if immediate or urgent, "
            "also face to face, keeping guidance in place until the handover is complete."
        ),
        text_ja=(
            "転居ケースはリスクアセスメント結果と資料を書面で引き継ぐ。緊急性が高い場合は対面で引き継ぎ、"
            "引継ぎ完了まで指導措置を解除しない。"
        ),
        when=lambda f: f.known_true("moved_from_other_area"),
        actions=("written_handover",),
        extra_actions=("face_to_face_handover", "keep_guidance_until_handover"),
        extra_when=lambda f: f.suggested_in("immediate", "urgent"),
    ),
    Rule(
        id="R-PROTECT",
        source="IV",
        text_en="Suggested tier immediate: consider temporary protection without hesitation.",
        text_ja="緊急度が最も高い場合は、躊躇なく一時保護を検討する。",
        when=lambda f: f.suggested_in("immediate"),
        actions=("consider_temporary_protection",),
        needs_tier=True,
    ),
    Rule(
        id="R-UNSEEN",
        source="V",
        text_en=(
            "Unconfirmed child not seen by any agency (missed health checks, not enrolled, "
            "no service use): see in person and share at the regional council."
        ),
        text_ja="乳幼児健診未受診・未就園・不就学・福祉サービス未利用等で未確認の子どもは、目視で確認し要保護児童対策地域協議会で共有する。",
        when=lambda f: (
            f.unconfirmed
            & (
                f.known_true("missed_health_checks")
                | f.known_true("not_enrolled")
                | f.known_true("no_service_use")
            )
        ),
        actions=("visual_confirmation", "council_share"),
    ),
    Rule(
        id="R-SEVERE",
        source="IV",
        text_en=(
            "Serious injury, disclosure of sexual abuse, or the child asks to be protected: "
            "immediate, whatever the score."
        ),
        text_ja="重篤な外傷、性的虐待の開示、または子ども本人が保護を求めている場合は、スコアにかかわらず最優先とする。",
        when=lambda f: (
            f.enum_in("injury", "serious")
            | f.known_true("sexual_abuse_disclosure")
            | f.known_true("child_requests_protection")
        ),
        floor="immediate",
    ),
    Rule(
        id="R-MUNI-48H",
        source="3",
        text_en=(
            "DV-witness notice routed to the municipality at receipt and still unconfirmed "
            "after 48 h: refer to the CGC."
        ),
        text_ja="市町村に振り分けた面前DV通告で48時間以内に安全確認ができない場合は、速やかに児童相談所へ送致する。",
        when=lambda f: (
            f.enum_in("notice_kind", "dv_witness") & ~f.receipt_in(*CGC_TIERS) & _overdue(f)
        ),
        actions=("refer_to_cgc",),
        needs_tier=True,
    ),
)
"""The national rules, in the contract's order."""

BUILTIN_IDS: frozenset[str] = frozenset(r.id for r in RULES)
