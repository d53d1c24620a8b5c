"""Draw synthetic intake notices and their ground truth from a spec.

The causal order is the spec's: context (calibrated jointly to the published
margins) → caregiver and household factors → case history → latent severity
→ incident features and what is known at intake → outcomes → what a record
would hold. Every draw comes from a seeded generator in a fixed order (one
generator per chunk of ``CHUNK`` notices, the chunks drawn side by side), so
the same spec and seed give the same notices, bit for bit, on any machine.

This module owns that order and the chunks; the draws themselves live in
``nodes`` (context and causal nodes), ``outcome`` (the truth), ``recording``
(what a record says) and ``intake`` (ids, times, area), and ``frame`` types
the notices.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from triage.contract.threads import thread_budget
from triage.synth.calibrate import Target, published_targets
from triage.synth.frame import notice_frame
from triage.synth.intake import (
    TZ,
    confirmed_at,
    draw_regions,
    fiscal_span,
    notice_ids,
    received_at,
)
from triage.synth.nodes import simulate_risk
from triage.synth.outcome import TRUTH_COLUMNS, truth_frame
from triage.synth.recording import record_outcome, unknown_masks
from triage.synth.spec import Spec
from triage.synth.terms import sigmoid

__all__ = [
    "CHUNK",
    "TRUTH_COLUMNS",
    "SynthResult",
    "draws_per_notice",
    "generate",
    "receipt_order",
    "true_logits",
]


@dataclass(frozen=True)
class SynthResult:
    notices: pd.DataFrame
    truth: pd.DataFrame
    targets: dict[str, Target]
    span: tuple[pd.Timestamp, pd.Timestamp]


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
    with ThreadPoolExecutor(min(len(sizes), thread_budget())) as pool:
        chunks = pool.map(draw, range(len(sizes)), sizes)
        # The ids do not depend on the draws: numbered here while the pool draws, instead
        # of after it (0.17 CPU-s that the main thread would otherwise spend after waiting).
        notice_id = notice_ids(fy, n)
        d = _Draws.concat(list(chunks))

    order = receipt_order(d.received)
    notices = notice_frame(
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
            simulate_risk(spec, targets, _chunk_rng(seed, chunk), size, interventions)[2]
            for chunk, size in enumerate(_chunk_sizes(n))
        ]
    )


CHUNK = 1 << 18
"""Notices drawn from one random stream. Chunks are drawn side by side on the cores
(numpy releases the GIL); their number depends on ``n`` alone, never on the
machine, so the same spec and seed give the same notices everywhere."""


def receipt_order(received: np.ndarray) -> np.ndarray:
    """The notices by time of receipt, ties in draw order: ``argsort(received, kind="stable")``.

    Sorted as one int64 key per notice, its time then its draw position: no two keys
    tie, so numpy's faster unstable sort gives exactly the stable order (0.02 CPU-s
    instead of 0.13 for a million notices).
    """
    n = len(received)
    if n == 0:
        return np.argsort(received, kind="stable")
    earliest = int(received.min())
    span = int(received.max()) - earliest + 1
    if span > np.iinfo(np.int64).max // n:  # the key would overflow int64
        return np.argsort(received, kind="stable")
    key = (received.astype(np.int64) - earliest) * n + np.arange(n, dtype=np.int64)
    return np.sort(key) % n


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
    # the order of these calls is the order of the stream: changing it changes every notice
    values, levels, outcome_logit = simulate_risk(spec, targets, rng, n, interventions)
    p_harm = sigmoid(outcome_logit)
    harm = rng.random(n) < p_harm
    recorded, recorded_tier = record_outcome(spec, values, levels, rng, n, outcome_logit, harm)
    truth = truth_frame(spec, values, levels, p_harm, harm, recorded, recorded_tier)
    received = received_at(spec, values, levels, rng, n, start, end)
    confirmed = confirmed_at(spec, values, levels, rng, n, received, end)
    unknown = unknown_masks(spec, values, levels, rng, n)
    regions = draw_regions(spec, values, levels, rng, n)
    return _Draws(values, levels, truth, received, confirmed, unknown, regions)


def draws_per_notice(spec: Spec) -> int:
    """How many random numbers one notice takes: the benchmark's yardstick."""
    context = 2  # joint cell, age within band
    nodes = len(spec.nodes)
    outcome_and_record = 1 + 2  # harm; recorded label, perceived tier
    times = 3 + 2  # day, hour, minute; delay, never confirmed
    unknown = sum(len(f) for f in spec.missingness.groups.values())
    regions = 1
    return context + nodes + outcome_and_record + times + unknown + regions
