"""The safety floor: the national rule table as code (triage.rules).

The rule table is written once, in ``triage.rules``; these tests read the
contract (contracts/README.md) and check the code against it, and check every
rule against an independent per-notice reading of the README's text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frames import make_notice_frame
from notice_factory import make_notice
from triage.contract import ABUSE_TYPES, TIERS, notice_fields
from triage.notices import to_notice_frame
from triage.rules import (
    AS_OF_NEEDS_OFFSET,
    BUILTIN_IDS,
    RECORD_KEYS,
    RULES,
    Rule,
    RuleConfigError,
    RuleSet,
    apply_rules,
    known_actions,
    load_rule_set,
    parse_rule_set,
)

REPO = Path(__file__).resolve().parents[1]
DOMAIN_DIGEST = Path("/work/shared/reference/domain.md")
RANK = {t: i for i, t in enumerate(TIERS)}
H48 = pd.Timedelta(hours=48)

AS_OF = "2023-04-10T09:00:00+09:00"
"""Long after the default notice's 48 h deadline (received 2023-04-03T09:15+09:00)."""

QUIET = {
    "injury": "none",
    "alleged_types": ["psychological"],
    "injury_head_face": None,
    "missed_health_checks": False,
    "not_enrolled": False,
    "no_service_use": False,
    "moved_from_other_area": False,
    "safety_confirmed_at": "2023-04-03T15:00:00+09:00",
}
"""Overrides of ``make_notice`` under which no rule fires: confirmed, no harm, nothing unseen."""


def notice(*, dv: bool = False, **overrides: Any) -> dict[str, Any]:
    return make_notice(dv=dv, **{**QUIET, **overrides})


def run(records: list[dict[str, Any]], tiers: Any = "standard", *, as_of: Any = AS_OF, **kw):
    frame = to_notice_frame(pd.DataFrame(records))
    if isinstance(tiers, str):
        tiers = [tiers] * len(records)
    return apply_rules(frame, tiers, as_of=as_of, **kw)


def one(tier: str = "standard", *, as_of: Any = AS_OF, dv: bool = False, **overrides: Any):
    """The record of one notice, plus its route at receipt and overdue flag."""
    out = run([notice(dv=dv, **overrides)], tier, as_of=as_of)
    rec = out.records()[0]
    rec["dv_route_at_receipt"] = out.dv_route_at_receipt[0]
    rec["overdue"] = bool(out.overdue[0])
    return rec


# --------------------------------------------------------------- the table and the contract


def _readme_rows() -> list[list[str]]:
    text = resources.files("triage").joinpath("contracts", "README.md").read_text("utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| R-")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_rule_table_has_the_contracts_ids_in_the_contracts_order():
    assert [r.id for r in RULES] == [row[0] for row in _readme_rows()]


def test_rule_table_floors_and_actions_are_those_of_the_contract():
    for rule, (rule_id, _when, adds, floor) in zip(RULES, _readme_rows(), strict=True):
        assert rule.id == rule_id
        assert rule.floor == (None if floor == "—" else floor.strip("`")), rule_id
        named = re.findall(r"`([a-z_0-9]+)`", adds)
        listed = [a for a in named if a in known_actions()]  # not `suggested_tier`, `immediate`
        assert list(rule.actions) + list(rule.extra_actions) == listed, rule_id


def test_every_built_in_action_is_a_known_action_of_the_score_schema():
    used = {a for r in RULES for a in (*r.actions, *r.extra_actions)}
    assert used <= set(known_actions())
    assert set(known_actions()) == used  # nothing in the schema that no rule adds


@pytest.mark.skipif(not DOMAIN_DIGEST.is_file(), reason="domain digest not available")
def test_rule_sources_are_the_sections_of_the_2018_measures():
    rows = re.findall(r"^\| (R-[A-Z0-9-]+) \| ([^|]+) \|", DOMAIN_DIGEST.read_text("utf-8"), re.M)
    sources = dict((i, s.strip()) for i, s in rows)
    for rule in RULES:
        if rule.id in sources:
            assert rule.source == sources[rule.id], rule.id
        assert rule.source and rule.text_en and rule.text_ja


def test_a_rule_that_reads_the_tier_cannot_set_a_floor():
    with pytest.raises(ValueError, match="cannot set a floor"):
        Rule(
            id="LOCAL-X",
            source="x",
            text_en="x",
            text_ja="x",
            when=lambda f: f.suggested_in("urgent"),
            floor="immediate",
            needs_tier=True,
        )


# --------------------------------------------------------------- each row of the table


@pytest.mark.parametrize(
    ("overrides", "fires"),
    [
        ({"safety_confirmed_at": None}, True),
        ({"safety_confirmed_at": "2023-04-11T09:00:00+09:00"}, True),  # later than as_of
        ({"safety_confirmed_at": "2023-04-10T09:00:00+09:00"}, False),  # exactly at as_of
        ({"safety_confirmed_at": "2023-04-03T10:00:00+09:00"}, False),
    ],
)
def test_r_48h_fires_on_every_unconfirmed_notice(overrides, fires):
    rec = one(**overrides)
    assert ("R-48H" in rec["rules"]) is fires
    assert ("safety_check_48h" in rec["actions"]) is fires


