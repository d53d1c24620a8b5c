"""Targets from published aggregates, and the joint context table fitted to them.

The four calibrated margins (DV-witness share, main abuse type, route, age band)
come from the spec's aggregates file (``published_aggregates.csv``: the national
figures) for the chosen fiscal year, or the latest earlier year that publishes
them.

A user's own table in the same format (``triage synth --aggregates``, held in
``Spec.user_aggregates``) comes first, margin by margin: each margin from its
latest year at or before the chosen one in that table. A margin the table has
for no such year comes from the national figures instead, and its
``Target.fallback`` says why; the DV-witness share is then the national share
scaled to the table's share of the routes DV-witness notices come by (police),
so that a prefecture with fewer police notices than the nation still has room
for them. Rows of the user's table that cannot be used are left out and named
(``AggregatesTable.left_out``).

The joint table starts from the spec's association weights (which encode what
cannot or tends to co-occur) and is fitted to the margins by iterative
proportional fitting (raking).
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from triage.contract import ABUSE_TYPES, notice_fields
from triage.contract.errors import TriageError
from triage.notices import describe_kind
from triage.notices.kinds import STR
from triage.notices.messages import quoted_key
from triage.synth.spec import Calibration, Spec, aggregates_path

CONTEXT_DIMS = ("notice_kind", "main_type", "route", "age_band")

# Older route tables count family and relatives apart; newer ones together.
_ROUTE_ALIASES = {"family_relatives": ("family", "relatives")}


class CalibrationError(TriageError, ValueError):
    """The published aggregates lack a figure the calibration needs, or contradict themselves."""


class _Unpublished(CalibrationError):
    """A table has a margin for no year at or before the one asked for (a user's table may
    then fall back to the national figures)."""


@dataclass(frozen=True)
class Target:
    """One published margin: shares per contract category, and where they came from."""

    dimension: str
    shares: dict[str, float]
    fiscal_year: int
    source: str
    fallback: str = ""
    """Why the figures are the national ones although a user's table was given ('' if not)."""


# --- the tables ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Figures:
    """One aggregates table's rows (``fiscal_year, dimension, category, count``) and its name."""

    rows: pd.DataFrame
    name: str


def load_aggregates(spec: Spec) -> pd.DataFrame:
    """The spec's aggregates file: the national figures."""
    return pd.read_csv(aggregates_path(spec), dtype={"fiscal_year": int, "count": float})


HEADER = ("fiscal_year", "dimension", "category", "count", "source")
"""The columns of an aggregates file; ``source`` (where a figure was published) may be left out."""
_REQUIRED = HEADER[:4]
MAX_LINE_BYTES = 10_000
"""A longer line of a user's table is left out unread (the national file's longest is ~250)."""
MAX_LINES = 100_000
"""A user's table with more lines is refused (the national one has 205)."""
_YEARS = range(1900, 2101)
_DIGITS = re.compile(r"[0-9]+")
_COUNT = re.compile(r"[0-9]+(\.[0-9]+)?")
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8 (surrogateescape)


@dataclass(frozen=True)
class LeftOutRow:
    """A row of a user's table that cannot be used, and why."""

    line: int
    """The line as an editor numbers it: the header is line 1."""
    reason: str


@dataclass(frozen=True)
class AggregatesTable:
    """A user's aggregates file as read: its usable rows and the rows left out."""

    name: str
    sha256: str
    rows: pd.DataFrame
    """``fiscal_year`` (int), ``dimension``, ``category``, ``count`` (float), ``line`` (int)."""
    left_out: tuple[LeftOutRow, ...]


class _Unusable(TriageError):
    """Why one row of a user's table cannot be used (becomes a ``LeftOutRow``)."""


def aggregates_vocabulary(spec: Spec) -> dict[str, frozenset[str]]:
    """Dimension -> categories a table in the format may hold: the national file's and the spec's."""
    cal = spec.calibration
    vocabulary: dict[str, set[str]] = {}
    national = load_aggregates(spec)
    for dimension, category in zip(national["dimension"], national["category"], strict=True):
        vocabulary.setdefault(str(dimension), set()).add(str(category))
    alias_parts = [part for parts in _ROUTE_ALIASES.values() for part in parts]
    for dimension, categories in (
        ("total", ("all",)),
        ("abuse_type", ABUSE_TYPES),
        ("psychological_subtype", (cal.dv_witness_category,)),
        ("route", (*cal.route_map.values(), *_ROUTE_ALIASES, *alias_parts)),
        ("age_band", tuple(cal.age_bands)),
    ):
        vocabulary.setdefault(dimension, set()).update(categories)
    return {d: frozenset(c) for d, c in vocabulary.items()}


