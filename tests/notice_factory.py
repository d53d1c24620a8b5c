"""Small hand-built notices for tests: ``make_notice`` (one JSON-like dict), ``make_frame``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from triage.contract import notice_fields

_BASE: dict[str, Any] = {
    "notice_id": "N0001",
    "received_at": "2023-04-03T09:15:00+09:00",
    "safety_confirmed_at": None,
    "region_code": "R07",
    "region_urbanity": "urban",
    "route": "school",
    "notice_kind": "general",
    "alleged_types": ["physical", "psychological"],
    "child_age_years": 7,
    "child_sex": "female",
    "child_disability": None,
    "missed_health_checks": False,
    "not_enrolled": False,
    "no_service_use": None,
    "school_absence": True,
    "injury": "minor",
    "injury_head_face": True,
    "household_type": "single_parent",
    "siblings": 1,
    "caregiver_substance_use": None,
    "dv_in_home": False,
    "prior_notices": 0,
    "moved_from_other_area": False,
}

_DV_EXTRA: dict[str, Any] = {
    "route": "police",
    "notice_kind": "dv_witness",
    "alleged_types": ["psychological"],
    "injury": "none",
    "injury_head_face": None,
    "dv_physical_assault": True,
    "dv_weapon": None,
    "dv_strangulation": False,
    "dv_child_intervened": None,
    "dv_repeat_count": 2,
    "dv_alcohol": True,
}


def make_notice(*, dv: bool = False, **overrides: Any) -> dict[str, Any]:
    """One valid notice as a JSON-like dict; ``overrides`` replace or add keys.

    Pass a value of ``DROP`` to leave a key out.
    """
    notice = dict(_BASE)
    if dv:
        notice.update(_DV_EXTRA)
    notice.update(overrides)
    return {k: v for k, v in notice.items() if v is not DROP}


DROP = object()
"""Sentinel for ``make_notice``: leave this key out."""


def make_records(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` valid, varied notices with unique ids (JSON-like dicts)."""
    rng = np.random.default_rng(seed)
    fields = notice_fields()
    types = ("physical", "neglect", "sexual", "psychological")
    out = []
    for i in range(n):
        dv = bool(rng.random() < 0.3)
        minutes = int(rng.integers(0, 365 * 24 * 60))
        received = pd.Timestamp("2023-01-01T00:00:00+09:00") + pd.Timedelta(minutes=minutes)
        offset = "+09:00" if rng.random() < 0.8 else "Z"
        if offset == "Z":
            received_text = received.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            received_text = received.strftime("%Y-%m-%dT%H:%M:%S+09:00")
        confirmed = None
        if rng.random() < 0.6:
            later = received + pd.Timedelta(hours=float(rng.uniform(1, 72)))
            confirmed = later.floor("s").strftime("%Y-%m-%dT%H:%M:%S+09:00")
        k = int(rng.integers(1, 3))
        alleged = [str(t) for t in rng.choice(types, size=k, replace=False)]
        overrides: dict[str, Any] = {
            "notice_id": f"N{seed:02d}-{i:06d}",
            "received_at": received_text,
            "safety_confirmed_at": confirmed,
            "region_code": f"R{int(rng.integers(1, 40)):02d}",
            "region_urbanity": str(rng.choice(fields.enums["region_urbanity"])),
            "child_age_years": int(rng.integers(0, 18)),
            "child_sex": str(rng.choice(fields.enums["child_sex"])),
            "household_type": str(rng.choice(fields.enums["household_type"])),
            "siblings": int(rng.integers(0, 5)),
            "prior_notices": int(rng.integers(0, 6)),
        }
        if not dv:
            overrides["route"] = str(rng.choice(fields.enums["route"]))
            overrides["alleged_types"] = alleged
            overrides["injury"] = str(rng.choice(fields.enums["injury"]))
        for b in ("child_disability", "not_enrolled", "contact_refused", "socially_isolated"):
            overrides[b] = [None, True, False][int(rng.integers(0, 3))]
        if rng.random() < 0.2:
            overrides["region_code"] = DROP
        out.append(make_notice(dv=dv, **overrides))
    return out


def make_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """A raw table (object columns, JSON-like values) of ``n`` valid notices.

    Optional fields absent from a notice are null cells.
    """
    records = make_records(n, seed)
    columns = {f: [r.get(f) for r in records] for f in notice_fields().all}
    used = {f: v for f, v in columns.items() if any(x is not None for x in v)}
    return pd.DataFrame({f: pd.Series(v, dtype=object) for f, v in used.items()})
