"""The differentially private release: every table measured by OpenDP, then made consistent.

Each table is one OpenDP count query over the records (``make_private_lazyframe``:
a group-by over the table's full grid of levels, known in advance, with
discrete Gaussian noise under zero-concentrated DP, or discrete Laplace noise
when ``delta`` is 0). The queries run inside one OpenDP adaptive compositor,
converted to (ε, δ)-DP by OpenDP's ``make_zCDP_to_approxDP``/``make_fix_delta``;
the budget this module reports is that compositor's ``map`` of one record
added or removed, never a formula of ours. The per-table share is found by
binary search so that the composed (ε, δ) is at most the one asked.

Why not ``opendp.extras.mbi.make_contingency_table`` with ``Fixed``: it finds
the noise scale with an unbounded binary search that rebuilds the whole
workload at every step (~630 steps); at ~150 tables that alone takes minutes.
Here the budget is split evenly over the tables and searched on the
compositor alone (cheap); every table partitions the records, so every count
query has the same sensitivity, and the noise scale is searched on one query
(bounded, ~70 cheap steps). The compositor holds each query to its share:
OpenDP refuses any that would spend more.

The noisy counts are then post-processed (no further privacy cost) into
consistent non-negative integers: a Private-PGM model is fitted to them
(:mod:`triage.aggregates.fit`), records are drawn from it, and every table
is tabulated from those one set of records, so every margin two tables share
agrees exactly. OpenDP draws its noise from the operating system, so a
release cannot be repeated from a seed, by design; the draw takes its
seed from the OS too, for the same reason.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import numpy as np
import pandas as pd

from triage.aggregates.fit import fit_model, sample_records
from triage.aggregates.tables import COUNT, Domain, Table, grid, table_name, tabulate
from triage.contract.errors import InvalidParameter, TriageError

SCALE_SEARCH_BOUNDS = (1e-3, 1e12)
"""Where the noise scale is searched; bounded, so the search takes ~70 steps, not ~630."""

PRIVACY_UNIT = "one record added or removed"

LEN = "len"
"""The column OpenDP's ``dp.len`` writes the noisy count to."""


@dataclass(frozen=True)
class DPRelease:
    """The consistent tables and the budget OpenDP's accounting reports for them."""

    tables: list[Table]
    budget: dict[str, Any]


def dp_release(
    records: pd.DataFrame,
    domain: Domain,
    tables: Sequence[tuple[str, ...]],
    *,
    epsilon: float,
    delta: float,
) -> DPRelease:
    """Measure every table with OpenDP under (``epsilon``, ``delta``)-DP and make them consistent.

    ``records`` holds one categorical column per attribute (levels as in
    ``domain``, no missing value). The returned tables come in the order asked.
    """
    _check_budget(epsilon, delta)
    cliques = _check_tables(tables, domain)
    attributes = tuple(dict.fromkeys(a for c in cliques for a in c))
    levels = {a: tuple(domain[a]) for a in attributes}
    frame = _indexed_records(records, levels)

    measured = _measure(frame, levels, cliques, epsilon=epsilon, delta=delta)
    model = fit_model(measured.noisy, levels, noise_stddev=measured.budget["noise_stddev"])
    rows = max(1, round(model.total))
    consistent = sample_records(model, n=rows, seed=secrets.randbits(64))
    released = [tabulate(consistent, levels, c) for c in cliques]
    return DPRelease(released, measured.budget)


@dataclass(frozen=True)
class _Measured:
    noisy: list[Table]
    budget: dict[str, Any]