@pytest.mark.parametrize(
    ("overrides", "tier", "expected"),
    [
        ({"safety_confirmed_at": None}, "standard", True),
        ({"safety_confirmed_at": "2023-04-12T09:00:00+09:00"}, "standard", True),
        ({"safety_confirmed_at": "2023-04-05T09:15:00+09:00"}, "standard", False),
        (
            {"safety_confirmed_at": None, "received_at": "2023-04-09T09:00:00+09:00"},
            "standard",
            False,
        ),
    ],
)
def test_r_onsite_and_r_police_2_fire_when_unconfirmed_48_h_after_receipt(
    overrides, tier, expected
):
    rec = one(tier, **overrides)
    assert ("R-ONSITE" in rec["rules"]) is expected
    assert ("R-POLICE-2" in rec["rules"]) is expected
    assert rec["overdue"] is expected
    if expected:
        assert rec["rule_floor"] == "immediate"
        assert rec["suggested_tier"] == "immediate"
        assert {"onsite_inspection", "police_assistance", "police_info_share"} <= set(
            rec["actions"]
        )
    else:
        assert rec["rule_floor"] is None
        assert not {"onsite_inspection", "police_assistance"} & set(rec["actions"])


@pytest.mark.parametrize(
    ("overrides", "fires"),
    [
        ({"injury": "minor"}, True),
        ({"injury": "serious"}, True),
        ({"alleged_types": ["neglect"]}, True),
        ({"alleged_types": ["sexual"]}, True),
        ({"alleged_types": ["psychological", "neglect"]}, True),  # not only the main type
        ({"alleged_types": ["physical", "psychological"]}, False),
        ({}, False),
    ],
)
def test_r_police_1_fires_on_injury_neglect_or_sexual_abuse(overrides, fires):
    rec = one(**overrides)
    assert ("R-POLICE-1" in rec["rules"]) is fires
    assert ("police_info_share" in rec["actions"]) is fires
    assert "R-POLICE-3" not in rec["rules"]


@pytest.mark.parametrize(
    ("overrides", "fires"),
    [
        ({"returning_home_after_protection": True, "injury": "minor"}, True),
        ({"returning_home_after_protection": True, "alleged_types": ["neglect"]}, True),
        ({"returning_home_after_protection": True}, False),  # no R-POLICE-1 condition
        ({"returning_home_after_protection": None, "injury": "minor"}, False),  # unknown
        ({"returning_home_after_protection": False, "injury": "minor"}, False),
    ],
)
def test_r_police_3_fires_on_return_home_in_a_police_1_case(overrides, fires):
    rec = one(**overrides)
    assert ("R-POLICE-3" in rec["rules"]) is fires


@pytest.mark.parametrize(
    ("overrides", "tier", "fires", "face_to_face"),
    [
        ({"moved_from_other_area": True}, "standard", True, False),
        ({"moved_from_other_area": True}, "urgent", True, True),
        ({"moved_from_other_area": True}, "immediate", True, True),
        ({"moved_from_other_area": True, "injury": "serious"}, "standard", True, True),  # floor
        ({"moved_from_other_area": None}, "urgent", False, False),
        ({"moved_from_other_area": False}, "urgent", False, False),
    ],
)
def test_r_transfer_hands_over_in_writing_and_face_to_face_when_urgent(
    overrides, tier, fires, face_to_face
):
    rec = one(tier, **overrides)
    assert ("R-TRANSFER" in rec["rules"]) is fires
    assert ("written_handover" in rec["actions"]) is fires
    for action in ("face_to_face_handover", "keep_guidance_until_handover"):
        assert (action in rec["actions"]) is face_to_face
    if face_to_face:
        i = rec["actions"].index("written_handover")
        assert rec["actions"][i : i + 3] == [
            "written_handover",
            "face_to_face_handover",
            "keep_guidance_until_handover",
        ]


@pytest.mark.parametrize(
    ("overrides", "tier", "fires"),
    [
        ({}, "immediate", True),
        ({}, "urgent", False),
        ({}, "standard", False),
        ({"child_requests_protection": True}, "standard", True),  # by the floor
        ({"safety_confirmed_at": None}, "standard", True),  # overdue: R-ONSITE floor
    ],
)
def test_r_protect_fires_exactly_when_the_suggested_tier_is_immediate(overrides, tier, fires):
    rec = one(tier, **overrides)
    assert ("R-PROTECT" in rec["rules"]) is fires
    assert ("consider_temporary_protection" in rec["actions"]) is fires
    assert (rec["suggested_tier"] == "immediate") is fires


@pytest.mark.parametrize(
    ("overrides", "fires"),
    [
        ({"safety_confirmed_at": None, "missed_health_checks": True}, True),
        ({"safety_confirmed_at": None, "not_enrolled": True}, True),
        ({"safety_confirmed_at": None, "no_service_use": True}, True),
        ({"safety_confirmed_at": "2023-04-11T00:00:00+09:00", "no_service_use": True}, True),
        ({"missed_health_checks": True}, False),  # confirmed before as_of
        (
            {
                "safety_confirmed_at": None,
                "missed_health_checks": None,
                "not_enrolled": None,
                "no_service_use": None,
            },
            False,
        ),
        ({"safety_confirmed_at": None}, False),  # all three known false
    ],
)
def test_r_unseen_fires_on_an_unconfirmed_child_no_agency_has_seen(overrides, fires):
    rec = one(**overrides)
    assert ("R-UNSEEN" in rec["rules"]) is fires
    assert ({"visual_confirmation", "council_share"} <= set(rec["actions"])) is fires


