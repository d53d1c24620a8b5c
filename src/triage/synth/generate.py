"""Draw synthetic intake notices and their ground truth from a spec.

The causal order is the spec's: context (calibrated jointly to the published
margins) → caregiver and household factors → case history → latent severity
→ incident features and what is known at intake → outcomes → what a record
would hold. Every draw comes from a seeded generator in a fixed order (one
generator per chunk of ``CHUNK`` notices, the chunks drawn side by side), so
the same spec and seed give the same notices, bit for bit, on any machine.
"""

from __future__ import annotations

import datetime as dt
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from triage.contract import ABUSE_TYPES, TIERS, notice_fields
from triage.contract.columns import (
    LATENT_SEVERITY,
    P_HARM,
    RECORDED_DV_ROUTE,
    RECORDED_HARM,
    RECORDED_TIER,
    TRUE_DV_ROUTE,
    TRUE_HARM,
    TRUE_TIER,
)
from triage.synth.calibrate import (
    CONTEXT_DIMS,
    Target,
    cell_labels,
    context_levels,
    context_table,
    published_targets,
)
from triage.synth.spec import (
    BernoulliNode,
    CategoricalNode,
    NormalNode,
    OrdinalNode,
    PoissonNode,
    Spec,
)
from triage.synth.terms import linear, logit, sigmoid

TZ = "Asia/Tokyo"
JST = dt.timezone(dt.timedelta(hours=9))
TRUTH_COLUMNS = (
    "notice_id",
    P_HARM,
    TRUE_HARM,
    TRUE_TIER,
    TRUE_DV_ROUTE,
    RECORDED_HARM,
    RECORDED_TIER,
    RECORDED_DV_ROUTE,
    LATENT_SEVERITY,
)


@dataclass(frozen=True)
class SynthResult:
    notices: pd.DataFrame
    truth: pd.DataFrame
    targets: dict[str, Target]
    span: tuple[pd.Timestamp, pd.Timestamp]


def fiscal_span(fiscal_year: int, n_years: int) -> tuple[dt.datetime, dt.datetime]:
    """From 1 April of the first fiscal year to the end of 31 March after the last (JST)."""
    start = dt.datetime(fiscal_year - n_years + 1, 4, 1, tzinfo=JST)
    end = dt.datetime(fiscal_year + 1, 4, 1, tzinfo=JST)
    return start, end


def generate(
    spec: Spec,
    *,
    n: int,
    seed: int,
    fiscal_year: int | None = None,
    interventions: dict[str, object] | None = None,
) -> SynthResult:
    """Notices and their truth; ``interventions`` sets nodes by hand (do-operator).

    ``interventions`` maps a node (a spec node, a context dimension such as
    ``main_type`` or ``notice_kind``, or ``child_age_years``) to the value every
    notice gets: a level name for a categorical or ordinal node, True/False, or
    a number. The node is drawn as usual, then overwritten (only where it
    applies, for ``only_if`` nodes), so its descendants follow the new value.
    With interventions given (even ``{}``), Poisson counts are drawn by
    inverting one uniform each, so that every node takes exactly ``n`` random
    numbers whatever its parameters: two intervened runs with the same seed
    then share every random number (common random numbers) and their contrast
    is exact notice by notice. ``None`` (the default) draws exactly as before.
    """
    fy = fiscal_year if fiscal_year is not None else spec.calibration.fiscal_year
    if n < 1:
        raise ValueError(f"n: expected a positive number of notices, got {n}")
    targets = published_targets(spec, fy)
    start, end = fiscal_span(fy, spec.time.fiscal_years)

    def draw(chunk: int, size: int) -> _Draws:
        return _draw_notices(
            spec, targets, _chunk_rng(seed, chunk), size, interventions, start, end
        )

    sizes = _chunk_sizes(n)
    if len(sizes) == 1:
        d = draw(0, n)
    else:
        with ThreadPoolExecutor(min(len(sizes), os.cpu_count() or 1)) as pool:
            d = _Draws.concat(list(pool.map(draw, range(len(sizes)), sizes)))

    order = np.argsort(d.received, kind="stable")
    notice_id = pd.Series(  # one set of str objects, for both frames
        np.char.add(f"SYN{fy}-", np.char.zfill(np.arange(1, n + 1).astype(str), 7)),
        dtype=object,
    )
    notices = _notice_frame(
        d.values, d.levels, d.unknown, d.regions, d.received, d.confirmed, order, notice_id
    )
    truth = d.truth.take(order).reset_index(drop=True)
    truth.insert(0, "notice_id", notice_id)
    span = (pd.Timestamp(start).tz_convert(TZ), pd.Timestamp(end).tz_convert(TZ))
    return SynthResult(
        notices=notices, truth=truth[list(TRUTH_COLUMNS)], targets=targets, span=span
    )


