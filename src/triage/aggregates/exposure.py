"""The disclosure audit: how narrowly the published tables pin each suppressed cell.

An attacker holds every published count of a release and knows two more
things: counts are non-negative, and all the tables were counted from the
same records, so any two tables agree on their marginal over the attributes
they share (every two agree on the total). The values a suppressed cell can
take under those facts form an interval; the release protects the cell when
that interval is at least ``k`` wide.

The interval is that of the real-valued linear relaxation, the usual
measure in statistical disclosure control. It holds every value integer
counts could take; an attacker who also used integrality, or the existence
of one joint table behind all the published ones, could at times narrow it.
The published counts are moved to the right-hand side so the unknowns are
the suppressed cells alone. The equations split into independent components
(cells linked by no chain of equations cannot constrain each other), and
each component's programmes are solved by HiGHS. The audit reads only the
published tables: a release can be re-checked by anyone who holds it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from triage.aggregates.tables import COUNT, Domain, Table
from triage.contract.errors import InvalidParameter, TriageError

ROUND_OFF = 1e-6
"""How far an LP bound may sit from the exact one: HiGHS' feasibility tolerance, with margin."""


@dataclass(frozen=True)
class CellRange:
    """The values one suppressed cell can take given everything published."""

    table: str
    cell: dict[str, str]
    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low


def cell_ranges(tables: Sequence[Table], domain: Domain) -> list[CellRange]:
    """Every suppressed cell's range, in table order then grid order.

    Raises :class:`TriageError` when the published counts contradict each
    other (no non-negative values of the suppressed cells agree with them).
    """
    return _Audit(tables, domain).ranges(enough=None)


def exposed_cells(tables: Sequence[Table], domain: Domain, *, k: int) -> list[CellRange]:
    """The suppressed cells whose range is narrower than ``k`` (exact ranges), in table order."""
    check_k(k, minimum=1)
    found = _Audit(tables, domain).ranges(enough=k - ROUND_OFF)
    return [r for r in found if r.width < k - ROUND_OFF]


