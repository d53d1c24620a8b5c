"""The differentially private release: OpenDP's accounting, and tables made consistent integers."""

from __future__ import annotations

import json
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from triage.aggregates.dp import DPRelease, dp_release
from triage.aggregates.tables import COUNT, Domain, Table, marginal, table_name, tabulate
from triage.contract.errors import InvalidParameter
from triage.synth import generate, load_spec

EPSILON = 1.0
DELTA = 1e-6

TABLES = [
    ("route",),
    ("injury",),
    ("recorded_harm_90d",),
    ("recorded_tier",),
    ("route", "recorded_harm_90d"),
    ("injury", "recorded_harm_90d"),
    ("injury", "recorded_tier"),
    ("notice_kind", "recorded_tier"),
    ("child_sex", "recorded_harm_90d"),
    ("recorded_harm_90d", "recorded_tier"),
]


def agency_records(n: int, seed: int) -> tuple[pd.DataFrame, Domain]:
    """A few categorical notice fields and the recorded outcomes, as a records frame."""
    result = generate(load_spec(), n=n, seed=seed)
    notices, truth = result.notices, result.truth
    columns = {
        "route": notices["route"].astype(str),
        "injury": notices["injury"].astype(str),
        "notice_kind": notices["notice_kind"].astype(str),
        "child_sex": notices["child_sex"].astype(str),
        "recorded_harm_90d": np.where(truth["recorded_harm_90d"], "1", "0"),
        "recorded_tier": truth["recorded_tier"].astype(str),
    }
    domain = {a: tuple(sorted(set(v))) for a, v in columns.items()}
    frame = pd.DataFrame(
        {a: pd.Categorical(v, categories=list(domain[a])) for a, v in columns.items()}
    )
    return frame, domain


@pytest.fixture(scope="module")
def agency() -> tuple[pd.DataFrame, Domain]:
    return agency_records(3000, seed=11)


@pytest.fixture(scope="module")
def release(agency) -> DPRelease:
    records, domain = agency
    return dp_release(records, domain, TABLES, epsilon=EPSILON, delta=DELTA)


def counts_of(t: Table, domain: Domain) -> np.ndarray:
    return t.counts().reshape(t.shape(domain))


def test_the_budget_opendp_reports_is_within_the_one_asked(release):
    budget = release.budget
    assert 0 < budget["epsilon"] <= EPSILON
    assert 0 <= budget["delta"] <= DELTA
    assert budget["epsilon_requested"] == EPSILON and budget["delta_requested"] == DELTA
    assert budget["rho"] > 0 and budget["noise_stddev"] > 0
    assert budget["tables"] == len(TABLES)
    # The budget goes into the manifest as it is.
    assert json.loads(json.dumps(budget)) == budget


def test_tables_come_in_the_order_asked_as_non_negative_integers(release, agency):
    _, domain = agency
    assert [t.attributes for t in release.tables] == TABLES
    assert [t.name for t in release.tables] == [table_name(a) for a in TABLES]
    for t in release.tables:
        counts = t.frame[COUNT]
        assert str(counts.dtype) == "Int64"
        assert not counts.isna().any()
        assert (counts >= 0).all()
        assert len(t.frame) == int(np.prod(t.shape(domain)))


def test_every_margin_two_tables_share_agrees_exactly(release, agency):
    _, domain = agency
    for a, b in combinations(release.tables, 2):
        shared = [x for x in a.attributes if x in b.attributes]
        left = marginal(counts_of(a, domain), a.attributes, shared)
        right = marginal(counts_of(b, domain), b.attributes, shared)
        # The empty margin is the total: every table counts the same records.
        np.testing.assert_array_equal(left, right, err_msg=f"{a.name} vs {b.name} on {shared}")


def test_the_release_stays_close_to_the_records(release, agency):
    # Noise of stddev σ per cell, then one model made consistent with every table: the
    # cells are off by about σ on average (raw noise alone: 0.8σ), and the consistency can
    # move a cell further. Over 24 releases of these tables (74 cells) the mean was
    # 0.66-1.35σ and the worst cell 2.1-6.8σ; a bound of 6σ on every cell failed 2 in 24.
    records, domain = agency
    sigma = release.budget["noise_stddev"]
    errors = {
        t.name: np.abs(t.counts() - tabulate(records, domain, t.attributes).counts())
        for t in release.tables
    }
    assert np.concatenate(list(errors.values())).mean() < 2 * sigma
    for name, error in errors.items():
        assert error.max() < 12 * sigma, name


def test_two_releases_of_the_same_records_differ(release, agency):
    # OpenDP draws its noise from the operating system: no seed repeats a release.
    records, domain = agency
    again = dp_release(records, domain, TABLES, epsilon=EPSILON, delta=DELTA)
    first = np.concatenate([t.counts() for t in release.tables])
    second = np.concatenate([t.counts() for t in again.tables])
    assert not np.array_equal(first, second)


def test_delta_zero_measures_in_pure_dp(agency):
    records, domain = agency
    released = dp_release(
        records,
        domain,
        [("injury", "recorded_tier"), ("recorded_tier",)],
        epsilon=EPSILON,
        delta=0.0,
    )
    assert released.budget["delta"] == 0.0
    assert 0 < released.budget["epsilon"] <= EPSILON
    assert released.budget["rho"] is None
    tier = [
        marginal(counts_of(t, domain), t.attributes, ["recorded_tier"]) for t in released.tables
    ]
    np.testing.assert_array_equal(tier[0], tier[1])


@pytest.mark.parametrize(
    ("epsilon", "delta", "param"),
    [
        (0.0, DELTA, "epsilon"),
        (-1.0, DELTA, "epsilon"),
        (float("inf"), DELTA, "epsilon"),
        (float("nan"), DELTA, "epsilon"),
        (EPSILON, -1e-9, "delta"),
        (EPSILON, 1.0, "delta"),
        (EPSILON, float("nan"), "delta"),
    ],
)
def test_a_bad_budget_is_a_one_line_error(agency, epsilon, delta, param):
    records, domain = agency
    with pytest.raises(InvalidParameter) as raised:
        dp_release(records, domain, TABLES, epsilon=epsilon, delta=delta)
    assert raised.value.param == param
    assert "\n" not in str(raised.value) and str(raised.value).startswith(f"{param}:")


def test_a_value_outside_the_levels_names_its_row_and_column(agency):
    records, domain = agency
    bad = records.copy()
    bad["injury"] = bad["injury"].astype(str)
    bad.loc[7, "injury"] = "broken"
    with pytest.raises(InvalidParameter, match=r"^records: row 7 column injury: expected one of"):
        dp_release(bad, domain, TABLES, epsilon=EPSILON, delta=DELTA)


def test_a_table_over_an_unknown_attribute_is_refused(agency):
    records, domain = agency
    with pytest.raises(InvalidParameter, match=r"^tables: table \['route', 'age'\] uses age"):
        dp_release(records, domain, [("route", "age")], epsilon=EPSILON, delta=DELTA)