def true_logits(
    spec: Spec,
    *,
    n: int,
    seed: int,
    fiscal_year: int | None = None,
    interventions: dict[str, object] | None = None,
) -> np.ndarray:
    """The true outcome logits that ``generate`` with the same arguments gives its notices,
    in draw order (before sorting by time), without building the notices.

    The truth check calls this a hundred times, once per intervened value.
    """
    fy = fiscal_year if fiscal_year is not None else spec.calibration.fiscal_year
    if n < 1:
        raise ValueError(f"n: expected a positive number of notices, got {n}")
    targets = published_targets(spec, fy)
    return np.concatenate(
        [
            _simulate_risk(spec, targets, _chunk_rng(seed, chunk), size, interventions)[2]
            for chunk, size in enumerate(_chunk_sizes(n))
        ]
    )


CHUNK = 1 << 18
"""Notices drawn from one random stream. Chunks are drawn side by side on the cores
(numpy releases the GIL); their number depends on ``n`` alone, never on the
machine, so the same spec and seed give the same notices everywhere."""


def _chunk_sizes(n: int) -> list[int]:
    return [min(CHUNK, n - start) for start in range(0, n, CHUNK)]


def _chunk_rng(seed: int, chunk: int) -> np.random.Generator:
    """The first chunk draws from ``default_rng(seed)`` (so up to ``CHUNK`` notices are what
    one stream gives); chunk ``i`` from the ``i``-th child of ``SeedSequence(seed)``."""
    if chunk == 0:
        return np.random.default_rng(seed)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(chunk,)))


@dataclass(frozen=True)
class _Draws:
    """Everything drawn per notice, in draw order, before the notices are sorted by time."""

    values: dict
    levels: dict
    truth: pd.DataFrame
    received: np.ndarray
    confirmed: np.ndarray
    unknown: dict[str, np.ndarray]
    regions: np.ndarray

    @staticmethod
    def concat(parts: list[_Draws]) -> _Draws:
        if len(parts) == 1:
            return parts[0]
        first = parts[0]
        return _Draws(
            values={k: np.concatenate([p.values[k] for p in parts]) for k in first.values},
            levels=first.levels,  # the spec's, the same for every chunk
            truth=pd.concat([p.truth for p in parts], ignore_index=True),
            received=np.concatenate([p.received for p in parts]),
            confirmed=np.concatenate([p.confirmed for p in parts]),
            unknown={k: np.concatenate([p.unknown[k] for p in parts]) for k in first.unknown},
            regions=np.concatenate([p.regions for p in parts]),
        )


def _draw_notices(spec, targets, rng, n, interventions, start, end) -> _Draws:
    """One chunk of notices from one random stream, every draw in the spec's causal order."""
    values, levels, outcome_logit = _simulate_risk(spec, targets, rng, n, interventions)
    p_harm = sigmoid(outcome_logit)
    harm = rng.random(n) < p_harm
    truth = _truth(spec, values, levels, rng, n, outcome_logit, p_harm, harm)
    received = _received_at(spec, values, levels, rng, n, start, end)
    confirmed = _confirmed_at(spec, values, levels, rng, n, received, end)
    unknown = _unknown_masks(spec, values, levels, rng, n)
    regions = _draw_regions(spec, values, levels, rng, n)
    return _Draws(values, levels, truth, received, confirmed, unknown, regions)


def _simulate_risk(spec: Spec, targets, rng: np.random.Generator, n: int, interventions):
    """Context, nodes (with interventions applied) and the outcome logit: the causal part."""
    if n < 1:
        raise ValueError(f"n: expected a positive number of notices, got {n}")
    values, levels = _draw_context(spec, targets, rng, n)
    if interventions is not None:
        unknown = set(interventions) - set(spec.nodes) - {*CONTEXT_DIMS, "child_age_years"}
        if unknown:
            raise KeyError(f"interventions: not nodes of the spec: {sorted(unknown)}")
        for name in (*CONTEXT_DIMS, "child_age_years"):
            if name in interventions:
                _intervene(values, levels, name, interventions[name], None, n)
    _draw_nodes(spec, values, levels, rng, n, interventions)
    return values, levels, linear(spec.outcome.logit, spec.outcome.terms, values, levels, n)