def read_aggregates_table(
    path: str | Path, vocabulary: Mapping[str, frozenset[str]]
) -> AggregatesTable:
    """A user's table in the format of ``published_aggregates.csv``, row by row.

    A row that cannot be used (a dimension or category not in ``vocabulary``, a
    count that is not a non-negative number, a fiscal year that is not a year, a
    repeat of an earlier row's year, dimension and category, a malformed or
    over-long line) is left out and named. A file that cannot be read, has
    another header or leaves no usable row is a ``CalibrationError``. The file is
    read line by line (a line is one row: quoted fields cannot span lines), so a
    hostile one costs no more memory than ``MAX_LINE_BYTES`` a line.
    """
    path = Path(path)
    if not path.is_file():
        what = "not a regular file" if path.exists() else "no such file"
        raise CalibrationError(f"cannot read {path}: {what}", param="aggregates")
    digest = hashlib.sha256()
    columns: dict[str, int] | None = None
    rows: list[tuple[int, str, str, float, int]] = []
    left_out: list[LeftOutRow] = []
    first_seen: dict[tuple[int, str, str], int] = {}
    try:
        with path.open("rb") as fh:
            for number, text in _numbered_lines(fh, digest, path):
                if columns is None:
                    columns = _columns(path, text)
                    continue
                try:
                    row = _parse_row(text, columns, vocabulary)
                except _Unusable as unusable:
                    left_out.append(LeftOutRow(number, str(unusable)))
                    continue
                if row is None:  # a line with no values (blank, or only separators)
                    continue
                year, dimension, category, count = row
                key = (year, dimension, category)
                if key in first_seen:
                    left_out.append(
                        LeftOutRow(
                            number,
                            f"repeats FY{year} {dimension}/{category} of line {first_seen[key]}",
                        )
                    )
                    continue
                first_seen[key] = number
                rows.append((year, dimension, category, count, number))
    except OSError as exc:
        raise CalibrationError(
            f"cannot read {path}: {exc.strerror or exc}", param="aggregates"
        ) from None
    if columns is None:
        raise CalibrationError(
            f"{path}: line 1: {_EXPECTED_HEADER}; the file is empty", param="aggregates"
        )
    if not rows:
        detail = (
            f"every row left out ({len(left_out):,}), the first on line {left_out[0].line}: "
            f"{left_out[0].reason}"
            if left_out
            else "nothing below the header"
        )
        raise CalibrationError(f"{path}: no usable rows: {detail}", param="aggregates")
    frame = pd.DataFrame(rows, columns=["fiscal_year", "dimension", "category", "count", "line"])
    return AggregatesTable(path.name, digest.hexdigest(), frame, tuple(left_out))


_EXPECTED_HEADER = f"expected the header {','.join(HEADER)} (source may be left out)"


def _numbered_lines(
    fh: BinaryIO, digest: hashlib._Hash, path: Path
) -> Iterator[tuple[int, str | None]]:
    """Each line as text without its line end, numbered from 1; None for one over
    ``MAX_LINE_BYTES``, which is read through in blocks and never held whole."""
    number = 0
    while raw := fh.readline(MAX_LINE_BYTES + 1):
        number += 1
        if number > MAX_LINES:
            raise CalibrationError(
                f"{path}: more than {MAX_LINES:,} lines; expected an aggregates table "
                "(the national one has a few hundred)",
                param="aggregates",
            )
        digest.update(raw)
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = fh.readline(1 << 20)
                digest.update(raw)
            yield number, None
            continue
        text = raw.rstrip(b"\r\n").decode("utf-8", "surrogateescape")
        yield number, text.removeprefix("\ufeff") if number == 1 else text


def _columns(path: Path, text: str | None) -> dict[str, int]:
    """Column name -> position, from the header line."""
    if text is None:
        got = f"a line over {MAX_LINE_BYTES:,} bytes"
    else:
        try:
            names = [name.strip() for name in next(csv.reader([text], strict=True))]
        except (csv.Error, StopIteration):
            names = None
        if names is None:
            got = "a line that is not well-formed CSV"
        elif set(_REQUIRED) <= set(names) <= set(HEADER) and len(set(names)) == len(names):
            return {name: i for i, name in enumerate(names)}
        else:
            got = _header_problems(names)
    raise CalibrationError(f"{path}: line 1: {_EXPECTED_HEADER}, got {got}", param="aggregates")


