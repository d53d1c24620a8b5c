"""Attributes: what each notice field becomes in a release, its levels, and the way back.

An attribute is a discrete column with a fixed, ordered list of levels (all
str). Its name and levels follow from the notice contract and the release
spec's bins; only the months of ``received_month`` depend on the data.

- ``received_at`` → ``received_month``, ``"YYYY-MM"`` in Japan time: receipt
  is released no finer than the month.
- ``notice_id``, ``safety_confirmed_at`` and ``region_code`` are never
  attributes; the area is released as ``region_urbanity`` only.
- enum → its schema levels, plus ``unknown`` when the field may be absent or
  null and has no such level already (``child_sex`` has one of its own).
- boolean → ``yes``, ``no`` (and ``unknown`` when it may be absent or null).
- integer → bins labelled ``0-2``, ``3-5``, ``1`` (one value), ``6+`` (open:
  the last bin, when it is wider than every other), plus ``unknown`` when it
  may be absent.
- the ``dv_*`` fields (DV-witness only) also get ``not_applicable``, the level
  of every general notice, whatever the notice holds (as the features do).
- ``alleged_types`` → ``main_type`` (its first entry) and ``alleged_<type>``
  (yes/no, the main type included).
- outcomes: ``recorded_harm_90d`` (``"0"``, ``"1"``) and ``recorded_tier``.

:func:`to_records` discretises notices and their recorded outcomes;
:func:`to_notices` turns records (sampled from a model of released tables)
back into notices that satisfy the contract. Records a synthesizer makes may
combine levels no notice can: :func:`to_notices` repairs them, and says how.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from triage.aggregates.tables import Domain
from triage.contract import TIERS, InvalidParameter, load_schema, notice_fields
from triage.contract.columns import RECORDED_HARM, RECORDED_TIER
from triage.notices import (
    DATETIME_UNIT,
    TIMEZONE,
    enum_positions,
    is_missing,
    notice_dtypes,
    to_notice_frame,
)

if TYPE_CHECKING:
    from triage.aggregates.spec import ReleaseSpec

OUTCOMES: tuple[str, ...] = (RECORDED_HARM, RECORDED_TIER)
"""The recorded outcomes a release may carry, in the order they come last in a domain."""

MONTH = "received_month"
MAIN_TYPE = "main_type"
ALLEGED_PREFIX = "alleged_"

YES, NO = "yes", "no"
UNKNOWN = "unknown"
NOT_APPLICABLE = "not_applicable"
"""The level of a DV-witness-only attribute on a general notice."""

NEVER_RELEASED: tuple[str, ...] = ("notice_id", "safety_confirmed_at", "region_code")
"""Contract fields that never become attributes: an id, a time known only after
intake, and an area finer than urbanity."""

_MONTH_LEVEL = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
_BIN_LEVEL = re.compile(r"^([0-9]+)(?:-([0-9]+)|(\+))?$")
_ID_PREFIX = re.compile(r"^[A-Za-z0-9_-]{1,7}$")

AttributeKind = Literal["month", "enum", "boolean", "integer", "main_type", "alleged", "outcome"]


@dataclass(frozen=True)
class Attribute:
    """One attribute and the field it comes from."""

    name: str
    field: str
    kind: AttributeKind
    may_be_unknown: bool = False
    dv_only: bool = False


@cache
def alleged_types() -> tuple[str, ...]:
    """The abuse types of ``alleged_types``, in schema order."""
    return tuple(load_schema("notice")["properties"]["alleged_types"]["items"]["enum"])


@cache
def known_attributes() -> tuple[Attribute, ...]:
    """Every attribute a release can hold, in canonical order: contract order, outcomes last."""
    fields = notice_fields()
    out: list[Attribute] = []
    for field in fields.all:
        if field in NEVER_RELEASED:
            continue
        unknown = field not in fields.required or field in fields.nullable
        dv_only = field in fields.dv_only
        if field == "received_at":
            out.append(Attribute(MONTH, field, "month"))
        elif field == "alleged_types":
            out.append(Attribute(MAIN_TYPE, field, "main_type"))
            out += [Attribute(ALLEGED_PREFIX + t, field, "alleged") for t in alleged_types()]
        elif field in fields.enums:
            out.append(Attribute(field, field, "enum", unknown))
        elif field in fields.booleans:
            out.append(Attribute(field, field, "boolean", unknown, dv_only))
        elif field in fields.integers:
            out.append(Attribute(field, field, "integer", unknown, dv_only))
        else:
            raise NotImplementedError(
                f"notice field {field!r} has no attribute: add it to attributes.py "
                "or to NEVER_RELEASED"
            )
    out += [Attribute(name, name, "outcome") for name in OUTCOMES]
    return tuple(out)


@cache
def attributes_by_name() -> dict[str, Attribute]:
    return {a.name: a for a in known_attributes()}


def attribute_names() -> tuple[str, ...]:
    """The names of :func:`known_attributes`: the canonical order of every table's attributes."""
    return tuple(a.name for a in known_attributes())


