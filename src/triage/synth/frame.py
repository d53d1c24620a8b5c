"""The notice frame: drawn codes turned into the contract's columns and dtypes.

Nothing here draws: it puts what was drawn in receipt order and gives each
field the type the contract says (categoricals, nullable booleans and
integers, Japan-time timestamps), so that synthetic notices read like real ones.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from triage.contract import ABUSE_TYPES, notice_fields
from triage.synth.intake import TZ


@cache
def _alleged_lookup() -> np.ndarray:
    """(main type, bitmask of other types) -> tuple, main type first."""
    # one tuple object per combination, shared by every notice that has it
    table = np.empty((len(ABUSE_TYPES), 1 << len(ABUSE_TYPES)), dtype=object)
    for m, main in enumerate(ABUSE_TYPES):
        for mask in range(1 << len(ABUSE_TYPES)):
            others = tuple(t for i, t in enumerate(ABUSE_TYPES) if mask >> i & 1 and i != m)
            table[m, mask] = (main, *others)
    return table


def notice_frame(
    values, levels, unknown, regions, received, confirmed, order, notice_id
) -> pd.DataFrame:
    """The notices in ``order``, every contract field in schema order."""
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
            # unknown at intake, or not asked because the node does not apply
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