def _header_problems(names: list[str]) -> str:
    """What is wrong with a header, its odd names shown only when plain (the first line of
    a file without a header is a row, whose cells are not to be echoed)."""
    problems = []
    if missing := [name for name in _REQUIRED if name not in names]:
        problems.append(f"no {', '.join(missing)}")
    if unknown := [name for name in names if name not in HEADER]:
        shown = ", ".join(quoted_key(name) for name in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        problems.append(f"column{'s' if len(unknown) > 1 else ''} {shown}{more}")
    if len(set(names)) < len(names):
        problems.append("a column named twice")
    return "; ".join(problems)


def _parse_row(
    text: str | None, columns: Mapping[str, int], vocabulary: Mapping[str, frozenset[str]]
) -> tuple[int, str, str, float] | None:
    """``(fiscal_year, dimension, category, count)``; None for a line with no values."""
    if text is None:
        raise _Unusable(f"longer than {MAX_LINE_BYTES:,} bytes")
    try:
        fields = next(csv.reader([text], strict=True), [])
    except csv.Error as exc:
        raise _Unusable(f"not a well-formed CSV line ({exc})") from None
    if not any(field.strip() for field in fields):
        return None
    if len(fields) != len(columns):
        raise _Unusable(f"expected {len(columns)} fields as in the header, got {len(fields)}")
    value = {name: fields[columns[name]].strip() for name in _REQUIRED}
    for name in _REQUIRED:
        if _UNDECODABLE.search(value[name]):
            raise _Unusable(f"{name}: expected UTF-8 text, got bytes that are not")
    year_text, dimension, category, count_text = (value[name] for name in _REQUIRED)
    if not (_DIGITS.fullmatch(year_text) and int(year_text) in _YEARS):
        got = (
            f"a year outside {_YEARS.start}-{_YEARS.stop - 1}"
            if _DIGITS.fullmatch(year_text)
            else _describe(year_text)
        )
        raise _Unusable(f"fiscal_year: expected a year such as 2023, got {got}")
    if dimension not in vocabulary:
        raise _Unusable(
            f"dimension: expected one of {', '.join(sorted(vocabulary))}, "
            f"got {_describe(dimension)}"
        )
    if category not in vocabulary[dimension]:
        raise _Unusable(
            f"category: expected one of {dimension}'s {', '.join(sorted(vocabulary[dimension]))}, "
            f"got {_describe(category)}"
        )
    count = float(count_text) if _COUNT.fullmatch(count_text) else math.nan
    if not math.isfinite(count):
        raise _Unusable(f"count: expected a non-negative number, got {_describe_count(count_text)}")
    return int(year_text), dimension, category, count


def _describe(text: str) -> str:
    """What a refused cell is, never what it says: a cell in the wrong place can be a name."""
    return describe_kind(text, STR)


def _describe_count(text: str) -> str:
    try:
        number = float(text)
    except ValueError:
        return _describe(text)
    if not math.isfinite(number):
        return "a number that is not finite"
    if number < 0:
        return "a negative number"
    return "a number not written in plain digits (such as 1e5 or +5)"


def user_aggregates(spec: Spec) -> AggregatesTable | None:
    """``read_aggregates_table`` of ``Spec.user_aggregates`` (None without one), kept per
    process for a given spec and file (by size and modification time)."""
    if not spec.user_aggregates:
        return None
    key = (spec.model_dump_json(), _file_key(Path(spec.user_aggregates)))
    if key not in _USER_TABLES:
        _USER_TABLES[key] = read_aggregates_table(spec.user_aggregates, aggregates_vocabulary(spec))
    return _USER_TABLES[key]


_USER_TABLES: dict[tuple, AggregatesTable] = {}


def _file_key(path: Path) -> tuple[str, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return str(path), stat.st_size, stat.st_mtime_ns


# --- the margins ----------------------------------------------------------------------------


def _latest(
    figs: _Figures,
    dimension: str,
    fiscal_year: int,
    needed: tuple[str, ...] = (),
    *,
    with_total: bool = False,
) -> int:
    agg = figs.rows
    rows = agg[(agg.dimension == dimension) & (agg.fiscal_year <= fiscal_year)]
    totals = {
        int(y) for y in agg.loc[(agg.dimension == "total") & (agg.category == "all"), "fiscal_year"]
    }
    for year in sorted(rows.fiscal_year.unique(), reverse=True):
        if with_total and int(year) not in totals:
            continue
        have = set(rows.loc[rows.fiscal_year == year, "category"])
        if all(
            c in have or set(_ROUTE_ALIASES.get(c, ())) <= have and c in _ROUTE_ALIASES
            for c in needed
        ):
            return int(year)
    raise _Unpublished(
        f"{figs.name} has no '{dimension}' figures"
        + (f" for {', '.join(needed)}" if needed else "")
        + (" with total/all" if with_total else "")
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


def _total(figs: _Figures, year: int, within: str, part: float) -> float:
    """total/all of ``year``, checked to be positive and to hold ``part`` (the ``within`` rows)."""
    total = _count(figs.rows, "total", year, "all")
    if total <= 0:
        raise CalibrationError(
            f"{figs.name}: total/all FY{year} is {total:g}; expected a count above 0"
        )
    if part > total:
        raise CalibrationError(
            f"{figs.name}: {within} FY{year} come to {part:,.0f}, more than total/all {total:,.0f}"
        )
    return total


def _main_type(figs: _Figures, cal: Calibration, fy: int) -> Target:
    year = _latest(figs, "abuse_type", fy, ABUSE_TYPES)
    counts = {t: _count(figs.rows, "abuse_type", year, t) for t in ABUSE_TYPES}
    if sum(counts.values()) <= 0:
        raise CalibrationError(f"{figs.name}: abuse_type FY{year}: every count is 0")
    return Target("main_type", _normalise(counts), year, f"{figs.name}: abuse_type FY{year}")


def _notice_kind(figs: _Figures, cal: Calibration, fy: int) -> Target:
    category = cal.dv_witness_category
    year = _latest(figs, "psychological_subtype", fy, (category,), with_total=True)
    witnessed = _count(figs.rows, "psychological_subtype", year, category)
    dv = witnessed / _total(figs, year, f"psychological_subtype/{category}", witnessed)
    return Target(
        "notice_kind",
        {"general": 1 - dv, "dv_witness": dv},
        year,
        f"{figs.name}: psychological_subtype/{category} over total FY{year}",
    )


def _route(figs: _Figures, cal: Calibration, fy: int) -> Target:
    year = _latest(figs, "route", fy, tuple(cal.route_map.values()), with_total=True)
    route_counts = {r: _count(figs.rows, "route", year, c) for r, c in cal.route_map.items()}
    listed = sum(route_counts.values())
    total = _total(figs, year, f"route {', '.join(cal.route_map.values())}", listed)
    remainder = total - sum(route_counts.values())
    weights = cal.remainder_weights
    for r, w in weights.items():
        route_counts[r] = remainder * w / sum(weights.values())
    return Target(
        "route",
        _normalise(route_counts),
        year,
        f"{figs.name}: route FY{year}; unlisted routes share the remainder by spec weights",
    )


def _age_band(figs: _Figures, cal: Calibration, fy: int) -> Target:
    listed_bands = tuple(cal.age_bands)[:-1]
    year = _latest(figs, "age_band", fy, listed_bands, with_total=True)
    band_counts = {b: _count(figs.rows, "age_band", year, b) for b in listed_bands}
    listed = sum(band_counts.values())
    total = _total(figs, year, f"age_band {', '.join(listed_bands)}", listed)
    band_counts[tuple(cal.age_bands)[-1]] = total - sum(band_counts.values())
    return Target(
        "age_band",
        _normalise(band_counts),
        year,
        f"{figs.name}: age_band FY{year}; last band = total minus the others",
    )


def published_targets(spec: Spec, fiscal_year: int | None = None) -> dict[str, Target]:
    """The margins the generator is fitted to, as shares per contract category.

    From ``Spec.user_aggregates`` first when the spec has one, else (and for each
    margin that table lacks) from the national figures; see the module's docstring.
    Kept per process for a given spec, year and aggregates files (by size and
    modification time): the truth check calls the generator a hundred times.
    """
    fy = fiscal_year if fiscal_year is not None else spec.calibration.fiscal_year
    path = aggregates_path(spec)
    stat = path.stat() if path.exists() else None
    key = (
        spec.model_dump_json(),
        fy,
        str(path),
        stat and (stat.st_size, stat.st_mtime_ns),
        spec.user_aggregates and _file_key(Path(spec.user_aggregates)),
    )
    if key not in _TARGETS:
        _TARGETS[key] = _published_targets(spec, fy)
    return dict(_TARGETS[key])


_TARGETS: dict[tuple, dict[str, Target]] = {}

_Margin = Callable[[_Figures, Calibration, int], Target]


def _published_targets(spec: Spec, fy: int) -> dict[str, Target]:
    cal = spec.calibration
    national = _Figures(load_aggregates(spec), aggregates_path(spec).name)
    table = user_aggregates(spec)
    if table is None:
        main_type = _main_type(national, cal, fy)
        notice_kind = _notice_kind(national, cal, fy)
        route = _route(national, cal, fy)
        age = _age_band(national, cal, fy)
        return {t.dimension: t for t in (notice_kind, main_type, route, age)}
    user = _Figures(table.rows, table.name)
    main_type = _user_or_national(_main_type, user, national, cal, fy)
    route = _user_or_national(_route, user, national, cal, fy)
    age = _user_or_national(_age_band, user, national, cal, fy)
    try:
        notice_kind = _notice_kind(user, cal, fy)
    except _Unpublished as missing:
        notice_kind = _dv_scaled_to_routes(spec, national, fy, route, str(missing))
    if main_type.fallback and route.fallback and age.fallback:
        raise CalibrationError(
            f"{user.name} has no margin to calibrate to at or before FY{fy}: expected "
            "abuse_type, route or age_band rows (route and age_band with total/all)",
            param="aggregates",
        )
    return {t.dimension: t for t in (notice_kind, main_type, route, age)}


def _user_or_national(
    margin: _Margin, user: _Figures, national: _Figures, cal: Calibration, fy: int
) -> Target:
    try:
        return margin(user, cal, fy)
    except _Unpublished as missing:
        target = margin(national, cal, fy)
        return replace(
            target, source=f"{target.source} (national; {missing})", fallback=str(missing)
        )


def _dv_scaled_to_routes(
    spec: Spec, national: _Figures, fy: int, route: Target, missing: str
) -> Target:
    """The national DV-witness share times ``route``'s share of the routes DV-witness notices
    come by over the national share of those routes (the same year's), so that it fits
    inside them: a table with fewer police notices than the nation has fewer DV witnesses."""
    nation = _notice_kind(national, spec.calibration, fy)
    nation_routes = _route(national, spec.calibration, nation.fiscal_year)
    routes = dv_witness_routes(spec)
    here = sum(route.shares[r] for r in routes)
    there = sum(nation_routes.shares[r] for r in routes)
    dv = nation.shares["dv_witness"] * (here / there if there > 0 else 1.0)
    scaling = (
        f"times the route target's share of {'/'.join(routes)} ({here:.1%}) over the "
        f"national FY{nation_routes.fiscal_year} one ({there:.1%})"
    )
    return Target(
        "notice_kind",
        {"general": 1 - dv, "dv_witness": dv},
        nation.fiscal_year,
        f"{nation.source}, {scaling} (national; {missing})",
        fallback=f"{missing}; the national DV-witness share, {scaling}",
    )


def dv_witness_routes(spec: Spec) -> tuple[str, ...]:
    """The routes a DV-witness notice can come by: those the associations leave a weight."""
    levels = context_levels(spec)
    seed = seed_table(spec)[levels["notice_kind"].index("dv_witness")]
    open_routes = seed.sum(axis=(0, 2)) > 0  # axes: main_type, route, age_band
    return tuple(r for r, is_open in zip(levels["route"], open_routes, strict=True) if is_open)


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
        f"raking did not reach the published margins (worst gap {worst:.2e}{_worst_margin(table, margins, levels, targets)}); "
        "check calibration.associations for structural zeros that make them impossible "
        "(e.g. more DV-witness notices than police or psychological ones)"
    )


def _worst_margin(
    table: np.ndarray,
    margins: list[np.ndarray],
    levels: dict[str, tuple[str, ...]],
    targets: dict[str, Target],
) -> str:
    """``: route police 30.0% for 51.7% (source)``, the margin furthest from its target."""
    gaps = []
    for axis, (dim, target) in enumerate(zip(CONTEXT_DIMS, margins, strict=True)):
        current = table.sum(axis=tuple(i for i in range(table.ndim) if i != axis))
        i = int(np.abs(current - target).argmax())
        gaps.append((abs(current[i] - target[i]), dim, levels[dim][i], current[i], target[i]))
    _, dim, level, current, target = max(gaps)
    return f": {dim} {level} {current:.1%} for {target:.1%} from {targets[dim].source}"


def cell_labels(spec: Spec) -> list[tuple[str, ...]]:
    """The context cells in the flattened order of the fitted table."""
    levels = context_levels(spec)
    return list(itertools.product(*(levels[d] for d in CONTEXT_DIMS)))
