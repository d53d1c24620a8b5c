"""Small-cell suppression and its disclosure audit: primary, complementary, proven by LP."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from triage.aggregates.exposure import cell_ranges, exposed_cells
from triage.aggregates.suppression import suppress
from triage.aggregates.tables import COUNT, Domain, Table, grid, table_name, tabulate
from triage.contract.errors import InvalidParameter, TriageError
from triage.synth import generate, load_spec

K = 10


def records(domain: Domain, cells: dict[tuple[str, ...], int]) -> pd.DataFrame:
    """One row per record: ``cells`` maps a combination of levels (domain order) to its count."""
    rows = [combination for combination, n in cells.items() for _ in range(n)]
    frame = pd.DataFrame(rows, columns=list(domain))
    for a, levels in domain.items():
        frame[a] = pd.Categorical(frame[a], categories=list(levels))
    return frame


def table(domain: Domain, attributes: tuple[str, ...], counts: list[int | None]) -> Table:
    """A table written by hand, ``None`` = suppressed."""
    frame = grid(domain, attributes)
    frame[COUNT] = pd.array(counts, dtype="Int64")
    return Table(table_name(attributes), attributes, frame)


def primary_only(tables: list[Table], k: int) -> list[Table]:
    """The tables with only the counts from 1 to k−1 hidden."""
    return [
        t.with_counts(np.where((t.counts() >= 1) & (t.counts() < k), np.nan, t.counts()))
        for t in tables
    ]


def hidden(t: Table, **cell: str) -> bool:
    row = np.logical_and.reduce([t.frame[a] == v for a, v in cell.items()])
    return bool(t.frame.loc[row, COUNT].isna().all())


def independent_ranges(tables: list[Table]) -> list[tuple[float, float]]:
    """Each suppressed cell's range, by one LP over every cell of every table.

    Written without the audit's machinery: published cells are variables
    fixed by their bounds, and every pair of tables is equated on every cell
    of their shared marginal, matched on the tables' own level columns.
    """
    counts = np.concatenate([t.counts() for t in tables])
    offsets = np.cumsum([0] + [len(t.frame) for t in tables])
    rows = []
    for i, j in combinations(range(len(tables)), 2):
        shared = [a for a in tables[i].attributes if a in tables[j].attributes]

        def keys(t: Table, shared: list[str] = shared) -> np.ndarray:
            if not shared:
                return np.full(len(t.frame), "")
            return t.frame[shared].astype(str).agg("|".join, axis=1).to_numpy()

        keys_i, keys_j = keys(tables[i]), keys(tables[j])
        for key in np.unique(keys_i):
            row = np.zeros(len(counts))
            row[offsets[i] + np.flatnonzero(keys_i == key)] = 1.0
            row[offsets[j] + np.flatnonzero(keys_j == key)] -= 1.0
            rows.append(row)
    matrix = np.array(rows)
    is_hidden = np.isnan(counts)
    bounds = [(0.0, None) if h else (c, c) for c, h in zip(counts, is_hidden, strict=True)]
    out = []
    for u in np.flatnonzero(is_hidden):
        objective = np.zeros(len(counts))
        objective[u] = 1.0
        ends = []
        for sign in (1.0, -1.0):
            result = linprog(
                sign * objective,
                A_eq=matrix,
                b_eq=np.zeros(len(rows)),
                bounds=bounds,
                method="highs",
            )
            assert result.status == 0, result.message
            ends.append(sign * result.fun)
        out.append((ends[0], ends[1]))
    return out


# --- hand-made tables -------------------------------------------------------------------------

TWO_BY_TWO: Domain = {"a": ("a0", "a1"), "b": ("b0", "b1")}


def two_by_two_release() -> list[Table]:
    """A 2×2 table with one small cell, and both its margins."""
    recs = records(
        TWO_BY_TWO, {("a0", "b0"): 3, ("a0", "b1"): 20, ("a1", "b0"): 30, ("a1", "b1"): 40}
    )
    return [tabulate(recs, TWO_BY_TWO, attrs) for attrs in (("a",), ("b",), ("a", "b"))]


def test_a_small_cell_of_a_2x2_table_gets_complements_and_a_proven_range():
    release = two_by_two_release()
    before = exposed_cells(primary_only(release, K), TWO_BY_TWO, k=K)
    assert [(r.table, r.cell, r.low, r.high) for r in before] == [
        ("a__b", {"a": "a0", "b": "b0"}, 3.0, 3.0)
    ]

    result = suppress(release, TWO_BY_TWO, k=K)

    assert result.primary == 1
    assert result.complementary >= 1
    assert result.rounds >= 1
    ranges = cell_ranges(result.tables, TWO_BY_TWO)
    small = next(r for r in ranges if r.cell == {"a": "a0", "b": "b0"})
    assert small.low <= 3 <= small.high
    assert min(r.width for r in ranges) >= K
    assert exposed_cells(result.tables, TWO_BY_TWO, k=K) == []


ATTACK: Domain = {"a": ("a0", "a1", "a2"), "h": ("h0", "h1")}


def attack_release() -> list[Table]:
    """A one-way margin and a two-way table whose (a0, h1) is 5 = margin − the rest of its row."""
    recs = records(
        ATTACK,
        {
            ("a0", "h0"): 40,
            ("a0", "h1"): 5,
            ("a1", "h0"): 30,
            ("a1", "h1"): 25,
            ("a2", "h0"): 50,
            ("a2", "h1"): 45,
        },
    )
    return [tabulate(recs, ATTACK, ("a",)), tabulate(recs, ATTACK, ("a", "h"))]


def test_the_subtraction_attack_is_caught_before_complementary_suppression_and_gone_after():
    release = attack_release()
    exposed = exposed_cells(primary_only(release, K), ATTACK, k=K)
    assert [(r.table, r.cell, r.low, r.high, r.width) for r in exposed] == [
        ("a__h", {"a": "a0", "h": "h1"}, 5.0, 5.0, 0.0)
    ]

    result = suppress(release, ATTACK, k=K)

    assert exposed_cells(result.tables, ATTACK, k=K) == []
    assert hidden(result.tables[1], a="a0", h="h1")
    assert min(r.width for r in cell_ranges(result.tables, ATTACK)) >= K


SHARED: Domain = {"a": ("a0", "a1", "a2"), "h": ("h0", "h1"), "g": ("g0", "g1")}


def shared_attribute_release() -> list[Table]:
    """a×h with a small cell, and a×g (no small cell), which publishes the a margin."""
    recs = records(
        SHARED,
        {
            ("a0", "h0", "g0"): 2,
            ("a0", "h0", "g1"): 2,
            ("a0", "h1", "g0"): 12,
            ("a0", "h1", "g1"): 18,
            ("a1", "h0", "g0"): 20,
            ("a1", "h0", "g1"): 15,
            ("a1", "h1", "g0"): 25,
            ("a1", "h1", "g1"): 30,
            ("a2", "h0", "g0"): 22,
            ("a2", "h0", "g1"): 14,
            ("a2", "h1", "g0"): 16,
            ("a2", "h1", "g1"): 28,
        },
    )
    return [tabulate(recs, SHARED, ("a", "h")), tabulate(recs, SHARED, ("a", "g"))]


def test_protecting_one_table_alone_leaves_its_cell_derivable_through_the_other_tables_margin():
    ah, ag = shared_attribute_release()
    alone = suppress([ah], SHARED, k=K)
    assert alone.complementary == 0  # on its own, no margin of a×h is known
    exposed = exposed_cells([alone.tables[0], ag], SHARED, k=K)
    assert [(r.table, r.cell, r.low, r.high) for r in exposed] == [
        ("a__h", {"a": "a0", "h": "h0"}, 4.0, 4.0)  # a×g's a0 = 34, minus a×h's published 30
    ]

    together = suppress([ah, ag], SHARED, k=K)

    assert together.complementary >= 1
    assert exposed_cells(together.tables, SHARED, k=K) == []
    assert min(r.width for r in cell_ranges(together.tables, SHARED)) >= K


def test_zeros_are_published_and_the_small_count_next_to_them_is_protected():
    domain: Domain = {"a": ("a0", "a1", "a2", "a3"), "h": ("h0", "h1")}
    recs = records(
        domain,
        {("a0", "h0"): 3, ("a1", "h0"): 12, ("a1", "h1"): 30, ("a2", "h0"): 25, ("a3", "h1"): 40},
    )
    release = [tabulate(recs, domain, attrs) for attrs in (("a",), ("h",), ("a", "h"))]

    result = suppress(release, domain, k=K)

    for before, after in zip(release, result.tables, strict=True):
        zero = before.counts() == 0
        assert (after.counts()[zero] == 0).all()
    assert exposed_cells(result.tables, domain, k=K) == []


def test_a_suppressed_cell_bound_by_nothing_ranges_up_to_infinity():
    ranges = cell_ranges([table(ATTACK, ("a",), [None, 7, 9])], ATTACK)
    assert [(r.low, r.high) for r in ranges] == [(0.0, np.inf)]


def test_published_counts_that_contradict_each_other_are_one_line_errors_naming_the_tables():
    totals = [table(ATTACK, ("a",), [10, 20, 0]), table(ATTACK, ("h",), [15, 16])]
    with pytest.raises(TriageError) as clash:
        cell_ranges(totals, ATTACK)
    assert "\n" not in str(clash.value)
    assert "tables a and h" in str(clash.value) and "the total" in str(clash.value)

    negative = [table(ATTACK, ("a",), [None, 50, 0]), table(ATTACK, ("h",), [20, 20])]
    with pytest.raises(TriageError) as infeasible:
        exposed_cells(negative, ATTACK, k=K)
    assert "\n" not in str(infeasible.value)
    assert "contradict" in str(infeasible.value)
    assert "a, h" in str(infeasible.value)


@pytest.mark.parametrize("k", [1, 0, 2.5, True, "10"])
def test_k_must_be_an_integer_of_at_least_two(k):
    with pytest.raises(InvalidParameter) as error:
        suppress(two_by_two_release(), TWO_BY_TWO, k=k)
    assert error.value.param == "k"


def test_suppress_wants_the_full_counts():
    with pytest.raises(TriageError, match="table a: a count is missing"):
        suppress([table(ATTACK, ("a",), [None, 7, 9])], ATTACK, k=K)


# --- realistic tables ---------------------------------------------------------------------------

OUTCOMES = ("recorded_harm_90d", "recorded_tier")
CONTEXT = ("route", "injury", "child_sex", "notice_kind")


@pytest.fixture(scope="module")
def realistic() -> tuple[list[Table], Domain]:
    """One-way tables, each context attribute × each outcome, and route × child_sex × tier.

    The three-way table holds zeros (few children of unknown sex per route) and small counts.
    """
    synth = generate(load_spec(), n=20_000, seed=3)
    columns = {a: synth.notices[a].astype(str) for a in CONTEXT}
    columns["recorded_harm_90d"] = synth.truth["recorded_harm_90d"].map({False: "0", True: "1"})
    columns["recorded_tier"] = synth.truth["recorded_tier"].astype(str)
    domain: Domain = {
        a: tuple(str(c) for c in synth.notices[a].cat.categories) for a in CONTEXT
    } | {"recorded_harm_90d": ("0", "1"), "recorded_tier": ("immediate", "urgent", "standard")}
    recs = pd.DataFrame(
        {a: pd.Categorical(v, categories=list(domain[a])) for a, v in columns.items()}
    )
    specs = (
        [(a,) for a in domain]
        + [(a, o) for a in CONTEXT for o in OUTCOMES]
        + [("route", "child_sex", "recorded_tier")]
    )
    return [tabulate(recs, domain, s) for s in specs], domain


@pytest.fixture(scope="module")
def protected(realistic):
    tables, domain = realistic
    return suppress(tables, domain, k=K)


def test_realistic_release_publishes_no_count_from_1_to_k_minus_1(realistic, protected):
    tables, _ = realistic
    published = np.concatenate([t.counts() for t in protected.tables])
    published = published[~np.isnan(published)]
    assert not ((published >= 1) & (published < K)).any()
    raw = np.concatenate([t.counts() for t in tables])
    assert protected.primary == int(((raw >= 1) & (raw < K)).sum()) > 0


def test_realistic_release_leaves_every_published_count_and_every_zero_as_counted(
    realistic, protected
):
    tables, _ = realistic
    assert any((t.counts() == 0).any() for t in tables)
    for before, after in zip(tables, protected.tables, strict=True):
        assert after.name == before.name
        assert after.frame.drop(columns=COUNT).equals(before.frame.drop(columns=COUNT))
        shown = ~after.suppressed()
        assert (after.counts()[shown] == before.counts()[shown]).all()
        assert not after.suppressed()[before.counts() == 0].any()


def test_realistic_release_passes_the_audit(realistic, protected):
    _, domain = realistic
    assert protected.complementary > 0 and protected.rounds > 0
    assert exposed_cells(protected.tables, domain, k=K) == []
    ranges = cell_ranges(protected.tables, domain)
    assert len(ranges) == protected.primary + protected.complementary
    assert min(r.width for r in ranges) >= K


def test_audit_ranges_match_an_independent_lp_over_all_cells(realistic, protected):
    tables, domain = realistic
    for release in (primary_only(tables, K), protected.tables):
        ours = [(r.low, r.high) for r in cell_ranges(release, domain)]
        theirs = independent_ranges(release)
        assert len(ours) == len(theirs) > 0
        np.testing.assert_allclose(ours, theirs, atol=1e-6)
    assert exposed_cells(primary_only(tables, K), domain, k=K)  # the check had something to find


def test_suppression_is_deterministic(realistic, protected):
    tables, domain = realistic
    again = suppress(tables, domain, k=K)
    assert (again.primary, again.complementary, again.rounds) == (
        protected.primary,
        protected.complementary,
        protected.rounds,
    )
    for first, second in zip(protected.tables, again.tables, strict=True):
        pd.testing.assert_frame_equal(first.frame, second.frame)