def attributes_of_field(field: str) -> tuple[str, ...]:
    """The attributes a contract field becomes (none for ``notice_id`` and the like)."""
    return tuple(a.name for a in known_attributes() if a.field == field)


# --- levels -------------------------------------------------------------------------------


def bin_labels(edges: Sequence[int], maximum: int) -> tuple[str, ...]:
    """Labels of the bins starting at ``edges``, the last running to ``maximum``.

    ``[0, 3, 6]`` up to 8 → ``0-2``, ``3-5``, ``6-8``; a one-value bin is its
    value (``1``); the last bin is open (``6+``) when it is wider than every
    other, since a label such as ``6-99`` would promise values nobody sees.
    """
    highs = [e - 1 for e in edges[1:]] + [maximum]
    widths = [h - lo + 1 for lo, h in zip(edges, highs, strict=True)]
    labels = [str(lo) if lo == h else f"{lo}-{h}" for lo, h in zip(edges, highs, strict=True)]
    if len(edges) > 1 and widths[-1] > max(widths[:-1]):
        labels[-1] = f"{edges[-1]}+"
    return tuple(labels)


def attribute_levels(
    attribute: Attribute, bins: Mapping[str, Sequence[int]], months: Sequence[str]
) -> tuple[str, ...]:
    """The levels of one attribute, given the integer fields' bins and the months."""
    kind = attribute.kind
    if kind == "month":
        return tuple(months)
    if kind == "outcome":
        return ("0", "1") if attribute.name == RECORDED_HARM else TIERS
    if kind == "main_type":
        return alleged_types()
    if kind == "alleged":
        return (YES, NO)
    if kind == "enum":
        levels = notice_fields().enums[attribute.field]
        needs_unknown = attribute.may_be_unknown and UNKNOWN not in levels
        return (*levels, UNKNOWN) if needs_unknown else levels
    if kind == "boolean":
        levels = (YES, NO)
    else:
        if attribute.field not in bins:
            raise InvalidParameter(
                f"bins: no bins for {attribute.field} (left edges, e.g. [0, 1, 2, 3])",
                param="bins",
            )
        maximum = notice_fields().integers[attribute.field][1]
        levels = bin_labels(bins[attribute.field], maximum)
    if attribute.may_be_unknown:
        levels = (*levels, UNKNOWN)
    return (*levels, NOT_APPLICABLE) if attribute.dv_only else levels


def attribute_domain(
    spec: ReleaseSpec, *, months: Sequence[str], include_outcomes: bool = True
) -> dict[str, tuple[str, ...]]:
    """Every attribute of the spec and its levels, in canonical order (outcomes last).

    ``months``: the levels of ``received_month``, ``"YYYY-MM"``, strictly
    increasing (:func:`months_spanned` gives a data set's). Without
    ``include_outcomes`` the domain has no outcome attributes.
    """
    months = tuple(months)
    _check_months(months)
    by_name = attributes_by_name()
    domain: dict[str, tuple[str, ...]] = {}
    for name in spec.attribute_names():
        attribute = by_name[name]
        if attribute.kind == "outcome" and not include_outcomes:
            continue
        domain[name] = attribute_levels(attribute, spec.bins, months)
    return domain


def months_spanned(received_at: pd.Series) -> tuple[str, ...]:
    """Every month from the first receipt to the last, in Japan time, as ``"YYYY-MM"``."""
    local = _local(received_at)
    if local.isna().all():
        raise InvalidParameter(
            "received_at: no receipt times, so no months for received_month", param="notices"
        )
    first, last = local.min(), local.max()
    periods = pd.period_range(first.strftime("%Y-%m"), last.strftime("%Y-%m"), freq="M")
    return tuple(periods.strftime("%Y-%m"))