@pytest.mark.parametrize(
    ("overrides", "fires"),
    [
        ({"injury": "serious"}, True),
        ({"sexual_abuse_disclosure": True}, True),
        ({"child_requests_protection": True}, True),
        ({"injury": "minor"}, False),
        ({"sexual_abuse_disclosure": None, "child_requests_protection": None}, False),
        ({"sexual_abuse_disclosure": False, "child_requests_protection": False}, False),
    ],
)
def test_r_severe_sets_an_immediate_floor_whatever_the_model_says(overrides, fires):
    rec = one("standard", **overrides)
    assert ("R-SEVERE" in rec["rules"]) is fires
    assert rec["rule_floor"] == ("immediate" if fires else None)
    assert rec["suggested_tier"] == ("immediate" if fires else "standard")


def test_r_muni_48h_refers_an_unconfirmed_municipal_dv_notice_to_the_cgc():
    # The README's example: routed to the municipality at receipt, still
    # unconfirmed after 48 h -> refer_to_cgc, immediate by R-ONSITE, ends at the CGC.
    rec = one("standard", dv=True, safety_confirmed_at=None)
    assert rec["dv_route_at_receipt"] == "municipality"
    assert "R-MUNI-48H" in rec["rules"]
    assert "refer_to_cgc" in rec["actions"]
    assert rec["suggested_tier"] == "immediate"
    assert rec["dv_route"] == "cgc"
    assert rec["rules"][-1] == "R-MUNI-48H"  # the table's order: last row


@pytest.mark.parametrize(
    ("tier", "overrides", "dv", "fires", "route", "at_receipt"),
    [
        ("standard", {}, True, False, "municipality", "municipality"),  # confirmed in time
        (
            "standard",
            {"safety_confirmed_at": None, "received_at": AS_OF},
            True,
            False,
            "municipality",
            "municipality",
        ),
        ("urgent", {"safety_confirmed_at": None}, True, False, "cgc", "cgc"),  # CGC from the start
        (
            "standard",
            {"safety_confirmed_at": None, "child_requests_protection": True},
            True,
            False,
            "cgc",
            "cgc",
        ),
        ("urgent", {}, True, False, "cgc", "cgc"),
        ("standard", {"safety_confirmed_at": None}, False, False, None, None),  # general notice
    ],
)
def test_r_muni_48h_does_not_fire_otherwise_and_dv_route_follows_the_tier(
    tier, overrides, dv, fires, route, at_receipt
):
    rec = one(tier, dv=dv, **overrides)
    assert ("R-MUNI-48H" in rec["rules"]) is fires
    assert rec["dv_route"] == route
    assert rec["dv_route_at_receipt"] == at_receipt


def test_a_quiet_notice_fires_no_rule_and_keeps_the_model_tier():
    for tier in TIERS:
        rec = one(tier)
        assert rec["rules"] == ([] if tier != "immediate" else ["R-PROTECT"])
        assert rec["rule_floor"] is None
        assert rec["suggested_tier"] == tier


# --------------------------------------------------------------- the 48-hour boundary


@pytest.mark.parametrize(
    ("received", "as_of", "fires"),
    [
        ("2024-04-01T09:00:00+09:00", "2024-04-03T09:00:00+09:00", True),  # exactly 48 h
        ("2024-04-01T09:00:00+09:00", "2024-04-03T08:59:59+09:00", False),  # one second short
        ("2024-04-01T00:00:00Z", "2024-04-03T00:00:00Z", True),  # the same instants, in UTC
        ("2024-04-01T00:00:00Z", "2024-04-02T23:59:59Z", False),
        ("2024-04-01T09:00:00+09:00", "2024-04-03T00:00:00Z", True),  # mixed
        ("2024-04-01T00:00:00Z", "2024-04-03T08:59:59+09:00", False),
    ],
)
def test_exactly_48_hours_counts_as_overdue_in_any_offset(received, as_of, fires):
    for as_of_value in (as_of, pd.Timestamp(as_of), pd.Timestamp(as_of).to_pydatetime()):
        rec = one(as_of=as_of_value, received_at=received, safety_confirmed_at=None)
        assert ("R-ONSITE" in rec["rules"]) is fires
        assert ("R-POLICE-2" in rec["rules"]) is fires
        assert rec["overdue"] is fires


def test_the_boundary_holds_on_a_raw_frame_of_strings_too():
    raw = pd.DataFrame(
        [
            notice(
                notice_id="A", received_at="2024-04-01T09:00:00+09:00", safety_confirmed_at=None
            ),
            notice(notice_id="B", received_at="2024-04-01T00:00:00Z", safety_confirmed_at=None),
        ]
    )
    at = apply_rules(raw, ["standard"] * 2, as_of="2024-04-03T00:00:00Z")
    assert at.overdue.tolist() == [True, True]
    before = apply_rules(raw, ["standard"] * 2, as_of="2024-04-03T08:59:59+09:00")
    assert before.overdue.tolist() == [False, False]
    # each notice's deadline keeps its own offset
    assert at.safety_deadline.tolist() == ["2024-04-03T09:00:00+09:00", "2024-04-03T00:00:00+00:00"]


