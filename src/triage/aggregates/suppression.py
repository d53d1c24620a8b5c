"""Small-cell suppression: hide every count from 1 to k−1, then enough others.

Primary suppression hides the small counts. Zeros stay published: a
structural or sampling zero describes no one. Hiding the small counts alone
is not enough, because a hidden cell can often be worked out from what is
still published (a row total minus the rest of the row, or the same
marginal in another table). Complementary suppression hides further cells
until the disclosure audit (:mod:`triage.aggregates.exposure`) finds every
hidden cell free to move over a range at least ``k`` wide.

The complement is chosen by a heuristic and then verified by the audit,
round after round, until the audit is clean. In a round, for each exposed
cell (tables in order, cells in grid order):

1. Lines. Along each attribute of the cell's table, the *line* of cells
   sharing all its other attributes (a one-way table is one line) needs two
   hidden cells holding at least ``k`` between them, or its total, known
   from the other tables, gives the cell away. A line short of that hides
   its cheapest published non-zero cell: the smallest count of at least
   ``k``, else the largest.
2. Patterns. A cell whose lines are all sufficient, or hold nothing left to
   hide, is held through other tables or through the hidden cells' own
   limits. For it a linear programme finds the cheapest *protection
   patterns*: changes to the cells of every table that keep all the
   tables' shared marginals in agreement, keep every count non-negative,
   leave zeros alone, and move the cell down by ``d = min(v, k)`` (``v``
   its count), then up by ``k − d``. Every published cell a pattern moves
   is hidden; moving a published cell costs its count per unit, so small
   counts go first, as in step 1. Once they are hidden, the patterns are
   themselves solutions of the attacker's programme ``k`` apart.
3. Widening, only when steps 1 and 2 hid nothing: the round's first exposed
   cell hides the cheapest candidate of its lines, else of the tables
   sharing an attribute with its table, else of any table.

Every round hides at least one more non-zero cell, so the loop ends: once
every non-zero count is hidden, every hidden cell can be scaled freely and
none is exposed. Each step walks tables and cells in order, and the
programmes are deterministic, so the same tables give the same release.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from triage.aggregates.exposure import (
    CellRange,
    check_k,
    exposed_cells,
    marginal_index,
    shared_attribute_sets,
)
from triage.aggregates.tables import Domain, Table
from triage.contract.errors import TriageError

PATTERN_SLACK = 1e-3
"""The cost of moving an already-hidden cell by one: nearly free, so patterns reuse them."""

MOVED = 1e-6
"""A pattern moves a cell when it changes it by more than this (LP round-off below)."""


@dataclass(frozen=True)
class SuppressionResult:
    """The protected tables, and what protecting them cost.

    ``primary``: cells hidden for holding a count from 1 to k−1.
    ``complementary``: further cells hidden so that no hidden cell is exposed.
    ``rounds``: audit → complement rounds that hid something (0: the primary
    suppression was already safe).
    """

    tables: list[Table]
    primary: int
    complementary: int
    rounds: int


def suppress(tables: Sequence[Table], domain: Domain, *, k: int) -> SuppressionResult:
    """Protect full tables (every count present) by primary and complementary suppression."""
    check_k(k, minimum=2)
    release = _Release(tables, domain)
    release.hidden |= (release.counts >= 1) & (release.counts < k)
    primary = release.hidden_count()
    rounds = 0
    while exposed := exposed_cells(release.published(), domain, k=k):
        before = release.hidden_count()
        release.complement(exposed, k)
        if release.hidden_count() == before:
            raise TriageError(
                f"suppression: cell {exposed[0].cell} of table {exposed[0].table} stays exposed "
                "with nothing left to suppress"
            )
        rounds += 1
    return SuppressionResult(
        tables=release.published(),
        primary=primary,
        complementary=release.hidden_count() - primary,
        rounds=rounds,
    )


class _Release:
    """The true counts and which cells are hidden, over all the cells of all the tables.

    A cell is a position in the concatenation of the tables' grids (tables in
    order, each in grid order).
    """

    def __init__(self, tables: Sequence[Table], domain: Domain) -> None:
        self.tables = list(tables)
        self.domain = domain
        self.shapes = [t.shape(domain) for t in tables]
        for table in self.tables:
            if table.suppressed().any():
                raise TriageError(
                    f"table {table.name}: a count is missing; suppress expects the full "
                    "tabulated counts"
                )
        self.counts = np.concatenate([t.counts() for t in self.tables])
        sizes = [int(np.prod(shape)) for shape in self.shapes]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.hidden = np.zeros(len(self.counts), dtype=bool)
        self.index = {t.name: i for i, t in enumerate(self.tables)}
        self._agreement: sparse.csr_matrix | None = None

    def published(self) -> list[Table]:
        shown = np.where(self.hidden, np.nan, self.counts)
        return [
            table.with_counts(shown[self.offsets[t] : self.offsets[t + 1]])
            for t, table in enumerate(self.tables)
        ]

    def hidden_count(self) -> int:
        return int(self.hidden.sum())

    def locate(self, found: CellRange) -> tuple[int, int]:
        """(table, global cell) of an audited cell."""
        t = self.index[found.table]
        coords = [self.domain[a].index(found.cell[a]) for a in self.tables[t].attributes]
        return t, int(self.offsets[t] + np.ravel_multi_index(coords, self.shapes[t]))

    def complement(self, exposed: list[CellRange], k: int) -> None:
        """Hide more cells for the exposed ones (steps 1 to 3 of the module's heuristic)."""
        before = self.hidden_count()
        unhelped = []
        for found in exposed:
            t, cell = self.locate(found)
            helped = False
            for line in self._lines(t, cell):
                if self._short(line, k) and len(self._candidates(line)):
                    self._hide_cheapest(line, k)
                    helped = True
            if not helped:
                unhelped.append(cell)
        for cell in unhelped:
            self._hide_pattern(cell, k)
        if self.hidden_count() == before:
            self._widen(*self.locate(exposed[0]), k)

    def _lines(self, t: int, cell: int) -> Iterator[np.ndarray]:
        """For each attribute of table t, the cells varying only in it from ``cell``."""
        shape = self.shapes[t]
        coords = np.unravel_index(cell - self.offsets[t], shape)
        for axis in range(len(shape)):
            along = [np.full(shape[axis], c) for c in coords]
            along[axis] = np.arange(shape[axis])
            yield self.offsets[t] + np.ravel_multi_index(along, shape)

    def _short(self, cells: np.ndarray, k: int) -> bool:
        """Fewer than two hidden cells, or less than k between them: their total gives them away."""
        hidden = self.hidden[cells]
        return bool(hidden.sum() < 2 or self.counts[cells][hidden].sum() < k)

    def _candidates(self, cells: np.ndarray) -> np.ndarray:
        """The published non-zero cells among ``cells``."""
        return cells[~self.hidden[cells] & (self.counts[cells] > 0)]

    def _hide_cheapest(self, cells: np.ndarray, k: int) -> bool:
        """Hide the candidate losing least: the smallest count of at least k, else the largest.

        Ties go to the first table, then the first cell.
        """
        candidates = self._candidates(cells)
        if len(candidates) == 0:
            return False
        counts = self.counts[candidates]
        large = counts >= k
        pick = (
            candidates[large][np.argmin(counts[large])]
            if large.any()
            else candidates[np.argmax(counts)]
        )
        self.hidden[pick] = True
        return True

    def _hide_pattern(self, cell: int, k: int) -> None:
        """Hide the published cells of the cheapest patterns moving the cell down, then up."""
        down = min(float(self.counts[cell]), float(k))
        for move in (-down, k - down):
            if abs(move) > MOVED:
                moved = self._pattern(cell, move)
                self.hidden |= moved & (self.counts > 0)

    def _pattern(self, cell: int, move: float) -> np.ndarray:
        """Which cells the cheapest pattern moving ``cell`` by ``move`` changes.

        Variables: each cell's rise and fall (both ≥ 0); the changes keep every
        shared marginal in agreement; a fall never exceeds the count; zeros
        never move.
        """
        agreement = self._agreement_matrix()
        n = len(self.counts)
        unit = np.where(self.hidden, PATTERN_SLACK, self.counts)
        cost = np.concatenate([unit, unit])
        rise_bound = np.where(self.counts > 0, np.inf, 0.0)
        upper = np.concatenate([rise_bound, self.counts])
        lower = np.zeros(2 * n)
        if move > 0:
            lower[cell] = upper[cell] = move
            upper[n + cell] = 0.0
        else:
            upper[cell] = 0.0
            lower[n + cell] = upper[n + cell] = -move
        result = linprog(
            cost,
            A_eq=sparse.hstack([agreement, -agreement], format="csr"),
            b_eq=np.zeros(agreement.shape[0]),
            bounds=np.column_stack([lower, upper]),
            method="highs",
        )
        if result.status != 0:
            return np.zeros(n, dtype=bool)
        change = result.x[:n] - result.x[n:]
        return np.abs(change) > MOVED

    def _agreement_matrix(self) -> sparse.csr_matrix:
        """Rows: every two tables agree on the marginal over the attributes they share.

        Columns: every cell of every table. Each table holding a shared
        attribute set is equated with the first table holding it.
        """
        if self._agreement is not None:
            return self._agreement
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        n_rows = 0
        for shared in shared_attribute_sets(self.tables, self.domain):
            members = [
                t for t, table in enumerate(self.tables) if set(shared) <= set(table.attributes)
            ]
            size = int(np.prod([len(self.domain[a]) for a in shared]))
            index = {
                t: marginal_index(self.tables[t].attributes, self.domain, shared) for t in members
            }
            first = members[0]
            for t in members[1:]:
                for member, sign in ((t, 1.0), (first, -1.0)):
                    rows.append(n_rows + index[member])
                    cols.append(self.offsets[member] + np.arange(len(index[member])))
                    vals.append(np.full(len(index[member]), sign))
                n_rows += size
        self._agreement = sparse.coo_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n_rows, len(self.counts)),
        ).tocsr()
        return self._agreement

    def _matching(self, t: int, cell: int, u: int) -> np.ndarray:
        """Table u's cells agreeing with ``cell`` (of table t) on the attributes they share."""
        own = self.tables[t].attributes
        coords = dict(
            zip(own, np.unravel_index(cell - self.offsets[t], self.shapes[t]), strict=True)
        )
        grids = np.indices(self.shapes[u]).reshape(len(self.shapes[u]), -1)
        agree = np.ones(grids.shape[1], dtype=bool)
        for axis, a in enumerate(self.tables[u].attributes):
            if a in coords:
                agree &= grids[axis] == coords[a]
        return self.offsets[u] + np.flatnonzero(agree)

    def _widen(self, t: int, cell: int, k: int) -> None:
        """One more hidden cell for a cell nothing else helped: its lines, then further out."""
        for line in self._lines(t, cell):
            if self._hide_cheapest(line, k):
                return
        own = set(self.tables[t].attributes)
        sharing = [u for u, table in enumerate(self.tables) if own & set(table.attributes)]
        for scope in (sharing, range(len(self.tables))):
            cells = np.concatenate([self._matching(t, cell, u) for u in scope])
            if self._hide_cheapest(cells, k):
                return