def _measure(
    frame: Any,
    levels: dict[str, tuple[str, ...]],
    cliques: list[tuple[str, ...]],
    *,
    epsilon: float,
    delta: float,
) -> _Measured:
    """Every table's noisy counts, measured in one OpenDP compositor, and its accounting."""
    # Not opendp.prelude: it imports scikit-learn, seconds for nothing here.
    from opendp.combinators import (
        make_adaptive_composition,
        make_fix_delta,
        make_zCDP_to_approxDP,
    )
    from opendp.domains import atom_domain, lazyframe_domain, series_domain
    from opendp.extras.polars import Bound
    from opendp.measurements import make_private_lazyframe
    from opendp.measures import max_divergence, zero_concentrated_divergence
    from opendp.metrics import frame_distance, symmetric_distance
    from opendp.mod import (
        Measurement,
        OpenDPException,
        binary_search,
        binary_search_param,
        enable_features,
    )

    enable_features("contrib")
    input_domain = lazyframe_domain([series_domain(a, atom_domain(T="u32")) for a in levels])
    input_metric = frame_distance(symmetric_distance())
    d_in = [Bound(per_group=1)]  # one record added or removed
    approximate = delta > 0
    measure = zero_concentrated_divergence() if approximate else max_divergence()

    def compositor(d_mids: list[float]) -> Measurement:
        return make_adaptive_composition(input_domain, input_metric, measure, d_in, d_mids)

    def accountant(d_mids: list[float]) -> Measurement:
        # (ε, δ) as OpenDP maps it: zCDP converted at the δ asked; pure DP as it is.
        composed = compositor(d_mids)
        if not approximate:
            return composed
        return make_fix_delta(make_zCDP_to_approxDP(composed), delta)

    def spent_epsilon(d_mids: list[float]) -> float:
        loss = accountant(d_mids).map(d_in)
        return float(loss[0] if approximate else loss)

    def query(clique: tuple[str, ...], scale: float) -> Measurement:
        return make_private_lazyframe(
            input_domain, input_metric, measure, _count_plan(levels, clique), global_scale=scale
        )

    k = len(cliques)
    try:
        share = binary_search(
            lambda d: spent_epsilon([d] * k) <= epsilon, bounds=(0.0, float(epsilon)), T=float
        )
        # Every table partitions the records: one query's scale serves them all.
        scale = binary_search_param(
            lambda s: query(cliques[0], s), d_in, share, bounds=SCALE_SEARCH_BOUNDS, T=float
        )
    except (OpenDPException, ValueError) as error:
        raise InvalidParameter(
            f"epsilon: no noise scale in {SCALE_SEARCH_BOUNDS} spends at most "
            f"epsilon={epsilon}, delta={delta} over {k} tables ({_first_line(error)})",
            param="epsilon",
        ) from error

    # The compositor holds every query to its share: OpenDP refuses one that would spend more.
    d_mids = [share] * k
    whole = accountant(d_mids)
    loss = whole.map(d_in)
    queries = [query(c, scale) for c in cliques]
    answers = whole(frame.lazy())
    noisy = [
        _noisy_table(answers(q).collect(), levels, c) for q, c in zip(queries, cliques, strict=True)
    ]

    spent_eps, spent_delta = (float(loss[0]), float(loss[1])) if approximate else (float(loss), 0.0)
    budget: dict[str, Any] = {
        "library": f"opendp {version('opendp')}",
        "privacy_unit": PRIVACY_UNIT,
        "mechanism": "discrete gaussian" if approximate else "discrete laplace",
        "measure": "zero-concentrated DP (rho)" if approximate else "pure DP (epsilon)",
        "composition": f"adaptive composition of {k} count queries, one per table",
        "conversion": "make_zCDP_to_approxDP, make_fix_delta" if approximate else None,
        "rho": float(compositor(d_mids).map(d_in)) if approximate else None,
        "rho_per_table": share if approximate else None,
        "epsilon_per_table": None if approximate else share,
        "epsilon_requested": float(epsilon),
        "delta_requested": float(delta),
        "epsilon": spent_eps,
        "delta": spent_delta,
        "noise_scale": float(scale),
        # The discrete Gaussian's stddev is its scale (to many digits at scales
        # above 1); the discrete Laplace's is √2 · scale.
        "noise_stddev": float(scale) if approximate else float(scale) * math.sqrt(2.0),
        "tables": k,
    }
    return _Measured(noisy, budget)