def test_a_confirmation_later_than_as_of_does_not_count():
    base = {"received_at": "2024-04-01T09:00:00+09:00"}
    as_of = "2024-04-03T09:00:00+09:00"
    later = one(as_of=as_of, safety_confirmed_at="2024-04-03T09:00:01+09:00", **base)
    assert {"R-48H", "R-ONSITE", "R-POLICE-2"} <= set(later["rules"])
    earlier = one(as_of=as_of, safety_confirmed_at="2024-04-02T00:00:00Z", **base)
    assert not {"R-48H", "R-ONSITE", "R-POLICE-2"} & set(earlier["rules"])
    late_but_done = one(as_of=as_of, safety_confirmed_at="2024-04-03T00:00:00Z", **base)
    assert late_but_done["rules"] == []  # confirmed exactly at as_of, after the deadline: done


def test_safety_deadline_is_received_plus_48_hours_confirmed_or_not():
    for confirmed in (None, "2024-04-01T10:00:00+09:00"):
        rec = one(received_at="2024-04-01T09:00:00+09:00", safety_confirmed_at=confirmed)
        assert rec["safety_deadline"] == "2024-04-03T09:00:00+09:00"
    rec = one(received_at="2024-04-01T00:00:00.250000Z")
    assert rec["safety_deadline"] == "2024-04-03T09:00:00.250000+09:00"  # notice frame: Japan time


@pytest.mark.parametrize(
    "as_of",
    [
        "2024-04-03T09:00:00",
        datetime(2024, 4, 3, 9),
        pd.Timestamp("2024-04-03T09:00:00"),
        np.datetime64("2024-04-03T09:00"),
    ],
)
def test_a_naive_as_of_is_refused(as_of):
    with pytest.raises(ValueError, match=re.escape(AS_OF_NEEDS_OFFSET)):
        one(as_of=as_of)


def test_as_of_accepts_any_offset_as_the_same_instant():
    zones = [UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-5))]
    instant = datetime(2024, 4, 3, 0, 0, tzinfo=UTC)
    recs = [
        one(
            as_of=instant.astimezone(z),
            received_at="2024-04-01T00:00:00Z",
            safety_confirmed_at=None,
        )
        for z in zones
    ]
    assert all(r == recs[0] for r in recs)
    assert "R-ONSITE" in recs[0]["rules"]


# --------------------------------------------------------------- inputs


def test_records_have_exactly_the_score_keys_the_rules_fill():
    out = run([notice(), notice(dv=True, safety_confirmed_at=None)])
    assert RECORD_KEYS == (
        "rules",
        "actions",
        "rule_floor",
        "suggested_tier",
        "safety_deadline",
        "dv_route",
    )
    for rec in out.records():
        assert tuple(rec) == RECORD_KEYS


def test_bad_model_tiers_are_refused():
    frame = to_notice_frame(pd.DataFrame([notice()]))
    with pytest.raises(ValueError, match="not tiers"):
        apply_rules(frame, ["high"], as_of=AS_OF)
    with pytest.raises(ValueError, match="not tiers"):
        apply_rules(frame, [None], as_of=AS_OF)
    with pytest.raises(ValueError, match="2 values for 1 notices"):
        apply_rules(frame, ["urgent", "urgent"], as_of=AS_OF)


def test_a_missing_required_fact_is_refused_not_read_as_no():
    frame = to_notice_frame(pd.DataFrame([notice()]))
    frame["injury"] = frame["injury"].astype(object)
    frame.loc[0, "injury"] = None
    with pytest.raises(ValueError, match="'injury' on every notice"):
        apply_rules(frame, ["standard"], as_of=AS_OF)
    raw = pd.DataFrame([notice(injury="Serious")])
    with pytest.raises(ValueError, match="outside the contract"):
        apply_rules(raw, ["standard"], as_of=AS_OF)


def test_a_notice_time_without_offset_is_refused():
    raw = pd.DataFrame([notice()])
    raw["received_at"] = [datetime(2024, 4, 1, 9)]  # a naive datetime64 column
    with pytest.raises(ValueError, match="no offset"):
        apply_rules(raw, ["standard"], as_of=AS_OF)
    raw["received_at"] = pd.Series([datetime(2024, 4, 1, 9)], dtype=object)
    with pytest.raises(ValueError, match="'received_at' holds values that are not date-times"):
        apply_rules(raw, ["standard"], as_of=AS_OF)
    raw["received_at"] = ["2024-04-01T09:00:00"]
    with pytest.raises(ValueError, match="'received_at' holds values that are not date-times"):
        apply_rules(raw, ["standard"], as_of=AS_OF)


def test_no_notices_give_an_empty_outcome():
    frame = to_notice_frame(pd.DataFrame([notice()])).iloc[:0]
    out = apply_rules(frame, [], as_of=AS_OF)
    assert len(out) == 0 and out.records() == []


def test_ten_thousand_notices_give_one_record_each():
    # Speed is measured by benchmarks/bench_scoring.py, not asserted here.
    frame, _ = make_notice_frame(10_000, seed=3)
    tiers = np.random.default_rng(0).choice(TIERS, len(frame))
    rule_set = parse_rule_set(_EXAMPLE_RULES)
    out = apply_rules(frame, tiers, as_of="2025-01-01T00:00:00Z", rule_set=rule_set)
    assert len(out.records()) == len(frame)


