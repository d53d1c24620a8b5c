"""The release spec: the packaged default, the tables it asks for, and every way it can be wrong."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from triage.aggregates.attributes import (
    OUTCOMES,
    attribute_domain,
    attribute_names,
    required_attributes,
)
from triage.aggregates.spec import (
    ReleaseSpecError,
    load_release_spec,
    packaged_release_spec,
    parse_release_spec,
)
from triage.contract import TriageError

REPO = Path(__file__).resolve().parents[1]
PROJECT_SPEC = REPO / "configs" / "release.yaml"
MONTHS = tuple(f"2023-{m:02d}" for m in range(1, 13))


REQUIRED = required_attributes()


def _raw(**changes: Any) -> dict[str, Any]:
    raw = yaml.safe_load(PROJECT_SPEC.read_text("utf-8"))
    raw = copy.deepcopy(raw)
    raw.update(changes)
    return raw


def _extra(*tables: list[str]) -> dict[str, Any]:
    return {"one_way": True, "by_outcome": True, "extra": [list(t) for t in tables]}


def _error(raw: dict[str, Any]) -> str:
    with pytest.raises(ReleaseSpecError) as caught:
        parse_release_spec(raw, source="release.yaml")
    message = str(caught.value)
    assert "\n" not in message, "a spec error is one line"
    assert isinstance(caught.value, TriageError) and isinstance(caught.value, ValueError)
    return message


def test_the_packaged_copy_is_byte_equal_to_the_project_spec():
    assert packaged_release_spec().read_bytes() == PROJECT_SPEC.read_bytes(), (
        "src/triage/aggregates/configs/release.yaml differs from configs/release.yaml: copy it"
    )


def test_the_default_is_the_packaged_spec_and_reads_cleanly():
    spec = load_release_spec()
    assert spec == load_release_spec(PROJECT_SPEC)
    assert spec.release_spec_version == 1
    assert spec.outcomes == OUTCOMES
    names = spec.attribute_names()
    assert names == attribute_names()  # fields: all
    assert names[-2:] == OUTCOMES
    assert not {"notice_id", "region_code", "received_at", "safety_confirmed_at"} & set(names)


def test_the_default_tables_stay_small_and_name_real_attributes():
    spec = load_release_spec()
    domain = attribute_domain(spec, months=MONTHS)
    tables = spec.table_attributes(domain)
    for extra in spec.tables.extra:
        assert tuple(sorted(extra, key=list(domain).index)) in tables
        cells = 1  # per month for the month tables: a month's cells are a release's unit of time
        for name in extra:
            cells *= 1 if name == "received_month" else len(domain[name])
        assert cells <= 100, f"{extra}: {cells} cells is a lot for k=10 suppression"
    # every DV detail is tabulated against notice_kind, so not_applicable stays with general
    dv = [n for n in domain if n.startswith("dv_") and n != "dv_in_home"]
    assert all(("notice_kind", n) in tables for n in dv)


def test_digest_is_sixteen_hex_digits_and_follows_the_content_not_the_text(tmp_path):
    spec = load_release_spec()
    assert len(spec.digest) == 16 and int(spec.digest, 16) >= 0
    reformatted = tmp_path / "release.yaml"
    reformatted.write_text(yaml.safe_dump(_raw()), "utf-8")  # no comments, other layout
    assert load_release_spec(reformatted).digest == spec.digest
    other = parse_release_spec(_raw(bins={**_raw()["bins"], "siblings": [0, 1, 2]}))
    assert other.digest != spec.digest


def test_table_attributes_orders_and_deduplicates():
    raw = _raw(
        tables=_extra(
            ["injury", "child_age_years"],
            ["child_age_years", "injury"],  # the same table, other order
            ["recorded_tier", "route"],  # already a by-outcome table
            ["injury", "child_age_years", "recorded_harm_90d"],
        )
    )
    spec = parse_release_spec(raw)
    domain = attribute_domain(spec, months=MONTHS)
    tables = spec.table_attributes(domain)
    assert len(tables) == len(set(map(frozenset, tables)))
    names = list(domain)
    for table in tables:
        assert list(table) == sorted(table, key=names.index)
    n_attributes = len(names)
    one_way, by_outcome = n_attributes, 2 * (n_attributes - 2) + 1  # harm × tier once
    assert len(tables) == one_way + by_outcome + 2
    assert tables[:n_attributes] == [(n,) for n in names]
    assert tables[-2:] == [
        ("child_age_years", "injury"),
        ("child_age_years", "injury", "recorded_harm_90d"),
    ]
    assert spec.table_attributes(list(domain)) == tables  # names alone give the same tables


def test_tables_of_an_attribute_the_domain_lacks_are_left_out():
    spec = load_release_spec()
    domain = attribute_domain(spec, months=MONTHS, include_outcomes=False)
    tables = spec.table_attributes(domain)
    assert tables and all(not set(t) & set(OUTCOMES) for t in tables)
    assert len(tables) == len(domain) + sum(
        1 for t in spec.tables.extra if not set(t) & set(OUTCOMES)
    )


def test_fields_and_exclude_choose_the_attributes():
    required = list(REQUIRED)
    spec = parse_release_spec(_raw(fields=[*required[::-1], "weapon_used"], tables=_extra()))
    names = spec.attribute_names()
    assert set(names) == {*required, "weapon_used", *OUTCOMES}
    assert (
        names.index("route") < names.index("injury") < names.index("weapon_used")
    )  # contract order
    spec = parse_release_spec(
        _raw(exclude=["region_urbanity", "siblings"], outcomes=["recorded_tier"], tables=_extra())
    )
    names = spec.attribute_names()
    assert "region_urbanity" not in names and "siblings" not in names
    assert names[-1] == "recorded_tier" and "recorded_harm_90d" not in names


def test_a_spec_that_leaves_out_a_required_field_is_refused_naming_it():
    message = _error(_raw(fields=["route", "injury", "main_type"], tables=_extra()))
    assert "fields:" in message and "child_sex" in message and "household_type" in message
    message = _error(_raw(exclude=["child_sex"], tables=_extra()))
    assert "exclude:" in message and "child_sex" in message


def test_an_unknown_field_fails_at_once_with_its_key_path():
    extra = _raw()["tables"]["extra"][:2] + [["chld_age", "injury"]]
    raw = _raw(tables={"one_way": True, "by_outcome": True, "extra": extra})
    started = time.perf_counter()
    message = _error(raw)
    assert time.perf_counter() - started < 0.5
    assert message.startswith("release.yaml: tables.extra.2: unknown field 'chld_age'")
    assert "child_age_years" in message  # the suggestion and the list of fields


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"exclude": ["received_at"]}, "exclude.0: unknown field 'received_at' (the field "),
        ({"fields": ["route", "recorded_tier"]}, "fields.1: recorded_tier is an outcome"),
        ({"fields": "everything"}, "fields: expected all or a list of field names"),
        ({"colour": "red"}, "colour: unknown key (keys: release_spec_version, fields,"),
        ({"tables": {"extras": []}}, "tables.extras: unknown key (keys: one_way, by_outcome,"),
        ({"release_spec_version": 2}, "release_spec_version: Input should be 1, got 2"),
        ({"max_cells": 0}, "max_cells: Input should be greater than 0"),
        ({"outcomes": ["harm_90d"]}, "outcomes.0: Input should be 'recorded_harm_90d' or"),
        ({"outcomes": ["recorded_tier", "recorded_tier"]}, "outcomes.1: recorded_tier is listed"),
    ],
)
def test_a_wrong_key_or_value_is_named(changes, expected):
    assert expected in _error(_raw(**changes))


def test_a_table_of_an_excluded_attribute_is_refused():
    raw = _raw(exclude=["injury_head_face"], tables=_extra(["injury", "injury_head_face"]))
    assert "tables.extra.0: injury_head_face not released" in _error(raw)


def test_a_table_naming_an_attribute_twice_is_refused():
    assert "tables.extra.0: injury listed more than once" in _error(
        _raw(tables=_extra(["injury", "route", "injury"]))
    )


@pytest.mark.parametrize(
    ("bins", "expected"),
    [
        ({"child_age_years": [1, 3, 6]}, "bins.child_age_years: the first edge must be the "),
        ({"siblings": [0, 2, 2]}, "bins.siblings: expected strictly increasing edges"),
        ({"siblings": [0, 3, 1]}, "bins.siblings: expected strictly increasing edges"),
        ({"prior_notices": [0, 100]}, "bins.prior_notices: edge 100 is above the field's max"),
        ({"dv_repeat_count": []}, "bins.dv_repeat_count: expected at least one left edge"),
        ({"siblings": [0, "two"]}, "bins.siblings.1: Input should be a valid integer"),
        ({"siblings": [0, 1.5]}, "bins.siblings.1: Input should be a valid integer"),
        ({"age": [0, 3]}, "bins.age: not an integer field (integer fields: child_age_years,"),
    ],
)
def test_bad_bins_are_named(bins, expected):
    assert expected in _error(_raw(bins={**_raw()["bins"], **bins}))


def test_a_released_integer_field_needs_bins():
    raw = _raw()
    del raw["bins"]["prior_notices"]
    assert "bins: no bins for prior_notices" in _error(raw)
    raw["exclude"] = ["prior_notices"]
    raw["tables"] = _extra()
    assert "prior_notices" not in parse_release_spec(raw).attribute_names()


def test_a_table_too_large_is_refused_when_read_and_when_the_months_are_known():
    too_big = ["route", "child_age_years", "main_type", "injury", "recorded_tier"]  # 2376 cells
    message = _error(_raw(tables=_extra(too_big), max_cells=2000))
    assert "tables.extra.0: table route__child_age_years__main_type__injury__recorded_tier" in (
        message
    )
    assert "2376 cells, more than max_cells 2000" in message

    # received_month × route × age × tier: 198 cells a month, so 36 months are too many
    table = ["received_month", "route", "child_age_years", "recorded_tier"]
    spec = parse_release_spec(_raw(tables=_extra(table), max_cells=5000))
    months = [f"{y}-{m:02d}" for y in (2021, 2022, 2023) for m in range(1, 13)]
    with pytest.raises(ReleaseSpecError, match="child_age_years__recorded_tier has 7128 cells"):
        spec.table_attributes(attribute_domain(spec, months=months))
    assert spec.table_attributes(attribute_domain(spec, months=months[:12]))


def test_a_file_that_is_not_a_spec_is_refused(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("tables: [one_way\n", "utf-8")
    with pytest.raises(ReleaseSpecError, match=r"broken.yaml is not valid YAML: line \d+"):
        load_release_spec(broken)
    listed = tmp_path / "list.yaml"
    listed.write_text("- release_spec_version: 1\n", "utf-8")
    with pytest.raises(ReleaseSpecError, match="expected a mapping of keys at the top level"):
        load_release_spec(listed)
    with pytest.raises(ReleaseSpecError, match="cannot read release spec"):
        load_release_spec(tmp_path / "missing.yaml")
