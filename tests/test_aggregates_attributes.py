"""Attributes: notices and outcomes → discretised records → notices that satisfy the contract."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from notice_factory import make_notice
from triage.aggregates.attributes import (
    MONTH,
    NOT_APPLICABLE,
    OUTCOMES,
    UNKNOWN,
    attribute_domain,
    bin_labels,
    bin_ranges,
    months_spanned,
    to_notices,
    to_records,
)
from triage.aggregates.spec import load_release_spec, packaged_release_spec, parse_release_spec
from triage.aggregates.tables import tabulate
from triage.contract import TIERS, InvalidParameter, notice_fields
from triage.notices import validate_notices, write_notices
from triage.synth import generate, load_spec

DV_ONLY = notice_fields().dv_only


@pytest.fixture(scope="module")
def spec():
    return load_release_spec()


@pytest.fixture(scope="module")
def synthetic():
    return generate(load_spec(), n=3000, seed=1)


@pytest.fixture(scope="module")
def discretised(synthetic, spec):
    return to_records(synthetic.notices, synthetic.truth, spec)


def _spec(**changes: Any):
    raw = copy.deepcopy(yaml.safe_load(packaged_release_spec().read_text("utf-8")))
    raw.update(changes)
    return parse_release_spec(raw)


def _valid(notices: pd.DataFrame) -> pd.DataFrame:
    result = validate_notices(notices)
    assert result.errors == [], result.errors[:3]
    return result.valid


# --- the domain ---------------------------------------------------------------------------


def test_the_domain_follows_the_contract_and_the_bins(spec):
    domain = attribute_domain(spec, months=["2023-03", "2023-04"])
    names = list(domain)
    assert names[0] == MONTH and names[-2:] == list(OUTCOMES)
    assert domain[MONTH] == ("2023-03", "2023-04")
    assert domain["child_age_years"] == ("0-2", "3-5", "6-8", "9-11", "12-14", "15-17")
    assert domain["siblings"] == ("0", "1", "2", "3+", UNKNOWN)
    assert domain["prior_notices"] == ("0", "1", "2", "3-5", "6+", UNKNOWN)
    assert domain["dv_repeat_count"] == ("0", "1", "2-3", "4+", UNKNOWN, NOT_APPLICABLE)
    assert domain["child_sex"] == ("female", "male", "unknown")  # its own unknown, once
    assert domain["region_urbanity"] == ("urban", "suburban", "rural", UNKNOWN)  # optional
    assert domain["route"] == notice_fields().enums["route"]  # required: no unknown
    assert domain["injury_head_face"] == ("yes", "no", UNKNOWN)
    assert domain["dv_strangulation"] == ("yes", "no", UNKNOWN, NOT_APPLICABLE)
    assert domain["main_type"] == ("physical", "neglect", "sexual", "psychological")
    assert domain["alleged_sexual"] == ("yes", "no")
    assert domain["recorded_harm_90d"] == ("0", "1")
    assert domain["recorded_tier"] == TIERS
    for never in ("notice_id", "received_at", "safety_confirmed_at", "region_code"):
        assert never not in domain


def test_bin_labels_and_the_values_they_stand_for():
    assert bin_labels([0, 3, 6], 8) == ("0-2", "3-5", "6-8")
    assert bin_labels([0, 1, 2, 3], 15) == ("0", "1", "2", "3+")  # wider than the rest: open
    assert bin_labels([0, 3, 6], 10) == ("0-2", "3-5", "6+")
    assert bin_labels([0], 17) == ("0-17",)
    low, high = bin_ranges(("0", "1-2", "3+", UNKNOWN, NOT_APPLICABLE))
    assert low.tolist() == [0, 1, 3, -1, -1] and high.tolist() == [0, 2, 4, -1, -1]


@pytest.mark.parametrize(
    "months", [["2023-1"], ["2023-04", "2023-03"], ["2023-04", "2023-04"], ["April"]]
)
def test_months_must_be_increasing_year_months(spec, months):
    with pytest.raises(InvalidParameter, match=r"months\.\d"):
        attribute_domain(spec, months=months)


def test_months_are_japan_months_and_contiguous():
    times = pd.Series(
        pd.to_datetime(["2023-01-31T15:30:00Z", "2023-04-02T00:00:00Z"], utc=True)
    )  # 2023-02-01 00:30 and 2023-04-02 09:00 in Japan
    assert months_spanned(times) == ("2023-02", "2023-03", "2023-04")


# --- notices → records --------------------------------------------------------------------


def test_records_are_categorical_over_the_domain(synthetic, discretised):
    records, domain = discretised
    assert list(records.columns) == list(domain)
    assert len(records) == len(synthetic.notices)
    for name, levels in domain.items():
        column = records[name]
        assert isinstance(column.dtype, pd.CategoricalDtype), name
        assert tuple(column.cat.categories) == levels, name
        assert column.notna().all(), name
    span = months_spanned(synthetic.notices["received_at"])
    assert domain[MONTH] == span and len(span) == 36  # three fiscal years


def test_binned_values_fall_in_their_bins(synthetic, discretised):
    records, domain = discretised
    notices = synthetic.notices
    for field in ("child_age_years", "siblings", "prior_notices", "dv_repeat_count"):
        low, high = bin_ranges(domain[field])
        codes = records[field].cat.codes.to_numpy()
        values = notices[field].to_numpy(dtype=np.float64, na_value=np.nan)
        known = low[codes] >= 0  # not unknown, not not_applicable
        assert np.isnan(values[~known]).all(), field
        labels = np.array(domain[field])[codes[known]]
        is_open = np.char.endswith(labels, "+")  # "6+" holds everything from 6 up
        value, lo, hi = values[known], low[codes[known]], high[codes[known]]
        assert (value >= lo).all() and ((value <= hi) | is_open).all(), field


def test_dv_details_of_general_notices_are_not_applicable(synthetic, discretised):
    records, _ = discretised
    general = (synthetic.notices["notice_kind"] == "general").to_numpy()
    assert general.any() and (~general).any()
    for field in DV_ONLY:
        assert (records[field][general] == NOT_APPLICABLE).all(), field
        assert (records[field][~general] != NOT_APPLICABLE).all(), field


def test_alleged_types_become_the_main_type_and_one_flag_per_type(synthetic, discretised):
    records, _ = discretised
    alleged = synthetic.notices["alleged_types"]
    assert (records["main_type"].astype(str) == alleged.map(lambda t: t[0])).all()
    for kind in ("physical", "neglect", "sexual", "psychological"):
        expected = alleged.map(lambda t, k=kind: "yes" if k in t else "no")
        assert (records[f"alleged_{kind}"].astype(str) == expected).all(), kind


def test_outcomes_are_matched_by_notice_id(synthetic, discretised):
    records, _ = discretised
    shuffled = synthetic.truth.sample(frac=1.0, random_state=0)  # another order
    again, _ = to_records(synthetic.notices, shuffled, load_release_spec())
    assert again.equals(records)
    harm = synthetic.truth["recorded_harm_90d"].astype(int).astype(str)
    assert (records["recorded_harm_90d"].astype(str) == harm).all()
    assert (
        records["recorded_tier"].astype(str) == synthetic.truth["recorded_tier"].astype(str)
    ).all()


def test_records_without_outcomes_have_no_outcome_attributes(synthetic, spec):
    records, domain = to_records(synthetic.notices.head(50), None, spec)
    assert not set(OUTCOMES) & set(domain) and list(records.columns) == list(domain)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda o: o.iloc[1:], r"outcomes: notice 'SYN2023-0000001' has no outcomes \(1 "),
        (lambda o: pd.concat([o, o.iloc[:1]]), "notice_id 'SYN2023-0000001' appears more"),
        (lambda o: o.drop(columns="recorded_tier"), "outcomes: no column recorded_tier"),
        (
            lambda o: o.assign(recorded_tier=o["recorded_tier"].astype(object).where(o.index > 2)),
            "outcomes: recorded_tier of notice 'SYN2023-0000001' is missing; expected one of",
        ),
        (
            lambda o: o.assign(recorded_harm_90d=np.where(o.index == 4, 2, 0)),
            "outcomes: recorded_harm_90d of notice 'SYN2023-0000005' is 2; expected one of 0, 1",
        ),
    ],
)
def test_outcomes_that_do_not_fit_are_named(synthetic, spec, change, expected):
    notices = synthetic.notices.head(20)
    outcomes = change(synthetic.truth.head(20)[["notice_id", *OUTCOMES]].copy())
    with pytest.raises(InvalidParameter, match=expected):
        to_records(notices, outcomes, spec)


def test_harm_may_be_written_as_numbers_booleans_or_text(synthetic, spec):
    notices = synthetic.notices.head(30)
    truth = synthetic.truth.head(30)[["notice_id", *OUTCOMES]]
    expected, _ = to_records(notices, truth, spec)
    for harm in (
        truth["recorded_harm_90d"].astype(int),
        truth["recorded_harm_90d"].astype(int).astype(str),
        truth["recorded_harm_90d"].astype("boolean"),
    ):
        got, _ = to_records(notices, truth.assign(recorded_harm_90d=harm), spec)
        assert got.equals(expected)


def test_a_month_outside_the_given_months_is_named(synthetic, spec):
    with pytest.raises(
        InvalidParameter, match="months: notice 'SYN2023-0000001' was received in 2021-04"
    ):
        to_records(synthetic.notices, synthetic.truth, spec, months=["2022-01"])


# --- records → notices --------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_round_trip_notices_validate_and_give_back_the_records(
    tmp_path, synthetic, spec, discretised, suffix
):
    records, domain = discretised
    notices, outcomes = to_notices(records, domain, seed=7)
    path = write_notices(notices, tmp_path / f"notices{suffix}")
    result = validate_notices(path)
    assert result.errors == [] and result.n_valid == len(records)
    again, again_domain = to_records(result.valid, outcomes, spec, months=domain[MONTH])
    assert again_domain == domain
    assert again.equals(records)


def test_values_are_drawn_within_their_levels(discretised):
    records, domain = discretised
    notices, outcomes = to_notices(records, domain, seed=3)
    assert notices["notice_id"].iloc[0] == "AG-0000001"
    assert notices["notice_id"].iloc[-1] == f"AG-{len(records):07d}"
    months = notices["received_at"].dt.strftime("%Y-%m")
    assert (months.to_numpy() == records[MONTH].astype(str).to_numpy()).all()
    assert str(notices["received_at"].dt.tz) == "Asia/Tokyo"
    assert notices["safety_confirmed_at"].isna().all()
    urbanity = records["region_urbanity"].astype(str)
    expected_regions = [None if u == UNKNOWN else f"AG-{u}" for u in urbanity]
    assert notices["region_code"].tolist() == expected_regions
    for field in ("child_age_years", "siblings", "prior_notices", "dv_repeat_count"):
        low, high = bin_ranges(domain[field])
        codes = records[field].cat.codes.to_numpy()
        values = notices[field].to_numpy(dtype=np.float64, na_value=np.nan)
        known = low[codes] >= 0
        assert np.isnan(values[~known]).all()
        assert ((values[known] >= low[codes][known]) & (values[known] <= high[codes][known])).all()
    # uniform within a level: every value of a bin, every day of a month turns up
    ages = notices["child_age_years"][records["child_age_years"] == "12-14"]
    assert set(ages) == {12, 13, 14}
    assert notices["received_at"].dt.day.nunique() == 31
    assert outcomes["notice_id"].equals(notices["notice_id"])
    assert outcomes["recorded_harm_90d"].dtype == np.int64
    assert list(outcomes["recorded_tier"].cat.categories) == list(TIERS)


def test_the_same_records_and_seed_give_the_same_notices(discretised):
    records, domain = discretised
    sample = records.head(500)
    first, first_outcomes = to_notices(sample, domain, seed=11)
    again, again_outcomes = to_notices(sample, domain, seed=11)
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first_outcomes, again_outcomes)
    other, _ = to_notices(sample, domain, seed=12)
    assert not other["received_at"].equals(first["received_at"])


def test_impossible_records_are_repaired_so_notice_kind_and_main_type_win(discretised):
    records, domain = discretised
    rows = records.head(4).copy()
    # row 0: a general notice with DV details; row 1: a DV notice with none applicable;
    # row 2: main type physical though alleged_physical says no
    rows.loc[0, ["notice_kind", "dv_strangulation", "dv_repeat_count"]] = [
        "general",
        "yes",
        "4+",
    ]
    rows.loc[1, ["notice_kind", "route"]] = ["dv_witness", "police"]
    rows.loc[1, list(DV_ONLY)] = NOT_APPLICABLE
    rows.loc[2, ["main_type", "alleged_physical", "alleged_sexual"]] = ["physical", "no", "yes"]
    notices, _ = to_notices(rows.reset_index(drop=True), domain, seed=0)
    valid = _valid(notices)
    assert valid.loc[0, list(DV_ONLY)].isna().all()  # general: no DV details at all
    assert valid.loc[1, list(DV_ONLY)].isna().all()  # DV, details unknown
    assert valid.loc[2, "alleged_types"][0] == "physical"
    assert "sexual" in valid.loc[2, "alleged_types"]
    again, _ = to_records(valid, None, load_release_spec(), months=domain[MONTH])
    assert again.loc[0, "dv_strangulation"] == NOT_APPLICABLE
    assert (again.loc[1, list(DV_ONLY)] == UNKNOWN).all()
    assert again.loc[2, "alleged_physical"] == "yes"


def test_records_as_plain_strings_work_too(discretised):
    records, domain = discretised
    sample = records.head(200)
    as_text = sample.astype(str)
    pd.testing.assert_frame_equal(
        to_notices(as_text, domain, seed=5)[0], to_notices(sample, domain, seed=5)[0]
    )


def test_a_narrow_release_still_gives_valid_notices(synthetic):
    spec = _spec(
        fields=[
            "received_month",
            "route",
            "notice_kind",
            "main_type",
            "child_age_years",
            "child_sex",
            "injury",
            "household_type",
            "siblings",
        ],
        outcomes=["recorded_tier"],
        tables={"one_way": True, "by_outcome": True, "extra": []},
    )
    records, domain = to_records(synthetic.notices, synthetic.truth, spec)
    notices, outcomes = to_notices(records, domain, seed=1, id_prefix="X9")
    valid = _valid(notices)
    assert valid["region_code"].isna().all() and valid["dv_repeat_count"].isna().all()
    assert valid["notice_id"].iloc[0] == "X9-0000001"
    assert list(outcomes.columns) == ["notice_id", "recorded_tier"]
    again, _ = to_records(valid, outcomes, spec, months=domain[MONTH])
    assert again.equals(records)


def test_hand_made_notices_round_trip():
    spec = load_release_spec()
    general = make_notice(notice_id="G1", received_at="2023-03-31T15:30:00Z")  # April in Japan
    dv = make_notice(dv=True, notice_id="D1", received_at="2023-04-30T10:00:00+09:00")
    notices = _valid(pd.DataFrame([general, dv]))
    outcomes = pd.DataFrame(
        {
            "notice_id": ["G1", "D1"],
            "recorded_harm_90d": [0, 1],
            "recorded_tier": ["urgent", "standard"],
        }
    )
    records, domain = to_records(notices, outcomes, spec)
    assert domain[MONTH] == ("2023-04",)
    assert records.loc[0, "child_age_years"] == "6-8" and records.loc[0, "siblings"] == "1"
    assert records.loc[0, "dv_repeat_count"] == NOT_APPLICABLE
    assert records.loc[1, "dv_repeat_count"] == "2-3" and records.loc[1, "dv_weapon"] == UNKNOWN
    assert records.loc[0, "child_disability"] == UNKNOWN
    assert (
        records.loc[0, "alleged_psychological"] == "yes"
        and records.loc[0, "main_type"] == "physical"
    )
    back, back_outcomes = to_notices(records, domain, seed=2)
    again, _ = to_records(_valid(back), back_outcomes, spec, months=domain[MONTH])
    assert again.equals(records)
    assert tabulate(again, domain, ["notice_kind", "dv_weapon"]).counts().sum() == 2


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r, d: (r.drop(columns="route"), d), "records: no column route"),
        (
            lambda r, d: (r.drop(columns="route"), {k: v for k, v in d.items() if k != "route"}),
            "domain: no attribute route; every notice needs one",
        ),
        (lambda r, d: (r.assign(colour="red"), d), "records: column 'colour' is not an attribute"),
        (
            lambda r, d: (r.assign(injury=r["injury"].astype(str).replace("none", "mild")), d),
            "records: injury of row .* is 'mild'; expected one of none, minor, serious",
        ),
        (lambda r, d: (r, {**d, "colour": ("red",)}), "domain: 'colour' is not an attribute"),
    ],
)
def test_records_that_do_not_fit_the_domain_are_named(discretised, change, expected):
    records, domain = discretised
    bad_records, bad_domain = change(records.head(20), dict(domain))
    with pytest.raises(InvalidParameter, match=expected):
        to_notices(bad_records, bad_domain, seed=0)


@pytest.mark.parametrize("prefix", ["", "A B", "TOOLONGX", "ä"])
def test_a_bad_id_prefix_is_refused(discretised, prefix):
    records, domain = discretised
    with pytest.raises(InvalidParameter, match="id_prefix"):
        to_notices(records.head(5), domain, seed=0, id_prefix=prefix)