def draws_per_notice(spec: Spec) -> int:
    """How many random numbers one notice takes: the benchmark's yardstick."""
    context = 2  # joint cell, age within band
    nodes = len(spec.nodes)
    outcome_and_record = 1 + 2  # harm; recorded label, perceived tier
    times = 3 + 2  # day, hour, minute; delay, never confirmed
    unknown = sum(len(f) for f in spec.missingness.groups.values())
    regions = 1
    return context + nodes + outcome_and_record + times + unknown + regions


def _draw_context(spec: Spec, targets: dict[str, Target], rng: np.random.Generator, n: int):
    table = context_table(spec, targets).ravel()
    cells = np.searchsorted(np.cumsum(table), rng.random(n) * table.sum(), side="right")
    cells = np.minimum(cells, table.size - 1)
    lv = context_levels(spec)
    shape = [len(lv[d]) for d in CONTEXT_DIMS]
    codes = np.unravel_index(cells, shape)
    values = {d: c.astype(np.int16) for d, c in zip(CONTEXT_DIMS, codes, strict=True)}
    levels = dict(lv)
    bands = np.array(list(spec.calibration.age_bands.values()))
    lo, hi = bands[values["age_band"], 0], bands[values["age_band"], 1]
    values["child_age_years"] = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
    assert len(cell_labels(spec)) == table.size
    return values, levels


def _applies(cond: dict | None, values, levels, n: int) -> np.ndarray:
    if not cond:
        return np.ones(n, dtype=bool)
    ok = np.ones(n, dtype=bool)
    for node, wanted in cond.items():
        wanted = [wanted] if isinstance(wanted, str) else wanted
        codes = [levels[node].index(w) for w in wanted]
        ok &= np.isin(values[node], codes)
    return ok


def _intervene(values, levels, name: str, value, applies: np.ndarray | None, n: int) -> None:
    """Overwrite one drawn node with a set value (where it applies)."""
    if name not in values:
        raise KeyError(f"interventions: {name!r} is not a node of the spec")
    current = values[name]
    if name in levels:
        try:
            code = levels[name].index(str(value))
        except ValueError:
            raise ValueError(
                f"interventions: {name!r} has levels {list(levels[name])}, got {value!r}"
            ) from None
        new = np.full(n, code, dtype=current.dtype)
    else:
        new = np.full(n, value, dtype=current.dtype)
    values[name] = new if applies is None else np.where(applies, new, current)


def _poisson_by_inversion(u: np.ndarray, lam: np.ndarray, cap: int) -> np.ndarray:
    """The Poisson(lam) quantile of each uniform u, at most ``cap``."""
    k = np.zeros(len(u), dtype=np.int64)
    p = np.exp(-lam)
    cdf = p.copy()
    active = u > cdf
    j = 0
    while active.any() and j < cap:
        j += 1
        k += active
        p = p * lam / j
        cdf += p
        active &= u > cdf
    return k


def _draw_nodes(
    spec: Spec,
    values: dict,
    levels: dict,
    rng: np.random.Generator,
    n: int,
    interventions: dict[str, object] | None = None,
) -> None:
    for name, node in spec.nodes.items():
        applies = _applies(node.only_if, values, levels, n)
        if isinstance(node, CategoricalNode):
            cats = tuple(node.probs)
            logw = np.tile(np.log(np.array(list(node.probs.values()))), (n, 1))
            for shift in node.shifts:
                hit = _applies(shift.when, values, levels, n)
                for cat, add in shift.add.items():
                    logw[hit, cats.index(cat)] += add
            w = np.exp(logw)
            cum = np.cumsum(w, axis=1)
            u = rng.random(n) * cum[:, -1]
            drawn = np.minimum((cum < u[:, None]).sum(axis=1), len(cats) - 1).astype(np.int16)
            levels[name] = cats
        elif isinstance(node, BernoulliNode):
            p = sigmoid(linear(node.logit, node.terms, values, levels, n))
            drawn = rng.random(n) < p
        elif isinstance(node, PoissonNode):
            lam = np.exp(linear(node.log_mean, node.terms, values, levels, n))
            if interventions is None:
                drawn = np.minimum(rng.poisson(lam), node.max)
            else:  # one uniform per notice, whatever lam: common random numbers
                drawn = _poisson_by_inversion(rng.random(n), lam, node.max)
        elif isinstance(node, NormalNode):
            drawn = linear(
                node.mean, node.terms, values, levels, n
            ) + node.sd * rng.standard_normal(n)
        elif isinstance(node, OrdinalNode):
            eta = linear(0.0, node.terms, values, levels, n)
            u = rng.random(n)
            drawn = np.zeros(n, dtype=np.int16)
            for cut in node.cutpoints:
                drawn += u < sigmoid(eta - np.float64(cut))
            levels[name] = tuple(node.levels)
        else:  # pragma: no cover - the spec's union is closed
            raise TypeError(name)
        if not applies.all():
            drawn = np.where(applies, drawn, np.zeros_like(drawn))
        values[name] = drawn
        if node.only_if:
            values[f"{name}__applies"] = applies
        if interventions is not None and name in interventions:
            _intervene(values, levels, name, interventions[name], applies, n)


