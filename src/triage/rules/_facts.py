"""What the rules read from a notice frame: known facts, vectorised, judged at ``as_of``.

Unknown is a value (contracts/README.md): a null boolean is "not established",
so ``known_true`` and ``known_false`` are both False on it and a rule fires on
what is known. Required contract fields that a rule reads must be present on
every notice: a safety floor is never judged on a silently missing fact.
One notice given as a dict has the same facts without pandas (``_record``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from triage.contract import TIERS, notice_fields
from triage.notices import enum_positions, format_datetimes, parse_datetimes
from triage.rules._time import NAT, SAFETY_WINDOW, iso, utc_micros, written_offsets
from triage.rules._values import (
    MISSING_REQUIRED,
    NOT_A_TIME,
    NOT_IN_ENUM,
    row_positions,
)


class NoticeFacts:
    """Vectorised facts of a batch of notices at one ``as_of``, for rule conditions.

    Every accessor returns a numpy array aligned with the notices' order.
    ``model_code``, ``suggested_code`` and ``receipt_code`` (tier positions in
    ``TIERS``, 0 = immediate) are set by :func:`apply_rules` once the floor is
    known; only rules marked ``needs_tier`` may read them.
    """

    def __init__(self, notices: pd.DataFrame, *, as_of: pd.Timestamp) -> None:
        self.frame = notices
        self.n = len(notices)
        self._start(as_of)

    def _start(self, as_of: pd.Timestamp) -> None:
        self.as_of = as_of
        self._cache: dict[tuple[str, str], Any] = {}
        fields = notice_fields()
        self._required = set(fields.required)
        self._enums = fields.enums
        self._booleans = set(fields.booleans)
        self.received_us = self._times("received_at")
        self.confirmed_us = self._times("safety_confirmed_at")
        utc = as_of.tz_convert("UTC").tz_localize(None).to_datetime64()
        self.as_of_us = int(utc.astype("datetime64[us]").view(np.int64))
        self.deadline_us = self.received_us + SAFETY_WINDOW.value // 1000
        confirmed = (self.confirmed_us != NAT) & (self.confirmed_us <= self.as_of_us)
        self.unconfirmed: np.ndarray = ~confirmed
        """No confirmation, or one later than ``as_of``."""
        self.overdue: np.ndarray = self.unconfirmed & (self.as_of_us >= self.deadline_us)
        """Unconfirmed and ``as_of >= received_at + 48 h`` (the R-ONSITE condition)."""
        self.model_code: np.ndarray | None = None
        self.suggested_code: np.ndarray | None = None
        self.receipt_code: np.ndarray | None = None

    # ------------------------------------------------------------ columns

    def _column(self, field: str) -> pd.Series | None:
        if field not in self.frame.columns:
            if field in self._required:
                raise ValueError(MISSING_REQUIRED.format(field=field, rows="all (no column)"))
            return None
        col = self.frame[field]
        if isinstance(col, pd.DataFrame):
            raise ValueError(f"column {field!r} appears more than once")
        return col

    def _check_required(self, field: str, na: np.ndarray) -> None:
        if field in self._required and na.any():
            raise ValueError(MISSING_REQUIRED.format(field=field, rows=row_positions(na)))

    def _times(self, field: str) -> np.ndarray:
        col = self._column(field)
        if col is None:
            return np.full(self.n, NAT, dtype=np.int64)
        return self._times_of(col, field)

    def _times_of(self, col: pd.Series, field: str) -> np.ndarray:
        if col.dtype == object:
            naive = np.fromiter(
                (isinstance(v, datetime) and v.tzinfo is None for v in col.tolist()),
                dtype=bool,
                count=len(col),
            )
            if naive.any():
                raise ValueError(NOT_A_TIME.format(field=field, rows=row_positions(naive)))
        parsed = parse_datetimes(col)
        bad = parsed.isna().to_numpy() & col.notna().to_numpy()
        if bad.any():
            raise ValueError(NOT_A_TIME.format(field=field, rows=row_positions(bad)))
        self._check_required(field, parsed.isna().to_numpy())
        return utc_micros(parsed)

    def unknown(self, field: str) -> np.ndarray:
        """True where the field is null or absent."""
        key = ("unknown", field)
        if key not in self._cache:
            col = self._column(field)
            if col is None:
                out = np.ones(self.n, dtype=bool)
            elif field == "alleged_types":
                out = self._type_codes()[0] < 0
            else:
                out = col.isna().to_numpy()
            self._check_required(field, out)
            self._cache[key] = out
        return self._cache[key]

    def _booleans_of(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        if field not in self._booleans:
            raise KeyError(f"{field!r} is not a boolean field of the notice contract")
        key = ("true", field)
        if key not in self._cache:
            col = self._column(field)
            if col is None:
                yes = no = np.zeros(self.n, dtype=bool)
            else:
                try:
                    values = col.astype("boolean")
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"{field!r} holds values that are not booleans") from exc
                na = values.isna().to_numpy()
                raw = values.to_numpy(dtype=bool, na_value=False)
                yes, no = raw & ~na, ~raw & ~na
            self._cache[key] = yes
            self._cache[("false", field)] = no
        return self._cache[key], self._cache[("false", field)]

    def known_true(self, field: str) -> np.ndarray:
        """True where a boolean field is known to be true (null: False)."""
        return self._booleans_of(field)[0]

    def known_false(self, field: str) -> np.ndarray:
        """True where a boolean field is known to be false (null: False)."""
        return self._booleans_of(field)[1]

    def enum_codes(self, field: str) -> np.ndarray:
        """Positions in the schema's enum (-1 = null)."""
        key = ("codes", field)
        if key not in self._cache:
            allowed = self._enums[field]
            col = self._column(field)
            if col is None:
                codes = np.full(self.n, -1, dtype=np.int64)
            else:
                cat = col.cat if isinstance(col.dtype, pd.CategoricalDtype) else None
                if cat is not None and list(col.cat.categories) == list(allowed):
                    codes = col.cat.codes.to_numpy(dtype=np.int64)
                else:
                    values = col.astype(object)
                    codes = enum_positions(values.to_numpy(dtype=object), allowed)
                    bad = (codes < 0) & values.notna().to_numpy()
                    if bad.any():
                        shown = sorted({str(v) for v in values[bad]})[:5]
                        raise ValueError(
                            NOT_IN_ENUM.format(field=field, allowed=", ".join(allowed), bad=shown)
                        )
            self._check_required(field, codes < 0)
            self._cache[key] = codes
        return self._cache[key]

    def enum_in(self, field: str, *values: str) -> np.ndarray:
        """True where an enum field is one of ``values`` (null: False)."""
        allowed = self._enums[field]
        positions = [allowed.index(v) for v in values]
        codes = self.enum_codes(field)
        if len(positions) == 1:
            return codes == positions[0]
        return np.isin(codes, positions)

    def enum_known(self, field: str) -> np.ndarray:
        return self.enum_codes(field) >= 0

    def _type_codes(self) -> tuple[np.ndarray, list[tuple[str, ...]]]:
        key = ("codes", "alleged_types")
        if key not in self._cache:
            col = self._column("alleged_types")
            if col is None:
                self._cache[key] = np.full(self.n, -1, dtype=np.int64)
                self._cache[("uniques", "alleged_types")] = np.empty(0, dtype=object)
            else:
                values = col.to_numpy(dtype=object)
                if not all(type(v) is tuple for v in values):
                    values = np.fromiter(
                        (tuple(v) if isinstance(v, (list, np.ndarray)) else v for v in values),
                        dtype=object,
                        count=len(values),
                    )
                codes, uniques = pd.factorize(values, use_na_sentinel=True)
                self._cache[key] = codes.astype(np.int64)
                self._cache[("uniques", "alleged_types")] = list(uniques)
        return self._cache[key], self._cache[("uniques", "alleged_types")]

    def types_include(self, *types: str) -> np.ndarray:
        """True where ``alleged_types`` includes any of ``types`` (null: False)."""
        codes, uniques = self._type_codes()
        self._check_required("alleged_types", codes < 0)
        hit = np.array([any(t in u for t in types) for u in uniques] + [False], dtype=bool)
        return hit[codes]

    def integers(self, field: str) -> np.ndarray:
        """Float values of an integer field, NaN where null."""
        key = ("int", field)
        if key not in self._cache:
            col = self._column(field)
            if col is None:
                out = np.full(self.n, np.nan)
            else:
                out = pd.to_numeric(col.astype(object), errors="raise").to_numpy(
                    dtype=float, na_value=np.nan
                )
            self._check_required(field, np.isnan(out))
            self._cache[key] = out
        return self._cache[key]

    def strings(self, field: str) -> np.ndarray:
        """Object array of a string field, None where null."""
        key = ("str", field)
        if key not in self._cache:
            col = self._column(field)
            out = (
                np.full(self.n, None, dtype=object)
                if col is None
                else col.astype(object).where(col.notna(), None).to_numpy(dtype=object)
            )
            self._cache[key] = out
        return self._cache[key]

    # ------------------------------------------------------------ tiers

    def suggested_in(self, *tiers: str) -> np.ndarray:
        """True where ``suggested_tier`` is one of ``tiers`` (rules with ``needs_tier`` only)."""
        if self.suggested_code is None:
            raise RuntimeError("the suggested tier is known only after the rule floor")
        return np.isin(self.suggested_code, [TIERS.index(t) for t in tiers])

    def receipt_in(self, *tiers: str) -> np.ndarray:
        """True where the tier at receipt is one of ``tiers`` (rules with ``needs_tier`` only)."""
        if self.receipt_code is None:
            raise RuntimeError("the tier at receipt is known only after the model tier")
        return np.isin(self.receipt_code, [TIERS.index(t) for t in tiers])

    # ------------------------------------------------------------ output

    def deadline_text(self) -> np.ndarray:
        """``received_at + 48 h`` as ISO 8601, in each notice's own offset.

        A tz-aware column is written in its time zone (a notice frame: Japan
        time); a column of RFC 3339 strings keeps each string's own offset.
        """
        col = self._column("received_at")
        assert col is not None  # received_at is required: _column raised if it is absent
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            return format_datetimes(col.dt.as_unit("us") + SAFETY_WINDOW)
        offsets, own = written_offsets(col.to_numpy(dtype=object))
        out = np.empty(self.n, dtype=object)
        if own.any():
            out[own] = iso(self.deadline_us[own], offsets[own])
        if (~own).any():
            tokyo = parse_datetimes(col[~own]).dt.as_unit("us") + SAFETY_WINDOW
            out[~own] = format_datetimes(tokyo)
        return out