# --------------------------------------------------------------- properties

BOOLEANS = notice_fields().booleans
ENUMS = notice_fields().enums
BASE_TIME = pd.Timestamp("2024-04-01T00:00:00Z")


def _text(stamp: pd.Timestamp, zone: str) -> str:
    if zone == "Z":
        return stamp.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    return stamp.tz_convert("Asia/Tokyo").strftime("%Y-%m-%dT%H:%M:%S+09:00")


AROUND_48H = st.one_of(
    st.sampled_from([0, 48 * 3600 - 1, 48 * 3600, 48 * 3600 + 1]),
    st.integers(-12 * 3600, 120 * 3600),
)


@st.composite
def notice_records(draw, as_of: pd.Timestamp) -> dict[str, Any]:
    """One notice as a JSON-like dict, timed around ``as_of``: any value the contract allows."""
    age = draw(AROUND_48H)  # seconds between receipt and as_of
    received = as_of - pd.Timedelta(seconds=age)
    confirmed = draw(
        st.one_of(
            st.none(),
            st.just(as_of),
            st.integers(0, 130 * 3600).map(lambda s: received + pd.Timedelta(seconds=s)),
        )
    )
    zone = st.sampled_from(["Z", "+09:00"])
    rec = make_notice(
        dv=draw(st.booleans()),
        received_at=_text(received, draw(zone)),
        safety_confirmed_at=None if confirmed is None else _text(confirmed, draw(zone)),
    )
    rec["injury"] = draw(st.sampled_from(ENUMS["injury"]))
    rec["alleged_types"] = draw(
        st.lists(st.sampled_from(ABUSE_TYPES), min_size=1, max_size=4, unique=True)
    )
    rec["child_age_years"] = draw(st.integers(0, 17))
    for field in BOOLEANS:
        rec[field] = draw(st.sampled_from([None, True, False]))
    return rec


def oracle(rec: dict[str, Any], model: str, as_of: pd.Timestamp) -> dict[str, Any]:
    """What contracts/README.md says for one notice, read row by row, independently of the code."""
    received = pd.Timestamp(rec["received_at"])
    confirmed = rec["safety_confirmed_at"]
    unconfirmed = confirmed is None or pd.Timestamp(confirmed) > as_of
    overdue = unconfirmed and as_of >= received + H48

    def yes(field: str) -> bool:
        return rec.get(field) is True

    harm = rec["injury"] != "none" or bool({"neglect", "sexual"} & set(rec["alleged_types"]))
    severe = (
        rec["injury"] == "serious"
        or yes("sexual_abuse_disclosure")
        or yes("child_requests_protection")
    )
    floor = "immediate" if (overdue or severe) else None
    suggested = model if floor is None else min(model, floor, key=RANK.get)
    at_receipt = "immediate" if severe else model
    dv = rec["notice_kind"] == "dv_witness"
    municipal_at_receipt = at_receipt == "standard"
    fired = [
        ("R-48H", unconfirmed, ["safety_check_48h"]),
        ("R-ONSITE", overdue, ["onsite_inspection", "police_assistance"]),
        ("R-POLICE-1", harm, ["police_info_share"]),
        ("R-POLICE-2", overdue, ["police_info_share"]),
        ("R-POLICE-3", yes("returning_home_after_protection") and harm, ["police_info_share"]),
        (
            "R-TRANSFER",
            yes("moved_from_other_area"),
            ["written_handover"]
            + (
                ["face_to_face_handover", "keep_guidance_until_handover"]
                if suggested in ("immediate", "urgent")
                else []
            ),
        ),
        ("R-PROTECT", suggested == "immediate", ["consider_temporary_protection"]),
        (
            "R-UNSEEN",
            unconfirmed
            and (yes("missed_health_checks") or yes("not_enrolled") or yes("no_service_use")),
            ["visual_confirmation", "council_share"],
        ),
        ("R-SEVERE", severe, []),
        ("R-MUNI-48H", dv and municipal_at_receipt and overdue, ["refer_to_cgc"]),
    ]
    actions: list[str] = []
    for _id, holds, adds in fired:
        actions += [a for a in adds if holds and a not in actions]
    route = None
    if dv:
        route = "cgc" if suggested in ("immediate", "urgent") else "municipality"
    return {
        "rules": [i for i, holds, _ in fired if holds],
        "actions": actions,
        "rule_floor": floor,
        "suggested_tier": suggested,
        "safety_deadline": received + H48,
        "dv_route": route,
        "dv_route_at_receipt": None
        if not dv
        else ("municipality" if municipal_at_receipt else "cgc"),
        "overdue": overdue,
    }