def _tier_codes(p: np.ndarray, spec: Spec) -> np.ndarray:
    cuts = spec.outcome.tiers
    return np.where(p >= cuts["immediate"], 0, np.where(p >= cuts["urgent"], 1, 2)).astype(np.int8)


def _truth(spec, values, levels, rng, n, outcome_logit, p_harm, harm) -> pd.DataFrame:
    rec = spec.recording
    detect = sigmoid(linear(rec.detection.logit, rec.detection.terms, values, levels, n))
    false_rec = sigmoid(linear(rec.false_record.logit, rec.false_record.terms, values, levels, n))
    u = rng.random(n)
    recorded = np.where(harm, u < detect, u < false_rec)
    perceived = (
        outcome_logit
        + linear(0.0, rec.tier_perception.terms, values, levels, n)
        + rec.tier_perception.noise_sd * rng.standard_normal(n)
    )
    true_tier = _tier_codes(p_harm, spec)
    recorded_tier = _tier_codes(sigmoid(perceived), spec)
    is_dv = values["notice_kind"] == levels["notice_kind"].index("dv_witness")
    tiers = pd.CategoricalDtype(TIERS)
    routes = pd.CategoricalDtype(("cgc", "municipality"))

    def dv_route(tier_codes: np.ndarray) -> pd.Categorical:
        codes = np.where(is_dv, np.where(tier_codes <= 1, 0, 1), -1)
        return pd.Categorical.from_codes(codes, dtype=routes)

    return pd.DataFrame(
        {
            P_HARM: p_harm,
            TRUE_HARM: harm,
            TRUE_TIER: pd.Categorical.from_codes(true_tier, dtype=tiers),
            TRUE_DV_ROUTE: dv_route(true_tier),
            RECORDED_HARM: recorded,
            RECORDED_TIER: pd.Categorical.from_codes(recorded_tier, dtype=tiers),
            RECORDED_DV_ROUTE: dv_route(recorded_tier),
            LATENT_SEVERITY: values["severity"],
        }
    )


def _received_at(spec, values, levels, rng, n, start: dt.datetime, end: dt.datetime) -> np.ndarray:
    """Epoch seconds: day by weekday, month and yearly growth; hour by who reports."""
    t = spec.time
    days = pd.date_range(start.date(), end.date() - dt.timedelta(days=1), freq="D")
    fy_index = ((days.year - start.year) - (days.month < 4)).to_numpy()
    month_pos = (days.month.to_numpy() - 4) % 12
    w = (
        np.array(t.weekday_weights)[days.day_of_week.to_numpy()]
        * np.array(t.month_weights)[month_pos]
        * (1 + t.yearly_growth) ** fy_index
    )
    cum = np.cumsum(w)
    day = np.minimum(np.searchsorted(cum, rng.random(n) * cum[-1], side="right"), len(days) - 1)
    is_police = values["route"] == levels["route"].index("police")
    hour = np.empty(n, dtype=np.int64)
    u = rng.random(n)
    for profile, mask in (("police", is_police), ("office", ~is_police)):
        cum_h = np.cumsum(t.hour_profile[profile])
        hour[mask] = np.minimum(np.searchsorted(cum_h, u[mask] * cum_h[-1], side="right"), 23)
    minute = np.floor(rng.random(n) * 60).astype(np.int64)
    start_epoch = int(start.timestamp())
    return start_epoch + day.astype(np.int64) * 86400 + hour * 3600 + minute * 60