def _count_plan(levels: dict[str, tuple[str, ...]], clique: tuple[str, ...]) -> Any:
    """A count over the clique's full grid: the keys are public, so no cell is left out or thresholded."""
    import polars as pl
    from opendp.extras.polars import dp_len

    shape = tuple(len(levels[a]) for a in clique)
    codes = np.unravel_index(np.arange(int(np.prod(shape))), shape)
    keys = pl.LazyFrame(
        {a: pl.Series(a, c, dtype=pl.UInt32) for a, c in zip(clique, codes, strict=True)}
    )
    plan = pl.LazyFrame(schema={a: pl.UInt32 for a in levels})
    counts = plan.group_by(list(clique)).agg(dp_len(signed=True))
    return keys.join(counts, on=list(clique), how="left", nulls_equal=True)


def _noisy_table(answer: Any, levels: dict[str, tuple[str, ...]], clique: tuple[str, ...]) -> Table:
    """OpenDP's answer (a row per cell, in no promised order) as a table in grid order."""
    shape = tuple(len(levels[a]) for a in clique)
    size = int(np.prod(shape))
    cells = np.ravel_multi_index(
        tuple(answer[a].to_numpy().astype(np.int64) for a in clique), shape
    )
    if len(np.unique(cells)) != size or len(cells) != size:
        raise TriageError(
            f"table {table_name(clique)}: OpenDP answered {len(cells)} cells, expected {size}"
        )
    counts = np.zeros(size, dtype=np.int64)
    counts[cells] = answer[LEN].to_numpy()
    frame = grid(levels, clique)
    frame[COUNT] = pd.array(counts, dtype="Int64")
    return Table(table_name(clique), clique, frame)


def _indexed_records(records: pd.DataFrame, levels: dict[str, tuple[str, ...]]) -> Any:
    """The records as a polars frame of level positions (UInt32), one column per attribute."""
    import polars as pl

    columns = {}
    for a, lv in levels.items():
        if a not in records.columns:
            raise InvalidParameter(f"records: no column {a}, which a table uses", param="records")
        column = records[a]
        if isinstance(column.dtype, pd.CategoricalDtype) and tuple(column.cat.categories) == lv:
            codes = column.cat.codes.to_numpy()
        else:
            codes = pd.Index(list(lv)).get_indexer(column.astype(object))
        bad = np.flatnonzero(codes < 0)
        if bad.size:
            raise InvalidParameter(
                f"records: row {records.index[bad[0]]} column {a}: expected one of {list(lv)}, "
                f"got {column.iloc[bad[0]]!r}",
                param="records",
            )
        columns[a] = pl.Series(a, codes.astype(np.uint32), dtype=pl.UInt32)
    return pl.DataFrame(columns)


def _check_budget(epsilon: float, delta: float) -> None:
    if not (isinstance(epsilon, int | float) and math.isfinite(epsilon) and epsilon > 0):
        raise InvalidParameter(
            f"epsilon: expected a positive finite number, got {epsilon!r}", param="epsilon"
        )
    if not (isinstance(delta, int | float) and 0 <= delta < 1):
        raise InvalidParameter(f"delta: expected a number in [0, 1), got {delta!r}", param="delta")


def _check_tables(tables: Sequence[tuple[str, ...]], domain: Domain) -> list[tuple[str, ...]]:
    if not tables:
        raise InvalidParameter(
            "tables: expected at least one table to release, got none", param="tables"
        )
    cliques = []
    for attributes in tables:
        clique = tuple(attributes)
        if not clique or len(set(clique)) != len(clique):
            raise InvalidParameter(
                f"tables: expected distinct attributes per table, got {list(clique)}",
                param="tables",
            )
        missing = [a for a in clique if a not in domain]
        if missing:
            raise InvalidParameter(
                f"tables: table {list(clique)} uses {missing[0]}, which is not in the domain",
                param="tables",
            )
        cliques.append(clique)
    return cliques


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