@st.composite
def batches(draw):
    as_of = BASE_TIME + pd.Timedelta(seconds=draw(st.integers(0, 400 * 86400)))
    records = draw(st.lists(notice_records(as_of), min_size=1, max_size=12))
    for i, rec in enumerate(records):
        rec["notice_id"] = f"N{i:04d}"
    tiers = draw(st.lists(st.sampled_from(TIERS), min_size=len(records), max_size=len(records)))
    as_of_text = _text(as_of, draw(st.sampled_from(["Z", "+09:00"])))
    normalised = draw(st.booleans())
    return records, tiers, as_of_text, normalised


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_every_rule_fires_exactly_on_its_condition_for_any_notice_and_model_tier(batch):
    records, tiers, as_of_text, normalised = batch
    raw = pd.DataFrame(records)
    frame = to_notice_frame(raw) if normalised else raw
    out = apply_rules(frame, np.array(tiers, dtype=object), as_of=as_of_text)
    as_of = pd.Timestamp(as_of_text)
    order = {r.id: i for i, r in enumerate(RULES)}
    for i, (rec, model, got) in enumerate(zip(records, tiers, out.records(), strict=True)):
        want = oracle(rec, model, as_of)
        assert got["rules"] == want["rules"], rec
        assert got["actions"] == want["actions"], rec
        assert got["rule_floor"] == want["rule_floor"]
        assert got["suggested_tier"] == want["suggested_tier"]
        assert got["dv_route"] == want["dv_route"]
        assert out.dv_route_at_receipt[i] == want["dv_route_at_receipt"]
        assert bool(out.overdue[i]) is want["overdue"]
        # the properties of the issue, stated directly
        floor = got["rule_floor"]
        assert RANK[got["suggested_tier"]] == min(RANK[model], RANK.get(floor, len(TIERS)))
        if floor is not None:
            assert RANK[got["suggested_tier"]] <= RANK[floor]
        assert out.model_tier[i] == model
        assert [order[r] for r in got["rules"]] == sorted(order[r] for r in got["rules"])
        assert len(got["actions"]) == len(set(got["actions"]))
        assert pd.Timestamp(got["safety_deadline"]) == want["safety_deadline"]
        assert (got["dv_route"] is None) is (rec["notice_kind"] == "general")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches(), st.sampled_from(TIERS))
def test_no_model_output_puts_a_notice_below_its_floor(batch, floor_of_extra):
    records, _tiers, as_of_text, _ = batch
    frame = to_notice_frame(pd.DataFrame(records))
    extra = parse_rule_set(
        {
            "rules": [
                {
                    "id": "LOCAL-ANY-INJURY",
                    "source": "test",
                    "text_en": "x",
                    "text_ja": "x",
                    "when": {"field": "injury", "ne": "none"},
                    "floor": floor_of_extra,
                }
            ]
        }
    )
    for rule_set in (None, extra):
        floors = None
        for model in TIERS:  # every model output, the same notices
            out = apply_rules(frame, [model] * len(frame), as_of=as_of_text, rule_set=rule_set)
            if floors is None:
                floors = out.rule_floor.tolist()
            assert out.rule_floor.tolist() == floors  # the floor does not depend on the model
            for f, s in zip(floors, out.suggested_tier.tolist(), strict=True):
                assert RANK[s] <= min(RANK[model], RANK.get(f, len(TIERS)))
    built_in = apply_rules(frame, ["standard"] * len(frame), as_of=as_of_text)
    with_extra = apply_rules(frame, ["standard"] * len(frame), as_of=as_of_text, rule_set=extra)
    for a, b in zip(built_in.rule_floor.tolist(), with_extra.rule_floor.tolist(), strict=True):
        if a is not None:
            assert b is not None and RANK[b] <= RANK[a]  # an added rule never lowers a floor


# --------------------------------------------------------------- rules added by configuration

_EXAMPLE_RULES = {
    "rules": [
        {
            "id": "LOCAL-INFANT-INJURY",
            "source": "test manual 2.1",
            "text_en": "Infant with any injury",
            "text_ja": "乳児の外傷",
            "when": {
                "all": [
                    {"field": "child_age_years", "lt": 1},
                    {"field": "injury", "in": ["minor", "serious"]},
                ]
            },
            "actions": ["visual_confirmation", "same_day_visit"],
            "floor": "urgent",
        },
        {
            "id": "LOCAL-UNKNOWN-CONTACT",
            "source": "test manual 2.2",
            "text_en": "Contact refusal not known",
            "text_ja": "接触拒否が不明",
            "when": {
                "any": [
                    {"field": "contact_refused", "is_unknown": True},
                    {"field": "alleged_types", "contains": ["sexual"]},
                ]
            },
            "actions": ["ask_about_contact"],
        },
    ]
}


def test_added_rules_fire_after_the_built_ins_and_can_raise_the_floor(tmp_path):
    import yaml

    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(_EXAMPLE_RULES, allow_unicode=True), "utf-8")
    rule_set = load_rule_set(path)
    assert rule_set.ids[: len(RULES)] == tuple(r.id for r in RULES)
    assert rule_set.ids[len(RULES) :] == ("LOCAL-INFANT-INJURY", "LOCAL-UNKNOWN-CONTACT")
    records = [
        notice(notice_id="A", child_age_years=0, injury="minor", contact_refused=None),
        notice(notice_id="B", child_age_years=0, injury="none", contact_refused=False),
        notice(notice_id="C", child_age_years=3, injury="minor", contact_refused=True),
        notice(notice_id="D", child_age_years=0, injury="serious", contact_refused=False),
    ]
    out = run(records, "standard", rule_set=rule_set)
    recs = out.records()
    assert recs[0]["rules"] == ["R-POLICE-1", "LOCAL-INFANT-INJURY", "LOCAL-UNKNOWN-CONTACT"]
    assert recs[0]["actions"] == [
        "police_info_share",
        "visual_confirmation",
        "same_day_visit",
        "ask_about_contact",
    ]
    assert (recs[0]["rule_floor"], recs[0]["suggested_tier"]) == ("urgent", "urgent")
    assert recs[1]["rules"] == [] and recs[1]["suggested_tier"] == "standard"
    assert recs[2]["rules"] == ["R-POLICE-1"]
    assert recs[3]["rule_floor"] == "immediate"  # R-SEVERE's floor stays above the added one


