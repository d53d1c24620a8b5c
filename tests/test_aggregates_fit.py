"""The researcher's model: Private-PGM fitted to released tables, and records sampled from it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from triage.aggregates.fit import FittedModel, fit_model, sample_records
from triage.aggregates.tables import Domain, Table, tabulate
from triage.contract.errors import InvalidParameter
from triage.synth import generate, load_spec

N = 3000
K = 10
OUTCOMES = ("recorded_harm_90d", "recorded_tier")
FIELDS = ("route", "injury", "notice_kind", "child_sex")
TABLES = [(a,) for a in FIELDS + OUTCOMES] + [(a, o) for a in FIELDS for o in OUTCOMES]


# The model matches exact tables to well under a record (mirror descent, converged);
# what is left is sampling: each sampled cell count is binomial around the model's
# count, so a cell may be off by a few standard errors, sqrt(n p (1 - p)). Five
# standard errors (plus one record) hold for every cell of every table here with
# room, and still fail a model that lost a dependency (off by hundreds).
def margin_tolerance(counts: np.ndarray) -> np.ndarray:
    p = counts / counts.sum()
    return 5 * np.sqrt(N * p * (1 - p)) + 1


def agency_records(n: int, seed: int) -> tuple[pd.DataFrame, Domain]:
    """A few categorical notice fields and the recorded outcomes, as a records frame.

    The recorded tier depends strongly on the injury (immediate for about a
    third of serious injuries, a few percent of none) and on the notice kind.
    """
    result = generate(load_spec(), n=n, seed=seed)
    notices, truth = result.notices, result.truth
    columns = {a: notices[a].astype(str) for a in FIELDS}
    columns["recorded_harm_90d"] = np.where(truth["recorded_harm_90d"], "1", "0")
    columns["recorded_tier"] = truth["recorded_tier"].astype(str)
    domain = {a: tuple(sorted(set(v))) for a, v in columns.items()}
    frame = pd.DataFrame(
        {a: pd.Categorical(v, categories=list(domain[a])) for a, v in columns.items()}
    )
    return frame, domain


@pytest.fixture(scope="module")
def agency() -> tuple[pd.DataFrame, Domain]:
    return agency_records(N, seed=5)


@pytest.fixture(scope="module")
def exact(agency) -> list[Table]:
    records, domain = agency
    return [tabulate(records, domain, t) for t in TABLES]


@pytest.fixture(scope="module")
def model(exact, agency) -> FittedModel:
    _, domain = agency
    return fit_model(exact, domain, noise_stddev=None)


def suppressed(tables: list[Table], k: int) -> list[Table]:
    """The tables with every count from 1 to k−1 hidden (primary suppression only)."""
    return [
        t.with_counts(np.where((t.counts() >= 1) & (t.counts() < k), np.nan, t.counts()))
        for t in tables
    ]


def test_sampled_records_reproduce_the_released_two_way_margins(model, exact, agency):
    _, domain = agency
    sampled = sample_records(model, n=N, seed=1)
    assert list(sampled.columns) == list(domain)
    for t in exact:
        again = tabulate(sampled, domain, t.attributes).counts()
        assert (np.abs(again - t.counts()) <= margin_tolerance(t.counts())).all(), t.name
    # The dependency survives: immediate is common after a serious injury, rare after none.
    share = pd.crosstab(sampled["injury"], sampled["recorded_tier"], normalize="index")
    assert share.loc["serious", "immediate"] > 0.25 > 0.05 > share.loc["none", "immediate"]


def test_sampled_records_are_the_records_form_tabulate_takes(model, agency):
    _, domain = agency
    sampled = sample_records(model, n=500, seed=2)
    assert len(sampled) == 500
    for a, levels in domain.items():
        assert isinstance(sampled[a].dtype, pd.CategoricalDtype)
        assert tuple(sampled[a].cat.categories) == levels
        assert not sampled[a].isna().any()


def test_the_same_tables_and_seed_give_the_same_records(model, exact, agency):
    _, domain = agency
    refitted = fit_model(exact, domain, noise_stddev=None)
    pd.testing.assert_frame_equal(
        sample_records(model, n=N, seed=9), sample_records(refitted, n=N, seed=9)
    )


def test_different_seeds_give_different_records(model):
    first = sample_records(model, n=N, seed=1)
    second = sample_records(model, n=N, seed=2)
    assert not first.equals(second)


def test_sampling_leaves_numpy_global_state_as_it_was(model):
    np.random.seed(1234)
    expected = np.random.random(3)
    np.random.seed(1234)
    sample_records(model, n=200, seed=7)
    np.testing.assert_array_equal(np.random.random(3), expected)


def test_suppressed_cells_are_left_unmeasured(exact, agency):
    _, domain = agency
    published = suppressed(exact, K)
    hidden = sum(int(t.suppressed().sum()) for t in published)
    assert hidden > 0, "the test needs some suppressed cells"
    sampled = sample_records(fit_model(published, domain, noise_stddev=None), n=N, seed=3)
    for p, t in zip(published, exact, strict=True):
        again = tabulate(sampled, domain, t.attributes).counts()
        shown = ~p.suppressed()
        # Published cells are honoured as closely as without suppression...
        tolerance = margin_tolerance(t.counts())[shown]
        assert (np.abs(again[shown] - t.counts()[shown]) <= tolerance).all(), t.name
        # ...and a hidden cell (truly 1..k−1) comes back small, not at the scale of the rest.
        assert (again[~shown] < 2 * K).all(), t.name


def test_a_table_wholly_suppressed_is_simply_not_measured(exact, agency):
    _, domain = agency
    blank = exact[0].with_counts(np.full(len(exact[0].frame), np.nan))
    fitted = fit_model([blank, *exact[1:]], domain, noise_stddev=None, iterations=200)
    assert abs(fitted.total - N) < 1


def test_noisy_tables_are_fitted_with_their_noise(exact, agency):
    _, domain = agency
    rng = np.random.default_rng(0)
    noisy = [t.with_counts(t.counts() + rng.normal(0, 20, t.counts().size).round()) for t in exact]
    fitted = fit_model(noisy, domain, noise_stddev=20.0)
    # Averaged over many noisy totals, the total is much closer than one table's noise.
    assert abs(fitted.total - N) < 20
    sampled = sample_records(fitted, n=N, seed=4)
    for t in exact:
        again = tabulate(sampled, domain, t.attributes).counts()
        assert np.abs(again - t.counts()).max() < 5 * 20, t.name


@pytest.mark.parametrize("stddev", [0.0, -1.0, float("nan"), float("inf")])
def test_a_bad_noise_stddev_is_a_one_line_error(exact, agency, stddev):
    _, domain = agency
    with pytest.raises(InvalidParameter, match=r"^noise_stddev: expected a positive") as raised:
        fit_model(exact, domain, noise_stddev=stddev)
    assert raised.value.param == "noise_stddev"


def test_a_table_over_an_unknown_attribute_is_refused(exact, agency):
    _, domain = agency
    narrower = {a: v for a, v in domain.items() if a != "route"}
    with pytest.raises(InvalidParameter, match=r"^tables: table route uses attribute route"):
        fit_model(exact, narrower, noise_stddev=None)


@pytest.mark.parametrize("n", [0, -5])
def test_a_bad_sample_size_is_a_one_line_error(model, n):
    with pytest.raises(InvalidParameter, match=r"^n: expected a positive number") as raised:
        sample_records(model, n=n, seed=1)
    assert raised.value.param == "n"