def _check_months(months: tuple[str, ...]) -> None:
    for i, month in enumerate(months):
        if not _MONTH_LEVEL.match(month):
            raise InvalidParameter(f"months.{i}: expected YYYY-MM, got {month!r}", param="months")
        if i and month <= months[i - 1]:
            raise InvalidParameter(
                f"months.{i}: {month} does not follow {months[i - 1]}; expected strictly "
                "increasing months",
                param="months",
            )


def _local(received_at: pd.Series) -> pd.Series:
    return received_at.dt.tz_convert(TIMEZONE)


# --- notices → records --------------------------------------------------------------------


def to_records(
    notices: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    spec: ReleaseSpec,
    *,
    months: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, Domain]:
    """Discretise notices (a valid notice frame) and their recorded outcomes into records.

    ``outcomes``: ``notice_id`` and the spec's outcome columns, matched to the
    notices by ``notice_id`` (every notice needs its outcomes); ``None`` gives
    records and a domain without outcome attributes. ``months``: the levels of
    ``received_month``; by default every month from the first notice to the
    last. Returns one categorical column per attribute (no ``notice_id``), in
    the domain's order, and the domain.
    """
    frame = to_notice_frame(notices).reset_index(drop=True)
    if months is None:
        months = months_spanned(frame["received_at"]) if MONTH in spec.attribute_names() else ()
    domain = attribute_domain(spec, months=months, include_outcomes=outcomes is not None)
    is_dv = (frame["notice_kind"] == "dv_witness").to_numpy(dtype=bool, na_value=False)
    by_name = attributes_by_name()
    aligned = None if outcomes is None else _aligned_outcomes(outcomes, frame["notice_id"], domain)
    alleged_codes: dict[str, np.ndarray] = {}
    columns: dict[str, pd.Categorical] = {}
    for name, levels in domain.items():
        attribute = by_name[name]
        kind = attribute.kind
        if kind == "month":
            codes = _month_codes(frame["received_at"], levels, frame["notice_id"])
        elif kind in ("main_type", "alleged"):
            if not alleged_codes:
                alleged_codes = _alleged_codes(frame["alleged_types"])
            codes = alleged_codes[name]
        elif kind == "outcome":
            assert aligned is not None  # outcome attributes only when outcomes are given
            codes = aligned[name]
        elif kind == "enum":
            codes = _enum_codes(frame[attribute.field], levels)
        elif kind == "boolean":
            codes = _boolean_codes(frame[attribute.field], levels)
        else:
            codes = _integer_codes(frame[attribute.field], levels, spec.bins[attribute.field])
        if attribute.dv_only:
            codes = np.where(is_dv, codes, levels.index(NOT_APPLICABLE))
        columns[name] = pd.Categorical.from_codes(codes, dtype=_category(levels))
    return pd.DataFrame(columns, index=pd.RangeIndex(len(frame))), domain


def _category(levels: tuple[str, ...]) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(pd.Index(list(levels), dtype=object), ordered=False)


def _month_codes(
    received_at: pd.Series, months: tuple[str, ...], notice_ids: pd.Series
) -> np.ndarray:
    local = _local(received_at)
    number = (local.dt.year * 12 + local.dt.month - 1).to_numpy(dtype=np.int64)
    level_numbers = np.array([int(m[:4]) * 12 + int(m[5:]) - 1 for m in months], dtype=np.int64)
    codes = np.searchsorted(level_numbers, number)
    inside = codes < len(months)
    inside[inside] = level_numbers[codes[inside]] == number[inside]
    if not inside.all():
        first = int(np.flatnonzero(~inside)[0])
        raise InvalidParameter(
            f"months: notice {notice_ids.iloc[first]!r} was received in "
            f"{local.iloc[first].strftime('%Y-%m')}, "
            f"not among the months {months[0] if months else '-'}..{months[-1] if months else '-'}",
            param="months",
        )
    return codes


def _enum_codes(column: pd.Series, levels: tuple[str, ...]) -> np.ndarray:
    # A notice frame's categories are the schema's, in order: the first levels.
    codes = column.cat.codes.to_numpy().astype(np.int64)
    missing = codes < 0
    if missing.any():
        codes[missing] = levels.index(UNKNOWN)
    return codes


def _boolean_codes(column: pd.Series, levels: tuple[str, ...]) -> np.ndarray:
    true = column.to_numpy(dtype=bool, na_value=False)
    codes = np.where(true, levels.index(YES), levels.index(NO))
    missing = column.isna().to_numpy()
    if missing.any():
        codes[missing] = levels.index(UNKNOWN)
    return codes