def check_k(k: object, *, minimum: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < minimum:
        raise InvalidParameter(
            f"k: expected an integer of at least {minimum}, got {k!r}", param="k"
        )


@dataclass(frozen=True)
class _Equations:
    """``matrix @ unknowns == rhs``; ``sources[i]`` are the tables whose counts make row i."""

    matrix: sparse.csr_matrix
    rhs: np.ndarray
    sources: list[tuple[int, int]]


class _Audit:
    """One release's unknowns (its suppressed cells, in table then grid order) and equations."""

    def __init__(self, tables: Sequence[Table], domain: Domain) -> None:
        _check_tables(tables, domain)
        self.tables = list(tables)
        self.domain = domain
        self.shapes = [t.shape(domain) for t in tables]
        self.counts = [t.counts() for t in tables]
        self.masks = [np.isnan(c) for c in self.counts]
        self.positions = [np.flatnonzero(m) for m in self.masks]
        sizes = [len(p) for p in self.positions]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.unknowns = int(self.offsets[-1])

    def ranges(self, *, enough: float | None) -> list[CellRange]:
        """Each unknown's exact range; with ``enough``, skip those shown at least that wide."""
        equations = _equations(self)  # checks the published counts even with nothing hidden
        if self.unknowns == 0:
            return []
        low = np.zeros(self.unknowns)
        high = np.full(self.unknowns, math.inf)
        solved = np.zeros(self.unknowns, dtype=bool)
        for columns, rows in _components(equations.matrix, self.unknowns):
            if len(rows) == 0:
                solved[columns] = True  # bound by nothing: [0, inf)
                continue
            part = _Component(self, equations, columns, rows)
            for j, (lo, hi) in part.ranges(enough):
                low[columns[j]], high[columns[j]] = lo, hi
                solved[columns[j]] = True
        return [self._cell_range(int(u), low[u], high[u]) for u in np.flatnonzero(solved)]

    def _cell_range(self, unknown: int, low: float, high: float) -> CellRange:
        t = int(np.searchsorted(self.offsets, unknown, side="right") - 1)
        table = self.tables[t]
        position = int(self.positions[t][unknown - self.offsets[t]])
        coords = np.unravel_index(position, self.shapes[t])
        cell = {a: self.domain[a][int(i)] for a, i in zip(table.attributes, coords, strict=True)}
        # Rounded to well inside the audit's tolerance: HiGHS' 4.9999999997 is a 5.
        return CellRange(table.name, cell, round(float(low), 6), round(float(high), 6))


class _Component:
    """The linear programmes of one connected set of unknowns."""

    def __init__(self, audit: _Audit, eq: _Equations, columns: np.ndarray, rows: np.ndarray):
        self.audit = audit
        self.matrix = eq.matrix[rows][:, columns]
        self.rhs = eq.rhs[rows]
        self.sources = sorted({t for r in rows for t in eq.sources[r]})
        n = len(columns)
        # Every solution met is a feasible point: the spread of the values seen
        # so far is a proven lower bound on each cell's width, and a value of 0
        # seen is the exact minimum. Both save most programmes.
        self.seen_low = np.full(n, math.inf)
        self.seen_high = np.full(n, -math.inf)

    def ranges(self, enough: float | None) -> Iterator[tuple[int, tuple[float, float]]]:
        for j in range(self.matrix.shape[1]):
            if enough is not None and self.seen_high[j] - self.seen_low[j] >= enough:
                continue
            high = -self._optimum(j, sign=-1.0)
            if enough is not None and self.seen_high[j] - self.seen_low[j] >= enough:
                continue
            low = 0.0 if self.seen_low[j] <= ROUND_OFF else self._optimum(j, sign=1.0)
            yield j, (max(low, 0.0), high)

    def _optimum(self, j: int, *, sign: float) -> float:
        """The minimum of ``sign * x_j`` over the component's feasible set."""
        objective = np.zeros(self.matrix.shape[1])
        objective[j] = sign
        result = linprog(
            objective, A_eq=self.matrix, b_eq=self.rhs, bounds=(0, None), method="highs"
        )
        if result.status == 3:
            return -math.inf
        if result.status == 2:
            names = ", ".join(self.audit.tables[t].name for t in self.sources)
            raise TriageError(
                f"published counts contradict each other: no non-negative values of the "
                f"suppressed cells agree with tables {names}"
            )
        if result.status != 0:
            raise TriageError(
                f"disclosure audit: HiGHS failed on tables {self.sources}: {result.message}"
            )
        x = np.clip(result.x, 0.0, None)
        np.minimum(self.seen_low, x, out=self.seen_low)
        np.maximum(self.seen_high, x, out=self.seen_high)
        return float(result.fun)


def _components(
    matrix: sparse.csr_matrix, unknowns: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(unknowns, rows) of each connected component, in order of its first unknown."""
    n_rows = matrix.shape[0]
    if n_rows == 0:
        for u in range(unknowns):
            yield np.array([u]), np.array([], dtype=np.int64)
        return
    graph = sparse.bmat([[None, matrix.T], [matrix, None]], format="csr")
    _, labels = connected_components(graph, directed=False)
    column_labels, row_labels = labels[:unknowns], labels[unknowns:]
    _, first = np.unique(column_labels, return_index=True)
    for label in column_labels[np.sort(first)]:
        yield np.flatnonzero(column_labels == label), np.flatnonzero(row_labels == label)


def _equations(audit: _Audit) -> _Equations:
    builder = _EquationBuilder(audit)
    for shared in shared_attribute_sets(audit.tables, audit.domain):
        members = [
            t for t, table in enumerate(audit.tables) if set(shared) <= set(table.attributes)
        ]
        builder.agreement(shared, members)
    return builder.build()


class _EquationBuilder:
    """Collects the sparse entries, right-hand sides and source tables of the equations."""

    def __init__(self, audit: _Audit) -> None:
        self.audit = audit
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.rhs: list[np.ndarray] = []
        self.sources: list[tuple[int, int]] = []

    def build(self) -> _Equations:
        def joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        entries = (joined(self.vals, float), (joined(self.rows, int), joined(self.cols, int)))
        shape = (len(self.sources), self.audit.unknowns)
        matrix = sparse.coo_matrix(entries, shape=shape).tocsr()
        return _Equations(matrix, joined(self.rhs, float), self.sources)

    def agreement(self, shared: tuple[str, ...], members: list[int]) -> None:
        """Equations saying that the member tables agree on their marginal over ``shared``.

        Per marginal cell: where some member publishes it whole, that number is
        the reference and every other member's unknowns must add up to it (one
        equation each, which keeps the tables' unknowns apart). Where none does,
        each member is equated with the one holding the fewest unknowns there.
        """
        audit = self.audit
        size = int(np.prod([len(audit.domain[a]) for a in shared]))
        projections = [
            marginal_index(audit.tables[t].attributes, audit.domain, shared) for t in members
        ]
        known = np.stack(
            [
                np.bincount(p, weights=np.nan_to_num(audit.counts[t], nan=0.0), minlength=size)
                for p, t in zip(projections, members, strict=True)
            ]
        )
        missing = np.stack(
            [
                np.bincount(p[audit.masks[t]], minlength=size)
                for p, t in zip(projections, members, strict=True)
            ]
        )
        whole = missing == 0
        _check_agree(audit, shared, members, known, whole)
        if whole.all():
            return
        has_reference = whole.any(axis=0)
        publisher = np.argmax(whole, axis=0)  # the first member publishing the cell whole
        fewest = np.argmin(np.where(whole, np.iinfo(np.int64).max, missing), axis=0)
        reference = np.where(has_reference, publisher, fewest)
        member_index = np.arange(len(members))[:, None]
        needs_row = ~whole & (has_reference[None, :] | (member_index != reference[None, :]))
        row_id = np.full(whole.shape, -1, dtype=np.int64)
        member_of_row, cell_of_row = np.nonzero(needs_row)
        row_id[member_of_row, cell_of_row] = len(self.sources) + np.arange(len(member_of_row))
        self.rhs.append(
            known[reference[cell_of_row], cell_of_row] - known[member_of_row, cell_of_row]
        )
        self.sources.extend(
            (members[int(m)], members[int(reference[c])])
            for m, c in zip(member_of_row, cell_of_row, strict=True)
        )
        for i, t in enumerate(members):
            positions = audit.positions[t]
            cells = projections[i][positions]
            unknown = audit.offsets[t] + np.arange(len(positions))
            own = row_id[i, cells]
            kept = own >= 0
            self._add(own[kept], unknown[kept], 1.0)
            # This member is the reference of cells no one publishes whole: its
            # unknowns enter, negated, every other member's equation there.
            referenced = ~has_reference[cells] & (reference[cells] == i)
            if referenced.any():
                others = row_id[:, cells[referenced]]
                other_rows, which = np.nonzero(others >= 0)
                self._add(others[other_rows, which], unknown[referenced][which], -1.0)

    def _add(self, rows: np.ndarray, cols: np.ndarray, value: float) -> None:
        self.rows.append(rows)
        self.cols.append(cols)
        self.vals.append(np.full(len(rows), value))


def _check_agree(
    audit: _Audit, shared: tuple[str, ...], members: list[int], known: np.ndarray, whole: np.ndarray
) -> None:
    """Two tables that publish the same marginal cell whole must publish the same number."""
    lowest = np.where(whole, known, math.inf).min(axis=0)
    highest = np.where(whole, known, -math.inf).max(axis=0)
    clash = np.flatnonzero(highest - lowest > 0.5)
    if len(clash) == 0:
        return
    cell = int(clash[0])
    a = members[int(np.argmin(np.where(whole[:, cell], known[:, cell], math.inf)))]
    b = members[int(np.argmax(np.where(whole[:, cell], known[:, cell], -math.inf)))]
    where = _marginal_label(audit.domain, shared, cell)
    raise TriageError(
        f"published counts contradict each other: tables {audit.tables[a].name} and "
        f"{audit.tables[b].name} give {where} as {lowest[cell]:.0f} and {highest[cell]:.0f}"
    )


def _marginal_label(domain: Domain, shared: tuple[str, ...], cell: int) -> str:
    if not shared:
        return "the total"
    coords = np.unravel_index(cell, tuple(len(domain[a]) for a in shared))
    return "the count of " + ", ".join(
        f"{a}={domain[a][int(i)]}" for a, i in zip(shared, coords, strict=True)
    )


def marginal_index(attributes: Sequence[str], domain: Domain, shared: Sequence[str]) -> np.ndarray:
    """For each cell of the ``attributes`` grid, the index of its cell in the ``shared`` grid."""
    shape = tuple(len(domain[a]) for a in attributes)
    size = int(np.prod(shape))
    if not shared:
        return np.zeros(size, dtype=np.int64)
    coords = np.unravel_index(np.arange(size), shape)
    kept = [coords[list(attributes).index(a)] for a in shared]
    return np.ravel_multi_index(kept, tuple(len(domain[a]) for a in shared)).astype(np.int64)


def shared_attribute_sets(tables: Sequence[Table], domain: Domain) -> list[tuple[str, ...]]:
    """The attributes any two tables share (the empty set included), each in domain order."""
    order = {a: i for i, a in enumerate(domain)}
    distinct = list(dict.fromkeys(frozenset(t.attributes) for t in tables))
    shared: dict[tuple[str, ...], None] = {}
    if len(tables) > 1:
        shared[()] = None
    for i, a in enumerate(distinct):
        if sum(frozenset(t.attributes) == a for t in tables) > 1:
            shared[tuple(sorted(a, key=order.__getitem__))] = None
        for b in distinct[i + 1 :]:
            shared[tuple(sorted(a & b, key=order.__getitem__))] = None
    return list(shared)


def _check_tables(tables: Sequence[Table], domain: Domain) -> None:
    names: set[str] = set()
    for table in tables:
        if table.name in names:
            raise TriageError(f"table {table.name}: appears twice in the release")
        names.add(table.name)
        for a in table.attributes:
            if a not in domain:
                raise TriageError(f"table {table.name}: attribute {a} is not in the domain")
        if len(set(table.attributes)) != len(table.attributes):
            raise TriageError(
                f"table {table.name}: an attribute appears twice in {list(table.attributes)}"
            )
        if COUNT not in table.frame.columns:
            raise TriageError(f"table {table.name}: expected a {COUNT} column")
        cells = int(np.prod(table.shape(domain)))
        if len(table.frame) != cells:
            raise TriageError(
                f"table {table.name}: expected {cells} cells (the full grid of its attributes), "
                f"got {len(table.frame)}"
            )
        counts = table.counts()
        if (counts[~np.isnan(counts)] < 0).any():
            raise TriageError(f"table {table.name}: a published count is negative")