def test_an_added_rule_can_raise_a_dv_notice_to_the_cgc():
    rule_set = parse_rule_set(
        {
            "rules": [
                {
                    "id": "LOCAL-DV-STRANGULATION",
                    "source": "test",
                    "text_en": "x",
                    "text_ja": "x",
                    "when": {"field": "dv_strangulation", "is_true": True},
                    "floor": "urgent",
                }
            ]
        }
    )
    out = run([notice(dv=True, dv_strangulation=True)], "standard", rule_set=rule_set)
    assert out.dv_route.tolist() == ["cgc"]
    assert out.suggested_tier.tolist() == ["urgent"]


def _bad(rule: dict[str, Any] | None = None, **top: Any) -> str:
    base = {**_EXAMPLE_RULES["rules"][0], **(rule or {})}
    raw = {"rules": [base], **top}
    with pytest.raises(RuleConfigError) as info:
        parse_rule_set(raw, source="rules.yaml")
    return str(info.value)


@pytest.mark.parametrize(
    ("rule", "path", "words"),
    [
        ({"id": "R-48H"}, "rules.0.id", "built-in rule id"),
        ({"id": "R-LOCAL"}, "rules.0.id", "kept for national rules"),
        ({"id": "local-x"}, "rules.0.id", "pattern"),
        ({"enabled": False}, "rules.0.enabled", "unknown key"),
        ({"floor": "critical"}, "rules.0.floor", "'immediate', 'urgent' or 'standard'"),
        ({"actions": ["Bad Action"]}, "rules.0.actions.0", "pattern"),
        ({"actions": ["council_share", "council_share"]}, "rules.0.actions.1", "twice"),
        ({"actions": [], "floor": None}, "rules.0", "at least one action or a floor"),
        ({"when": {"field": "injuries", "eq": "minor"}}, "rules.0.when.field", "unknown field"),
        (
            {"when": {"all": [{"field": "injury", "eq": "minor"}, {"field": "age", "lt": 1}]}},
            "rules.0.when.all.1.field",
            "unknown field 'age'",
        ),
        ({"when": {"field": "injury", "in": "minor"}}, "rules.0.when.in", "non-empty list"),
        ({"when": {"field": "injury", "eq": "major"}}, "rules.0.when.eq", "not a value of injury"),
        ({"when": {"field": "injury", "lt": "minor"}}, "rules.0.when.lt", "unknown test"),
        (
            {"when": {"field": "weapon_used", "is_true": False}},
            "rules.0.when.is_true",
            "is_true: true",
        ),
        ({"when": {"field": "child_age_years", "lt": "one"}}, "rules.0.when.lt", "whole numbers"),
        ({"when": {"field": "received_at", "is_unknown": True}}, "rules.0.when.field", "timing"),
        ({"when": {"any": []}}, "rules.0.when.any", "non-empty list"),
        ({"when": {"all": [{"field": "injury"}]}}, "rules.0.when.all.0", "exactly one of"),
        ({"when": {"not": {"field": "injury", "eq": "minor"}}}, "rules.0.when", "expected 'all'"),
        ({"when": "injury == minor"}, "rules.0.when", "expected a condition"),
    ],
)
def test_a_bad_added_rule_fails_naming_its_key_path(rule, path, words):
    message = _bad(rule)
    assert f"  {path}: " in message, message
    assert words in message, message
    assert message.startswith("rules.yaml is invalid")


def test_every_problem_of_a_rules_file_is_reported_at_once():
    raw = {
        "rules": [
            _EXAMPLE_RULES["rules"][0],
            {**_EXAMPLE_RULES["rules"][1], "id": "LOCAL-INFANT-INJURY", "floor": "high"},
            {**_EXAMPLE_RULES["rules"][1], "id": "R-SEVERE", "when": {"field": "nope", "eq": 1}},
        ]
    }
    with pytest.raises(RuleConfigError) as info:
        parse_rule_set(raw, source="rules.yaml")
    message = str(info.value)
    for path in ("rules.1.id", "rules.1.floor", "rules.2.id", "rules.2.when.field"):
        assert f"  {path}: " in message, message


def test_built_in_rules_cannot_be_switched_off():
    assert "disable: unknown key" in _bad(disable=["R-48H"]).replace("  ", "")
    assert "built-in rules cannot be switched off" in _bad(enabled={"R-48H": False})
    assert load_rule_set().rules == RULES
    assert parse_rule_set({"rules": []}).rules == RULES
    assert parse_rule_set(None).rules == RULES
    with pytest.raises(ValueError, match="built-in rule id"):
        RuleSet(extra=(RULES[0],))
    rule_set = parse_rule_set(_EXAMPLE_RULES)
    assert rule_set.rules[: len(RULES)] == RULES and set(BUILTIN_IDS) <= set(rule_set.ids)


