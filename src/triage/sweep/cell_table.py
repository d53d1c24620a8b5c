"""Per cell (a sweep's settings, whatever the seed), the headline metrics across its seeds.

A cell's runs are its seeds. Each headline metric of each candidate and the oracle
becomes a ``SeedInterval`` over the seeds that finished; failed seeds are counted and
listed, never averaged in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from triage.sweep.cell_audit import PREFIX as AUDIT_PREFIX
from triage.sweep.seed_interval import LEVEL, SeedInterval, seed_interval
from triage.sweep.sweep_runs import FAILED, FINISHED, CellRun, SweepRuns


@dataclass(frozen=True)
class Headline:
    """A metric a run logs as ``{outcome}.{candidate}.{metric}``; ``figure``: drawn per key."""

    outcome: str
    metric: str
    figure: bool = False


HEADLINES: dict[str, tuple[Headline, ...]] = {
    "intake_urgency": (
        Headline("true", "auc_ratio", figure=True),
        Headline("true", "recall_at_k_worst", figure=True),
        Headline("recorded", "recall_at_k_worst", figure=True),  # the gap recorded labels hide
        Headline("true", "auc"),
        Headline("recorded", "auc"),
        Headline("recorded", "auc_ratio"),  # without truth: the only ratio there is
    ),
    "dv_witness_sorting": (
        Headline("true", "auc_ratio", figure=True),
        Headline("true", "under_routing", figure=True),
        Headline("true", "over_routing", figure=True),
        Headline("true", "recall_at_k_worst"),
        Headline("true", "share_municipality"),
    ),
}
"""Recall at capacity is ``recall_at_k_worst``: ties at the cut broken against the model."""

Estimates = dict[tuple[str, str, str], SeedInterval]
"""(outcome, candidate, metric) → mean and interval across seeds."""


@dataclass(frozen=True)
class CellSummary:
    overrides: dict[str, Any]
    runs: list[CellRun]
    estimates: Estimates
    audit: dict[str, SeedInterval] = field(default_factory=dict)
    """``audit.<part>.flags[.<feature>]`` → mean and interval across seeds (audited sweeps)."""

    @property
    def finished(self) -> int:
        return sum(r.status == FINISHED for r in self.runs)

    @property
    def failed(self) -> int:
        return sum(r.status in FAILED for r in self.runs)



@dataclass(frozen=True)
class CellTable:
    cells: list[CellSummary]
    headlines: list[Headline]
    candidates: list[str]
    level: float
    varied: list[str]
    """The swept keys that take more than one value: one figure each."""
    fixed: dict[str, Any]
    """Keys given one value (a small sweep's settings): the same in every cell."""

    def label(self, cell: CellSummary) -> str:
        """``data.synthetic.n=10000``: the cell as the settings that tell it apart."""
        shown = [f"{k}={cell.overrides[k]}" for k in self.varied if k in cell.overrides]
        return ", ".join(shown) or "(base config)"

    def estimate(self, cell: CellSummary, h: Headline, candidate: str) -> SeedInterval | None:
        return cell.estimates.get((h.outcome, candidate, h.metric))


def cell_table(sweep: SweepRuns, level: float = LEVEL) -> CellTable:
    """The sweep's cells in the sweep file's order, with the headlines any of them has."""
    grouped: dict[str, list[CellRun]] = {}
    for run in sweep.runs:  # in cell-id order: the grid's order
        grouped.setdefault(run.settings, []).append(run)
    specs = HEADLINES.get(sweep.pipeline or "", HEADLINES["intake_urgency"])
    cells = [
        CellSummary(
            runs[0].overrides, runs, estimates_of(runs, specs, level), audit_counts(runs, level)
        )
        for runs in grouped.values()
    ]
    present = {key for cell in cells for key in cell.estimates}
    headlines = [h for h in specs if any((h.outcome, h.metric) == (o, m) for o, _, m in present)]
    candidates = sorted({c for _, c, _ in present}, key=lambda c: (c.startswith("oracle"), c))
    varied, fixed = _varied_and_fixed(sweep.keys, cells)
    return CellTable(cells, headlines, candidates, level, varied, fixed)


def _varied_and_fixed(
    keys: list[str], cells: list[CellSummary]
) -> tuple[list[str], dict[str, Any]]:
    varied, fixed = [], {}
    for key in keys:
        values = {repr(c.overrides[key]): c.overrides[key] for c in cells if key in c.overrides}
        if len(values) == 1:
            fixed[key] = next(iter(values.values()))
        else:
            varied.append(key)
    return varied, fixed


def estimates_of(
    runs: list[CellRun], specs: tuple[Headline, ...] | list[Headline], level: float
) -> Estimates:
    """Per headline of ``specs``, each candidate's interval over the finished ``runs``."""
    wanted = {(h.outcome, h.metric) for h in specs}
    values: dict[tuple[str, str, str], list[float]] = {}
    for run in runs:
        if run.status != FINISHED:
            continue
        for key, value in run.metrics.items():
            parts = key.split(".")
            if len(parts) == 3 and (parts[0], parts[2]) in wanted:
                values.setdefault((parts[0], parts[1], parts[2]), []).append(value)
    out: Estimates = {}
    for where, vals in values.items():
        interval = seed_interval(vals, level)
        if interval is not None:
            out[where] = interval
    return out


def audit_counts(runs: list[CellRun], level: float) -> dict[str, SeedInterval]:
    """The audit's flag counts (``cell_audit``) of the finished ``runs``, across seeds."""
    values: dict[str, list[float]] = {}
    for run in runs:
        if run.status != FINISHED:
            continue
        for key, value in run.metrics.items():
            if key.startswith(AUDIT_PREFIX) and ".flags" in key:
                values.setdefault(key, []).append(value)
    out = {}
    for key, vals in sorted(values.items()):
        interval = seed_interval(vals, level)
        if interval is not None:
            out[key] = interval
    return out
