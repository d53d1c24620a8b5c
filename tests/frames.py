"""A tiny random notice frame with a planted logistic signal, for the feature and model tests.

Not the synthetic generator (that lives in the package): just enough realism
to follow ``triage.contract``'s frame conventions and give models something to
learn. Vectorised, so ``make_notice_frame(1_000_000)`` takes about a second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from triage.contract import ABUSE_TYPES, notice_fields

UNKNOWN_RATE = 0.3
"""Share of nullable boolean risk factors left unknown."""

PLANTED_LOG_ODDS: dict[str, float] = {
    "injury=serious": 1.6,
    "injury=minor": 0.5,
    "injury_head_face": 1.0,
    "weapon_used": 1.2,
    "child_requests_protection": 1.4,
    "sexual_abuse_disclosure": 1.4,
    "child_fears_home": 0.7,
    "contact_refused": 0.6,
    "prior_protection": 0.7,
    "caregiver_substance_use": 0.4,
    "dv_strangulation": 1.0,
    "infant": 0.8,
    "prior_notices": 0.25,
    "dv_repeat_count": 0.15,
    "contact_refused_unknown": 0.3,
}
"""The true log-odds effects planted in ``y`` (the rest of the notice is noise)."""

_ALLEGED_COMBOS: tuple[tuple[str, ...], ...] = (
    ("physical",),
    ("neglect",),
    ("sexual",),
    ("psychological",),
    ("physical", "psychological"),
    ("neglect", "physical"),
    ("psychological", "neglect"),
    ("sexual", "physical"),
)


def _nullable_bool(rng: np.random.Generator, n: int, p_yes: float, p_unknown: float) -> pd.Series:
    u = rng.random(n)
    values = pd.array(rng.random(n) < p_yes, dtype="boolean")
    values[u < p_unknown] = pd.NA
    return pd.Series(values)


def make_notice_frame(n: int = 2000, *, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A notice frame of ``n`` rows and its binary target (1 = serious harm within 90 days)."""
    rng = np.random.default_rng(seed)
    f = notice_fields()
    cols: dict[str, object] = {}
    cols["notice_id"] = pd.Series([f"N{i:07d}" for i in range(n)], dtype="string")
    start = pd.Timestamp("2024-04-01", tz="Asia/Tokyo")
    received = start + pd.to_timedelta(np.sort(rng.integers(0, 365 * 86400, n)), unit="s")
    cols["received_at"] = pd.Series(received)
    confirmed = received + pd.to_timedelta(rng.integers(3600, 72 * 3600, n), unit="s")
    cols["safety_confirmed_at"] = pd.Series(confirmed).where(rng.random(n) < 0.9)
    cols["region_code"] = pd.Series(rng.choice(["R01", "R02", "R03"], n), dtype="string")

    for field, cats in f.enums.items():
        codes = rng.integers(0, len(cats), n)
        if field == "injury":
            codes = rng.choice(3, n, p=[0.7, 0.22, 0.08])
        if field == "notice_kind":
            codes = (rng.random(n) < 0.4).astype(int)
        if field == "region_urbanity":  # optional: sometimes absent
            codes = np.where(rng.random(n) < 0.05, -1, codes)
        cols[field] = pd.Series(pd.Categorical.from_codes(codes, categories=list(cats)))

    combos = np.empty(len(_ALLEGED_COMBOS), dtype=object)
    combos[:] = list(_ALLEGED_COMBOS)
    assert all(t in ABUSE_TYPES for c in _ALLEGED_COMBOS for t in c)
    cols["alleged_types"] = pd.Series(combos[rng.integers(0, len(combos), n)], dtype=object)

    for field, (lo, hi) in f.integers.items():
        top = {"prior_notices": 6, "dv_repeat_count": 5, "siblings": 4}.get(field, hi)
        values = pd.array(rng.integers(lo, min(hi, top) + 1, n), dtype="Int64")
        if field == "prior_notices":
            values = pd.array(rng.poisson(0.8, n), dtype="Int64")
        if field in ("prior_notices", "siblings"):  # optional: sometimes absent
            values[rng.random(n) < 0.1] = pd.NA
        cols[field] = pd.Series(values)

    for field in f.booleans:
        cols[field] = _nullable_bool(rng, n, p_yes=0.15, p_unknown=UNKNOWN_RATE)

    frame = pd.DataFrame({k: cols[k] for k in f.all if k in cols})
    general = (frame["notice_kind"] == "general").to_numpy()
    for field in f.dv_only:  # absent (null) on general notices
        frame[field] = frame[field].mask(general)

    def yes(field: str) -> np.ndarray:
        return frame[field].fillna(False).to_numpy(dtype=bool)

    b = PLANTED_LOG_ODDS
    injury = frame["injury"].to_numpy()
    logit = (
        -3.0
        + b["injury=serious"] * (injury == "serious")
        + b["injury=minor"] * (injury == "minor")
        + b["infant"] * (frame["child_age_years"].to_numpy() <= 2)
        + b["prior_notices"] * frame["prior_notices"].fillna(0).to_numpy(dtype=float)
        + b["dv_repeat_count"] * frame["dv_repeat_count"].fillna(0).to_numpy(dtype=float)
        + b["contact_refused_unknown"] * frame["contact_refused"].isna().to_numpy()
    )
    for field in (
        "injury_head_face",
        "weapon_used",
        "child_requests_protection",
        "sexual_abuse_disclosure",
        "child_fears_home",
        "contact_refused",
        "prior_protection",
        "caregiver_substance_use",
        "dv_strangulation",
    ):
        logit = logit + b[field] * yes(field)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    return frame, y