def test_the_shipped_rules_file_is_valid_and_its_commented_example_too(tmp_path):
    shipped = REPO / "configs" / "rules.yaml"
    assert load_rule_set(shipped).rules == RULES
    text = shipped.read_text("utf-8")
    block = text.split("# Example", 1)[1].split("\n\nrules: []", 1)[0]
    lines = [line[2:] for line in block.splitlines()[1:] if line.startswith("# ")]
    example = tmp_path / "example.yaml"
    example.write_text("\n".join(lines) + "\n", "utf-8")
    rule_set = load_rule_set(example)
    assert rule_set.ids[len(RULES) :] == ("LOCAL-INFANT-INJURY",)
    rec = run([notice(child_age_years=0, injury="minor")], rule_set=rule_set).records()[0]
    assert rec["rule_floor"] == "urgent"


def test_a_broken_rules_file_names_the_file(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("rules: [\n", "utf-8")
    with pytest.raises(RuleConfigError, match="not valid YAML"):
        load_rule_set(path)
    with pytest.raises(RuleConfigError, match="cannot read rules file"):
        load_rule_set(tmp_path / "missing.yaml")


# --------------------------------------------------------------- one notice as a dict

_EVERY_KIND_OF_TEST = {
    "rules": [
        {
            "id": f"LOCAL-T{i}",
            "source": "test",
            "text_en": "x",
            "text_ja": "x",
            "when": when,
            "actions": [f"act_{i}"],
            **({"floor": floor} if floor else {}),
        }
        for i, (when, floor) in enumerate(
            [
                ({"field": "weapon_used", "is_true": True}, "urgent"),
                ({"field": "contact_refused", "is_false": True}, None),
                ({"field": "child_fears_home", "is_unknown": True}, None),
                ({"field": "dv_strangulation", "eq": True}, "immediate"),
                ({"field": "dv_weapon", "ne": True}, None),
                ({"field": "route", "ne": "police"}, None),
                ({"field": "injury", "in": ["minor", "serious"]}, None),
                ({"field": "child_sex", "is_unknown": True}, None),
                ({"field": "child_age_years", "lt": 3}, "urgent"),
                ({"field": "prior_notices", "ge": 1}, None),
                ({"field": "dv_repeat_count", "is_unknown": True}, None),
                ({"field": "siblings", "in": [0, 2]}, None),
                ({"field": "alleged_types", "contains": ["sexual", "neglect"]}, None),
                ({"field": "region_code", "in": ["R07", "A01"]}, None),
                ({"field": "region_code", "ne": "R07"}, None),
                (
                    {
                        "any": [
                            {"field": "injury_head_face", "is_true": True},
                            {"all": [{"field": "notice_kind", "eq": "dv_witness"},
                                     {"field": "dv_child_injured", "is_true": True}]},
                        ]
                    },
                    "urgent",
                ),
            ]
        )
    ]
}  # fmt: skip


_ZONES = {
    "+09:00": timezone(timedelta(hours=9)),
    "Z": UTC,
    "-05:30": timezone(-timedelta(hours=5, minutes=30)),
    "+14:00": timezone(timedelta(hours=14)),
    "+00:00": UTC,
}


@st.composite
def odd_times(draw, rec: dict[str, Any]) -> dict[str, Any]:
    """Receipt and confirmation written with fractions of a second and other offsets."""
    for field in ("received_at", "safety_confirmed_at"):
        if rec.get(field) is None:
            continue
        micros = draw(st.sampled_from([0, 1, 250_000, 999_999]))
        stamp = pd.Timestamp(rec[field]) + pd.Timedelta(microseconds=micros)
        zone = draw(st.sampled_from(sorted(_ZONES)))
        local = stamp.tz_convert(_ZONES[zone])
        fraction = f".{local.microsecond:06d}" if local.microsecond else ""
        rec[field] = local.strftime("%Y-%m-%dT%H:%M:%S") + fraction + zone
    for field in draw(st.lists(st.sampled_from(sorted(BOOLEANS)), max_size=5)):
        rec.pop(field, None)  # absent, not null: unknown all the same
    return rec


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches(), st.data())
def test_one_notice_as_a_dict_gets_exactly_what_it_gets_in_a_frame(batch, data):
    records, tiers, as_of_text, _ = batch
    records = [data.draw(odd_times(dict(r))) for r in records]
    frame = to_notice_frame(pd.DataFrame(records))
    for rule_set in (None, parse_rule_set(_EVERY_KIND_OF_TEST)):
        together = apply_rules(frame, tiers, as_of=as_of_text, rule_set=rule_set)
        for i, rec in enumerate(records):
            alone = apply_rules(rec, [tiers[i]], as_of=as_of_text, rule_set=rule_set)
            assert alone.records() == [together.records()[i]], rec
            assert alone.dv_route_at_receipt.tolist() == [together.dv_route_at_receipt[i]]
            assert alone.overdue.tolist() == [together.overdue[i]]
            assert alone.model_tier.tolist() == [together.model_tier[i]]


def test_a_dict_missing_a_required_fact_is_refused_as_a_frame_is():
    rec = {k: v for k, v in notice().items() if k != "injury"}
    with pytest.raises(ValueError, match="rules need 'injury'"):
        apply_rules(rec, ["standard"], as_of=AS_OF)
    with pytest.raises(ValueError, match="rules need 'injury'"):
        run([rec])
