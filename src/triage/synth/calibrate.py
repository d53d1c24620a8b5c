"""Targets from the published aggregates, and the joint context table fitted to them.

The four calibrated margins (DV-witness share, main abuse type, route, age band)
come from ``published_aggregates.csv`` for the chosen fiscal year, or the latest
earlier year that publishes them. Their joint table starts from the spec's
association weights (which encode what cannot or tends to co-occur) and is
fitted to the margins by iterative proportional fitting (raking).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from triage.contract import ABUSE_TYPES, notice_fields
from triage.contract.errors import TriageError
from triage.synth.spec import Spec, aggregates_path

CONTEXT_DIMS = ("notice_kind", "main_type", "route", "age_band")

# Older route tables count family and relatives apart; newer ones together.
_ROUTE_ALIASES = {"family_relatives": ("family", "relatives")}


class CalibrationError(TriageError, ValueError):
    """The published aggregates lack a figure the calibration needs."""


@dataclass(frozen=True)
class Target:
    """One published margin: shares per contract category, and where they came from."""

    dimension: str
    shares: dict[str, float]
    fiscal_year: int
    source: str


def load_aggregates(spec: Spec) -> pd.DataFrame:
    return pd.read_csv(aggregates_path(spec), dtype={"fiscal_year": int, "count": float})


def _latest(
    agg: pd.DataFrame, dimension: str, fiscal_year: int, needed: tuple[str, ...] = ()
) -> int:
    rows = agg[(agg.dimension == dimension) & (agg.fiscal_year <= fiscal_year)]
    for year in sorted(rows.fiscal_year.unique(), reverse=True):
        have = set(rows.loc[rows.fiscal_year == year, "category"])
        if all(
            c in have or set(_ROUTE_ALIASES.get(c, ())) <= have and c in _ROUTE_ALIASES
            for c in needed
        ):
            return int(year)
    raise CalibrationError(
        f"published_aggregates.csv has no '{dimension}' figures"
        + (f" for {', '.join(needed)}" if needed else "")
        + f" at or before FY{fiscal_year}"
    )


def _count(agg: pd.DataFrame, dimension: str, year: int, category: str) -> float:
    rows = agg[(agg.dimension == dimension) & (agg.fiscal_year == year)]
    hit = rows.loc[rows.category == category, "count"]
    if len(hit):
        return float(hit.iloc[0])
    parts = _ROUTE_ALIASES.get(category, ())
    if parts and set(parts) <= set(rows.category):
        return float(rows.loc[rows.category.isin(parts), "count"].sum())
    raise CalibrationError(f"no published figure {dimension}/{category} for FY{year}")


def _total(agg: pd.DataFrame, year: int) -> float:
    return _count(agg, "total", year, "all")


def published_targets(spec: Spec, fiscal_year: int | None = None) -> dict[str, Target]:
    """The margins the generator is fitted to, as shares per contract category.

    Kept per process for a given spec, year and aggregates file (by size and
    modification time): the truth check calls the generator a hundred times.
    """
    fy = fiscal_year if fiscal_year is not None else spec.calibration.fiscal_year
    path = aggregates_path(spec)
    stat = path.stat() if path.exists() else None
    key = (spec.model_dump_json(), fy, str(path), stat and (stat.st_size, stat.st_mtime_ns))
    if key not in _TARGETS:
        _TARGETS[key] = _published_targets(spec, fy)
    return dict(_TARGETS[key])


_TARGETS: dict[tuple, dict[str, Target]] = {}


def _published_targets(spec: Spec, fy: int) -> dict[str, Target]:
    cal = spec.calibration
    agg = load_aggregates(spec)
    src = "published_aggregates.csv"

    year = _latest(agg, "abuse_type", fy, ABUSE_TYPES)
    counts = {t: _count(agg, "abuse_type", year, t) for t in ABUSE_TYPES}
    main_type = Target("main_type", _normalise(counts), year, f"{src}: abuse_type FY{year}")

    year = _latest(agg, "psychological_subtype", fy, (cal.dv_witness_category,))
    dv = _count(agg, "psychological_subtype", year, cal.dv_witness_category) / _total(agg, year)
    notice_kind = Target(
        "notice_kind",
        {"general": 1 - dv, "dv_witness": dv},
        year,
        f"{src}: psychological_subtype/{cal.dv_witness_category} over total FY{year}",
    )

    year = _latest(agg, "route", fy, tuple(cal.route_map.values()))
    total = _total(agg, year)
    route_counts = {r: _count(agg, "route", year, c) for r, c in cal.route_map.items()}
    remainder = total - sum(route_counts.values())
    weights = cal.remainder_weights
    for r, w in weights.items():
        route_counts[r] = remainder * w / sum(weights.values())
    route = Target(
        "route",
        _normalise(route_counts),
        year,
        f"{src}: route FY{year}; unlisted routes share the remainder by spec weights",
    )

    year = _latest(agg, "age_band", fy, tuple(cal.age_bands)[:-1])
    total = _total(agg, year)
    band_counts = {b: _count(agg, "age_band", year, b) for b in tuple(cal.age_bands)[:-1]}
    band_counts[tuple(cal.age_bands)[-1]] = total - sum(band_counts.values())
    age = Target(
        "age_band",
        _normalise(band_counts),
        year,
        f"{src}: age_band FY{year}; last band = total minus the others",
    )
    return {t.dimension: t for t in (notice_kind, main_type, route, age)}


def _normalise(counts: dict[str, float]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()}


def context_levels(spec: Spec) -> dict[str, tuple[str, ...]]:
    enums = notice_fields().enums
    return {
        "notice_kind": enums["notice_kind"],
        "main_type": ABUSE_TYPES,
        "route": enums["route"],
        "age_band": tuple(spec.calibration.age_bands),
    }


def seed_table(spec: Spec) -> np.ndarray:
    """Joint weights before fitting: 1 everywhere, times exp(log_weight) of each association."""
    levels = context_levels(spec)
    log_w = np.zeros([len(levels[d]) for d in CONTEXT_DIMS])
    for assoc in spec.calibration.associations:
        index: list[slice | list[int]] = []
        for dim in CONTEXT_DIMS:
            wanted = assoc.when.get(dim)
            if wanted is None:
                index.append(slice(None))
                continue
            wanted = [wanted] if isinstance(wanted, str) else wanted
            unknown = set(wanted) - set(levels[dim])
            if unknown:
                raise CalibrationError(
                    f"calibration.associations: {dim} has no level {sorted(unknown)}; expected one of {levels[dim]}"
                )
            index.append([levels[dim].index(w) for w in wanted])
        log_w[np.ix_(*[np.arange(log_w.shape[i])[ix] for i, ix in enumerate(index)])] += (
            assoc.log_weight
        )
    return np.exp(log_w)


def context_table(spec: Spec, targets: dict[str, Target]) -> np.ndarray:
    """``fit_context_table`` kept per process for a given spec and margins (read-only)."""
    margins = tuple((d, tuple(sorted(t.shares.items()))) for d, t in sorted(targets.items()))
    key = (spec.model_dump_json(), margins)
    if key not in _TABLES:
        table = fit_context_table(spec, targets)
        table.flags.writeable = False
        _TABLES[key] = table
    return _TABLES[key]


_TABLES: dict[tuple, np.ndarray] = {}


def fit_context_table(
    spec: Spec, targets: dict[str, Target], *, tol: float = 1e-12, max_iter: int = 2000
) -> np.ndarray:
    """Iterative proportional fitting of the seed table to the four published margins."""
    levels = context_levels(spec)
    table = seed_table(spec)
    table /= table.sum()
    margins = [np.array([targets[d].shares[lv] for lv in levels[d]]) for d in CONTEXT_DIMS]
    for _ in range(max_iter):
        worst = 0.0
        for axis, target in enumerate(margins):
            other = tuple(i for i in range(table.ndim) if i != axis)
            current = table.sum(axis=other)
            worst = max(worst, float(np.abs(current - target).max()))
            ratio = np.divide(target, current, out=np.zeros_like(target), where=current > 0)
            shape = [1] * table.ndim
            shape[axis] = -1
            table *= ratio.reshape(shape)
        if worst < tol:
            return table
    raise CalibrationError(
        f"raking did not reach the published margins (worst gap {worst:.2e}); "
        "check calibration.associations for structural zeros that make them impossible"
    )


def cell_labels(spec: Spec) -> list[tuple[str, ...]]:
    """The context cells in the flattened order of the fitted table."""
    levels = context_levels(spec)
    return list(itertools.product(*(levels[d] for d in CONTEXT_DIMS)))
