"""The agency's side end to end: records → tables → protected tables, and the check of a release.

``build_release`` tabulates the tables the spec names and protects them by the
chosen method; ``check_release`` re-reads a release folder (schema, digests)
and re-runs the disclosure checks that need no record: for ``sdc`` no count in
1..k−1 and no suppressed cell narrower than k; for ``dp`` non-negative integer
counts whose shared margins agree.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from triage.aggregates.tables import Domain, Table, marginal, tabulate
from triage.contract.errors import InvalidParameter

Method = Literal["sdc", "dp"]


@dataclass(frozen=True)
class BuiltRelease:
    tables: list[Table]
    domain: Domain
    parameters: dict[str, Any]
    budget: dict[str, Any] | None
    stats: dict[str, int] = field(default_factory=dict)


def build_release(
    records: pd.DataFrame,
    domain: Domain,
    table_attributes: list[tuple[str, ...]],
    *,
    method: Method,
    k: int | None = None,
    epsilon: float | None = None,
    delta: float | None = None,
) -> BuiltRelease:
    """The release's tables, protected by ``method`` (``sdc`` needs ``k``, ``dp`` ε and δ)."""
    if method == "sdc":
        from triage.aggregates.suppression import suppress

        if k is None:
            raise InvalidParameter("k: sdc needs k, the smallest count published", param="k")
        raw = [tabulate(records, domain, attrs) for attrs in table_attributes]
        result = suppress(raw, domain, k=k)
        stats = {
            "primary": result.primary,
            "complementary": result.complementary,
            "rounds": result.rounds,
        }
        return BuiltRelease(result.tables, domain, {"k": k}, None, stats)
    if method == "dp":
        from triage.aggregates.dp import dp_release

        if epsilon is None or delta is None:
            raise InvalidParameter("epsilon: dp needs epsilon and delta", param="epsilon")
        dp = dp_release(records, domain, table_attributes, epsilon=epsilon, delta=delta)
        return BuiltRelease(dp.tables, domain, {"epsilon": epsilon, "delta": delta}, dp.budget)
    raise InvalidParameter(f"method: expected sdc or dp, got {method!r}", param="method")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a release: the table, the cell (if one), and what."""

    table: str
    cell: dict[str, str] | None
    message: str

    def line(self) -> str:
        where = self.table + (
            " [" + ", ".join(f"{a}={v}" for a, v in self.cell.items()) + "]" if self.cell else ""
        )
        return f"{where}: {self.message}"


def check_release(folder: Path) -> tuple[dict[str, Any], list[Problem]]:
    """The manifest and every problem found (none: the release passes).

    A folder that is not a readable release, or whose files changed after
    release, raises ``ReleaseError`` (naming the table) before any audit.
    """
    from triage.aggregates.release_folder import read_release

    release = read_release(folder)
    manifest = release.manifest
    if manifest["method"] == "sdc":
        problems = _sdc_problems(release.tables, release.domain, k=int(manifest["parameters"]["k"]))
    else:
        problems = _dp_problems(release.tables, release.domain)
    return manifest, problems


def _sdc_problems(tables: list[Table], domain: Domain, *, k: int) -> list[Problem]:
    from triage.aggregates.exposure import exposed_cells

    problems = []
    for table in tables:
        counts = table.counts()
        small = np.flatnonzero((counts >= 1) & (counts < k))
        for i in small:
            problems.append(
                Problem(
                    table.name, _cell(table, int(i)), f"count {int(counts[i])} is below k = {k}"
                )
            )
    for exposed in exposed_cells(tables, domain, k=k):
        problems.append(
            Problem(
                exposed.table,
                exposed.cell,
                f"suppressed, but the published tables pin it to [{exposed.low:g}, {exposed.high:g}] "
                f"(narrower than k = {k})",
            )
        )
    return problems


def _dp_problems(tables: list[Table], domain: Domain) -> list[Problem]:
    problems = []
    for table in tables:
        counts = table.counts()
        if np.isnan(counts).any() or (counts < 0).any():
            problems.append(Problem(table.name, None, "counts must be non-negative integers"))
    for a, b in itertools.combinations(tables, 2):
        shared = [x for x in a.attributes if x in b.attributes]
        ma = marginal(a.counts().reshape(a.shape(domain)), a.attributes, shared)
        mb = marginal(b.counts().reshape(b.shape(domain)), b.attributes, shared)
        if not np.array_equal(ma, mb):
            what = " × ".join(shared) if shared else "the total"
            problems.append(
                Problem(a.name, None, f"its margin over {what} disagrees with {b.name}")
            )
    return problems


def _cell(table: Table, i: int) -> dict[str, str]:
    row = table.frame.iloc[i]
    return {a: str(row[a]) for a in table.attributes}