def _integer_codes(column: pd.Series, levels: tuple[str, ...], edges: Sequence[int]) -> np.ndarray:
    values = column.to_numpy(dtype=np.int64, na_value=edges[0])
    codes = np.searchsorted(np.asarray(edges), values, side="right") - 1
    missing = column.isna().to_numpy()
    if missing.any():
        codes[missing] = levels.index(UNKNOWN)
    return codes


def _alleged_codes(column: pd.Series) -> dict[str, np.ndarray]:
    # Few distinct combinations of types: work out each once.
    per_row, combinations = pd.factorize(column.to_numpy(dtype=object))
    types = alleged_types()
    main = np.array([types.index(c[0]) for c in combinations], dtype=np.int64)
    out = {MAIN_TYPE: main[per_row]}
    for t in types:
        alleged = np.array([0 if t in c else 1 for c in combinations], dtype=np.int64)
        out[ALLEGED_PREFIX + t] = alleged[per_row]  # 0 = yes, 1 = no
    return out


def _aligned_outcomes(
    outcomes: pd.DataFrame, notice_ids: pd.Series, domain: Domain
) -> dict[str, np.ndarray]:
    """The level codes of each outcome attribute of the domain, in the notices' order."""
    wanted = [name for name in domain if attributes_by_name()[name].kind == "outcome"]
    for name in ("notice_id", *wanted):
        if name not in outcomes.columns:
            raise InvalidParameter(
                f"outcomes: no column {name} (the release spec lists {', '.join(wanted)})",
                param="outcomes",
            )
    ids = outcomes["notice_id"]
    repeated = ids.duplicated()
    if repeated.any():
        raise InvalidParameter(
            f"outcomes: notice_id {ids[repeated].iloc[0]!r} appears more than once",
            param="outcomes",
        )
    position = pd.Index(ids.to_numpy(dtype=object)).get_indexer(notice_ids.to_numpy(dtype=object))
    if (position < 0).any():
        absent = int((position < 0).sum())
        first = notice_ids.iloc[int(np.flatnonzero(position < 0)[0])]
        raise InvalidParameter(
            f"outcomes: notice {first!r} has no outcomes ({absent} notice(s) without)",
            param="outcomes",
        )
    out: dict[str, np.ndarray] = {}
    for name in wanted:
        values = outcomes[name].iloc[position].reset_index(drop=True)
        levels = domain[name]
        if name == RECORDED_HARM:
            codes = _harm_codes(values)
        else:
            codes = enum_positions(values.to_numpy(dtype=object), levels)
        bad = np.flatnonzero(codes < 0)
        if len(bad):
            raise InvalidParameter(
                f"outcomes: {name} of notice {notice_ids.iloc[int(bad[0])]!r} is "
                f"{_shown(values.iloc[int(bad[0])])}; expected one of {', '.join(levels)} "
                f"({len(bad)} notice(s) so)",
                param="outcomes",
            )
        out[name] = codes.astype(np.int64)
    return out


def _shown(value: object) -> str:
    if is_missing(value):
        return "missing"
    return repr(value.item() if isinstance(value, np.generic) else value)


def _harm_codes(values: pd.Series) -> np.ndarray:
    """0 and 1 (as numbers, booleans or text: files differ) → their codes; -1 for anything else."""
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.astype("Float64")
    else:
        numbers = pd.to_numeric(values.astype(object), errors="coerce").astype("Float64")
    numbers = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(numbers == 0, 0, np.where(numbers == 1, 1, -1))


# --- records → notices --------------------------------------------------------------------


@cache
def required_attributes() -> tuple[str, ...]:
    """The attributes every notice needs: one per required field (``main_type`` for ``alleged_types``)."""
    required = notice_fields().required
    return tuple(a.name for a in known_attributes() if a.field in required and a.kind != "alleged")