def _confirmed_at(
    spec, values, levels, rng, n, received: np.ndarray, end: dt.datetime
) -> np.ndarray:
    """Epoch seconds of the in-person safety check, or -1 while still open at the extract's end."""
    s = spec.safety_check
    log_delay = np.log(s.median_hours) + linear(0.0, s.terms, values, levels, n)
    delay_h = np.exp(log_delay + s.log_sd * rng.standard_normal(n))
    never = rng.random(n) < sigmoid(
        linear(s.never_confirmed_logit, s.never_confirmed_terms, values, levels, n)
    )
    confirmed = received + np.round(delay_h * 3600 / 60).astype(np.int64) * 60
    still_open = never | (confirmed >= int(end.timestamp()))
    return np.where(still_open, -1, confirmed)


def _unknown_masks(spec, values, levels, rng, n) -> dict[str, np.ndarray]:
    miss = spec.missingness
    route_levels = levels["route"]
    masks = {}
    for group, fields in miss.groups.items():
        shifts = np.array([miss.route_shift.get(r, {}).get(group, 0.0) for r in route_levels])
        p = sigmoid(logit(miss.base[group]) + shifts[values["route"]])
        for field in fields:
            masks[field] = rng.random(n) < p
    return masks


_ALLEGED_LOOKUP = None


def _alleged_lookup() -> np.ndarray:
    """(main type, bitmask of other types) -> tuple, main type first; built once."""
    global _ALLEGED_LOOKUP
    if _ALLEGED_LOOKUP is None:
        table = np.empty((len(ABUSE_TYPES), 1 << len(ABUSE_TYPES)), dtype=object)
        for m, main in enumerate(ABUSE_TYPES):
            for mask in range(1 << len(ABUSE_TYPES)):
                others = tuple(t for i, t in enumerate(ABUSE_TYPES) if mask >> i & 1 and i != m)
                table[m, mask] = (main, *others)
        _ALLEGED_LOOKUP = table
    return _ALLEGED_LOOKUP


def _notice_frame(
    values, levels, unknown, regions, received, confirmed, order, notice_id
) -> pd.DataFrame:
    fields = notice_fields()
    n = len(order)
    cols: dict[str, object] = {"notice_id": notice_id}

    def ts(epoch: np.ndarray) -> pd.DatetimeIndex:
        out = pd.to_datetime(np.where(epoch < 0, 0, epoch), unit="s", utc=True).tz_convert(TZ)
        return out.where(epoch >= 0) if (epoch < 0).any() else out

    cols["received_at"] = ts(received[order])
    cols["safety_confirmed_at"] = ts(confirmed[order])
    cols["region_code"] = pd.Series(regions[order], dtype=object)

    mask_bits = np.zeros(n, dtype=np.int64)
    for i, t in enumerate(ABUSE_TYPES):
        if f"also_{t}" in values:
            mask_bits |= values[f"also_{t}"].astype(np.int64) << i
    alleged = _alleged_lookup()[values["main_type"].astype(np.int64), mask_bits]

    for field in fields.all:
        if field in cols:
            continue
        if field == "alleged_types":
            cols[field] = alleged[order]
        elif field in fields.enums:
            cats = pd.CategoricalDtype(fields.enums[field])
            mapping = np.array([fields.enums[field].index(lv) for lv in levels[field]])
            cols[field] = pd.Categorical.from_codes(mapping[values[field][order]], dtype=cats)
        elif field in fields.booleans:
            na = unknown.get(field, np.zeros(n, dtype=bool))
            if f"{field}__applies" in values:
                na = na | ~values[f"{field}__applies"]
            cols[field] = pd.arrays.BooleanArray(values[field][order].astype(bool), na[order])
        elif field in fields.integers:
            na = np.zeros(n, dtype=bool)
            if f"{field}__applies" in values:
                na = ~values[f"{field}__applies"]
            cols[field] = pd.arrays.IntegerArray(values[field][order].astype(np.int64), na[order])
    return pd.DataFrame({field: cols[field] for field in fields.all}, copy=False)


def _draw_regions(spec: Spec, values, levels, rng, n: int) -> np.ndarray:
    """A pseudonymous area code, uniform among the spec's codes of the household's urbanity."""
    out = np.empty(n, dtype=object)
    u = rng.random(n)
    for code, urbanity in enumerate(levels["region_urbanity"]):
        hit = values["region_urbanity"] == code
        pool = np.array(spec.regions[urbanity], dtype=object)
        out[hit] = pool[np.minimum((u[hit] * len(pool)).astype(np.int64), len(pool) - 1)]
    return out