def to_notices(
    records: pd.DataFrame, domain: Domain, *, seed: int, id_prefix: str = "AG"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Notices (a notice frame that satisfies the contract) and their outcomes, from records.

    ``records``: one column per attribute of ``domain``, categorical or str,
    each value one of its levels. The rows become notices in order, numbered
    ``<id_prefix>-0000001`` on. Within its level a value is drawn uniformly: an integer within its bin (an open
    bin ``6+`` as if it were as wide as the bin before it), ``received_at``
    to the minute within its month (Japan time). ``unknown`` becomes null (or
    absent); ``region_code`` is ``<id_prefix>-<urbanity>``, absent when the
    urbanity is unknown; ``safety_confirmed_at`` is absent.

    Repairs, for combinations a synthesizer can draw but no notice holds:
    ``notice_kind`` wins, so a general notice has no ``dv_*`` value whatever
    the record says and a DV-witness notice's ``not_applicable`` is unknown;
    ``main_type`` wins, so it is always the first alleged type even when its
    ``alleged_<type>`` says no. The outcomes frame has ``notice_id`` and the
    records' outcome attributes (``recorded_harm_90d`` as int 0/1,
    ``recorded_tier`` categorical). The same records, domain and seed give
    the same notices.
    """
    if not _ID_PREFIX.match(id_prefix):
        raise InvalidParameter(
            f"id_prefix: expected 1-7 letters, digits, '_' or '-', got {id_prefix!r}",
            param="id_prefix",
        )
    domain = {name: tuple(levels) for name, levels in domain.items()}  # read from JSON: lists
    by_name = attributes_by_name()
    for name in domain:
        if name not in by_name:
            raise InvalidParameter(
                f"domain: {name!r} is not an attribute of a release", param="domain"
            )
        if name not in records.columns:
            raise InvalidParameter(
                f"records: no column {name} (it is in the domain)", param="records"
            )
    for name in records.columns:
        if name not in domain:
            raise InvalidParameter(
                f"records: column {name!r} is not an attribute of the domain", param="records"
            )
    for name in required_attributes():
        if name not in domain:
            raise InvalidParameter(
                f"domain: no attribute {name}; every notice needs one "
                f"({by_name[name].field} is a required field)",
                param="domain",
            )
    _check_months(domain[MONTH])
    n = len(records)
    codes = {name: _record_codes(records[name], levels, name) for name, levels in domain.items()}
    is_dv = codes["notice_kind"] == domain["notice_kind"].index("dv_witness")
    rng = np.random.default_rng(seed)
    dtypes = notice_dtypes()
    fields = notice_fields()
    columns: dict[str, pd.Series] = {
        "notice_id": _notice_ids(id_prefix, n),
        "received_at": _received_at(domain[MONTH], codes[MONTH], rng),
        "safety_confirmed_at": pd.Series(pd.NaT, index=range(n), dtype=dtypes["received_at"]),
        "region_code": _region_codes(id_prefix, domain, codes, n),
        "alleged_types": _alleged_types(domain, codes),
    }
    for name, levels in domain.items():
        attribute = by_name[name]
        kind, field = attribute.kind, attribute.field
        if kind == "enum":
            columns[field] = _enum_values(codes[name], levels, fields.enums[field])
        elif kind == "boolean":
            columns[field] = _boolean_values(codes[name], levels)
        elif kind == "integer":
            columns[field] = _integer_values(codes[name], levels, rng)
        else:
            continue
        if attribute.dv_only:  # notice_kind wins: a general notice has no DV details
            columns[field] = columns[field].mask(~is_dv)
    frame = to_notice_frame(pd.DataFrame({f: columns[f] for f in fields.all if f in columns}))
    return frame, _outcomes(domain, codes, columns["notice_id"])


def _record_codes(column: pd.Series, levels: tuple[str, ...], name: str) -> np.ndarray:
    if isinstance(column.dtype, pd.CategoricalDtype) and tuple(column.cat.categories) == levels:
        codes = column.cat.codes.to_numpy()
    else:
        codes = enum_positions(column.to_numpy(dtype=object), levels)
    bad = np.flatnonzero(codes < 0)
    if len(bad):
        raise InvalidParameter(
            f"records: {name} of row {int(bad[0])} is {_shown(column.iloc[int(bad[0])])}; "
            f"expected one of {', '.join(levels)}",
            param="records",
        )
    return codes.astype(np.int64)


def _notice_ids(prefix: str, n: int) -> pd.Series:
    digits = max(7, len(str(n)))
    numbers = np.char.zfill(np.arange(1, n + 1).astype(str), digits)
    return pd.Series(np.char.add(f"{prefix}-", numbers), dtype=object)


def _received_at(months: tuple[str, ...], codes: np.ndarray, rng: np.random.Generator) -> pd.Series:
    month = np.array(months, dtype="datetime64[M]")
    starts = month.astype("datetime64[m]")
    minutes = ((month + 1).astype("datetime64[m]") - starts).astype(np.int64)
    offset = np.floor(rng.random(len(codes)) * minutes[codes]).astype(np.int64)
    local = starts[codes] + offset.astype("timedelta64[m]")
    # Japan keeps no daylight saving: every local minute is one instant.
    times = pd.DatetimeIndex(local.astype(f"datetime64[{DATETIME_UNIT}]")).tz_localize(TIMEZONE)
    return pd.Series(times)


def _region_codes(
    prefix: str, domain: Domain, codes: Mapping[str, np.ndarray], n: int
) -> pd.Series:
    if "region_urbanity" not in domain:
        return pd.Series([None] * n, dtype=object)
    names = np.array(
        [None if level == UNKNOWN else f"{prefix}-{level}" for level in domain["region_urbanity"]],
        dtype=object,
    )
    return pd.Series(names[codes["region_urbanity"]], dtype=object)


def _alleged_types(domain: Domain, codes: Mapping[str, np.ndarray]) -> pd.Series:
    types = alleged_types()
    main = codes[MAIN_TYPE]
    others = np.zeros(len(main), dtype=np.int64)
    for i, t in enumerate(types):
        name = ALLEGED_PREFIX + t
        if name in domain:
            others |= (codes[name] == domain[name].index(YES)).astype(np.int64) << i
    # One tuple object per (main type, others) combination, shared by every notice that has it.
    table = np.empty((len(types), 1 << len(types)), dtype=object)
    for m, first in enumerate(types):
        for mask in range(1 << len(types)):
            rest = tuple(t for i, t in enumerate(types) if mask >> i & 1 and i != m)
            table[m, mask] = (first, *rest)
    return pd.Series(table[main, others], dtype=object)


def _enum_values(
    codes: np.ndarray, levels: tuple[str, ...], categories: tuple[str, ...]
) -> pd.Series:
    # A level that is not a schema value (the added "unknown") becomes null.
    lookup = np.array([categories.index(lv) if lv in categories else -1 for lv in levels])
    dtype = pd.CategoricalDtype(list(categories), ordered=False)
    return pd.Series(pd.Categorical.from_codes(lookup[codes], dtype=dtype))


def _boolean_values(codes: np.ndarray, levels: tuple[str, ...]) -> pd.Series:
    values = codes == levels.index(YES)
    known = values | (codes == levels.index(NO))
    return pd.Series(pd.arrays.BooleanArray(values, ~known))


def _integer_values(
    codes: np.ndarray, levels: tuple[str, ...], rng: np.random.Generator
) -> pd.Series:
    low, high = bin_ranges(levels)
    u = rng.random(len(codes))
    known = low[codes] >= 0
    values = low[codes] + np.floor(u * (high[codes] - low[codes] + 1)).astype(np.int64)
    return pd.Series(pd.arrays.IntegerArray(np.where(known, values, 0), ~known))


def bin_ranges(levels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The lowest and highest value each level of an integer attribute stands for (-1: none).

    ``unknown`` and ``not_applicable`` stand for no value; an open bin ``6+``
    for as many values as the bin before it (``3-5`` → 6..8), one value when
    it is the only bin.
    """
    low = np.full(len(levels), -1, dtype=np.int64)
    high = np.full(len(levels), -1, dtype=np.int64)
    width = 1
    for i, level in enumerate(levels):
        if level in (UNKNOWN, NOT_APPLICABLE):
            continue
        m = _BIN_LEVEL.match(level)
        if m is None:
            raise InvalidParameter(
                f"domain: bin {level!r} is not a bin label such as 0-2, 1 or 6+", param="domain"
            )
        lo = int(m[1])
        hi = int(m[2]) if m[2] else lo + width - 1 if m[3] else lo
        low[i], high[i], width = lo, hi, hi - lo + 1
    return low, high


def _outcomes(
    domain: Domain, codes: Mapping[str, np.ndarray], notice_ids: pd.Series
) -> pd.DataFrame:
    out: dict[str, object] = {"notice_id": notice_ids}
    if RECORDED_HARM in domain:
        harm_levels = np.array([int(level) for level in domain[RECORDED_HARM]], dtype=np.int64)
        out[RECORDED_HARM] = harm_levels[codes[RECORDED_HARM]]
    if RECORDED_TIER in domain:
        lookup = np.array([TIERS.index(level) for level in domain[RECORDED_TIER]])
        out[RECORDED_TIER] = pd.Categorical.from_codes(
            lookup[codes[RECORDED_TIER]], dtype=pd.CategoricalDtype(TIERS)
        )
    return pd.DataFrame(out)
