"""What the rules read from a notice frame: known facts, vectorised, judged at ``as_of``.

Unknown is a value (contracts/README.md): a null boolean is "not established",
so ``known_true`` and ``known_false`` are both False on it and a rule fires on
what is known. Required contract fields that a rule reads must be present on
every notice: a safety floor is never judged on a silently missing fact.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from triage.contract import TIERS, notice_fields
from triage.notices import TIMEZONE, format_datetimes, is_missing, parse_datetimes, rfc3339_instant

AS_OF_NEEDS_OFFSET = "as_of needs a time zone offset, e.g. 2024-04-01T09:00:00+09:00"
AS_OF_NOT_A_TIME = "as_of is not an ISO 8601 date-time with offset, got {got!r}"
MISSING_REQUIRED = (
    "rules need {field!r} on every notice (required by notice.schema.json); "
    "missing at row position(s) {rows}"
)
NOT_IN_ENUM = "{field!r} holds values outside the contract's ({allowed}): {bad}"
NOT_A_TIME = "{field!r} holds values that are not date-times with offset at row position(s) {rows}"

SAFETY_WINDOW = pd.Timedelta(hours=48)
"""``safety_deadline = received_at + 48 h`` (contracts/README.md, R-48H)."""

_US_PER_MINUTE = 60_000_000
_NAT = np.iinfo(np.int64).min
_OFFSET_SUFFIX = re.compile(r"([Zz]|[+-]\d\d:\d\d)$")


def parse_as_of(as_of: Any) -> pd.Timestamp:
    """A tz-aware instant (UTC) from a tz-aware datetime/Timestamp or an ISO 8601 string with offset."""
    if isinstance(as_of, str):
        text = as_of.strip()
        try:
            stamp = pd.Timestamp(text)
        except (ValueError, TypeError) as exc:
            raise ValueError(AS_OF_NOT_A_TIME.format(got=as_of)) from exc
        if stamp is pd.NaT:
            raise ValueError(AS_OF_NOT_A_TIME.format(got=as_of))
    elif isinstance(as_of, datetime):
        stamp = pd.Timestamp(as_of)
    elif isinstance(as_of, np.datetime64):
        raise ValueError(AS_OF_NEEDS_OFFSET)
    else:
        raise TypeError(
            f"as_of: expected a tz-aware datetime or an ISO 8601 string, got {type(as_of).__name__}"
        )
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise ValueError(AS_OF_NEEDS_OFFSET)
    return stamp.tz_convert("UTC").as_unit("us")


def _rows(mask: np.ndarray) -> str:
    where = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in where[:5])
    return shown + (f" (+{len(where) - 5} more)" if len(where) > 5 else "")


def _utc_micros(s: pd.Series) -> np.ndarray:
    """int64 microseconds since the epoch (UTC) of a tz-aware series; NaT -> int64 min."""
    naive = s.dt.tz_convert("UTC").dt.tz_localize(None).dt.as_unit("us")
    return naive.to_numpy(dtype="datetime64[us]").view(np.int64)


def _offset_text(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def _iso(utc_us: np.ndarray, offset_min: np.ndarray) -> np.ndarray:
    """ISO 8601 text of UTC instants written in the given offsets (seconds; micros when non-zero)."""
    local = (utc_us + offset_min * _US_PER_MINUTE).astype("datetime64[us]")
    secs = local.astype("datetime64[s]")
    base = np.datetime_as_string(secs, unit="s").astype(object)
    micros = (local - secs).astype(np.int64)
    frac = np.array([f".{m:06d}" if m else "" for m in micros.tolist()], dtype=object)
    codes, uniques = pd.factorize(offset_min)
    offsets = np.array([_offset_text(int(m)) for m in uniques], dtype=object)[codes]
    return base + frac + offsets


def enum_positions(values: np.ndarray, allowed: tuple[str, ...]) -> np.ndarray:
    """Positions of ``values`` in ``allowed``; -1 for null and for anything not allowed."""
    if len(values) < 64:  # a few values (one notice): a dict beats pandas' per-call cost
        position = {a: i for i, a in enumerate(allowed)}
        try:
            return np.array([position.get(v, -1) for v in values], dtype=np.int64)
        except TypeError:  # an unhashable value: let pandas say what it makes of it
            pass
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    lookup = np.append(pd.Index(list(allowed), dtype=object).get_indexer(uniques), -1)
    return lookup[codes].astype(np.int64)


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
        confirmed = (self.confirmed_us != _NAT) & (self.confirmed_us <= self.as_of_us)
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
            raise ValueError(MISSING_REQUIRED.format(field=field, rows=_rows(na)))

    def _times(self, field: str) -> np.ndarray:
        col = self._column(field)
        if col is None:
            return np.full(self.n, _NAT, dtype=np.int64)
        return self._times_of(col, field)

    def _times_of(self, col: pd.Series, field: str) -> np.ndarray:
        if col.dtype == object:
            naive = np.fromiter(
                (isinstance(v, datetime) and v.tzinfo is None for v in col.tolist()),
                dtype=bool,
                count=len(col),
            )
            if naive.any():
                raise ValueError(NOT_A_TIME.format(field=field, rows=_rows(naive)))
        parsed = parse_datetimes(col)
        bad = parsed.isna().to_numpy() & col.notna().to_numpy()
        if bad.any():
            raise ValueError(NOT_A_TIME.format(field=field, rows=_rows(bad)))
        self._check_required(field, parsed.isna().to_numpy())
        return _utc_micros(parsed)

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
        values = col.to_numpy(dtype=object)
        offsets = np.zeros(self.n, dtype=np.int64)
        own = np.zeros(self.n, dtype=bool)
        for i, v in enumerate(values.tolist()):
            m = _OFFSET_SUFFIX.search(v) if isinstance(v, str) else None
            if m is not None:
                text = m.group(1)
                own[i] = True
                if text not in ("Z", "z"):
                    sign = 1 if text[0] == "+" else -1
                    offsets[i] = sign * (int(text[1:3]) * 60 + int(text[4:6]))
        out = np.empty(self.n, dtype=object)
        if own.any():
            out[own] = _iso(self.deadline_us[own], offsets[own])
        if (~own).any():
            tokyo = parse_datetimes(col[~own]).dt.as_unit("us") + SAFETY_WINDOW
            out[~own] = format_datetimes(tokyo)
        return out


# ---------------------------------------------------------------- one notice, no pandas


_TOKYO = ZoneInfo(TIMEZONE)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _tokyo_text(utc_us: int) -> str:
    """``format_datetimes`` of one instant (UTC microseconds) in the notice frame's zone."""
    try:
        offset = (_EPOCH + timedelta(microseconds=utc_us)).astimezone(_TOKYO).utcoffset()
    except OverflowError:  # outside Python's years 1-9999: the frame's own formatter
        offset = None
    if offset is None or offset.seconds % 60 or offset.microseconds:
        stamp = pd.Series(pd.to_datetime([utc_us], unit="us", utc=True)).dt.tz_convert(TIMEZONE)
        return str(format_datetimes(stamp)[0])
    minutes = np.array([offset.days * 1440 + offset.seconds // 60], dtype=np.int64)
    return str(_iso(np.array([utc_us], dtype=np.int64), minutes)[0])


class RecordFacts(NoticeFacts):
    """The facts of one valid notice given as a dict (JSON semantics), without pandas.

    The same accessors as :class:`NoticeFacts` over a one-row notice frame of
    the same notice, giving the same arrays (a test checks this on many
    notices), so rule conditions are written once and judged either way.
    Absent and null are both unknown. ``deadline_text`` is in Japan time, as
    a notice frame's is.
    """

    def __init__(self, notice: Mapping[str, Any], *, as_of: pd.Timestamp) -> None:
        self.frame = None
        self.record = notice
        self.n = 1
        self._start(as_of)

    def _value(self, field: str) -> Any:
        value = self.record.get(field)
        if is_missing(value):
            if field in self._required:
                raise ValueError(MISSING_REQUIRED.format(field=field, rows="0"))
            return None
        return value

    def _times(self, field: str) -> np.ndarray:
        value = self._value(field)
        if value is None:
            return np.full(1, _NAT, dtype=np.int64)
        instant = rfc3339_instant(value) if isinstance(value, str) else None
        if instant is None:  # a datetime object, or text the frame would refuse too
            return super()._times_of(pd.Series([value], dtype=object), field)
        return np.array([instant.astype("datetime64[us]").view(np.int64)], dtype=np.int64)

    def unknown(self, field: str) -> np.ndarray:
        if field == "alleged_types":
            return self._type_codes()[0] < 0
        out = np.array([is_missing(self.record.get(field))])
        self._check_required(field, out)
        return out

    def _booleans_of(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        if field not in self._booleans:
            raise KeyError(f"{field!r} is not a boolean field of the notice contract")
        value = self._value(field)
        if value is not None and not isinstance(value, bool | np.bool_):
            raise ValueError(f"{field!r} holds values that are not booleans")
        known = value is not None
        return np.array([known and bool(value)]), np.array([known and not bool(value)])

    def enum_codes(self, field: str) -> np.ndarray:
        allowed = self._enums[field]
        value = self._value(field)
        if value is None:
            code = -1
        elif value in allowed:
            code = allowed.index(value)
        else:
            raise ValueError(
                NOT_IN_ENUM.format(field=field, allowed=", ".join(allowed), bad=[str(value)])
            )
        return np.array([code], dtype=np.int64)

    def _type_codes(self) -> tuple[np.ndarray, list[tuple[str, ...]]]:
        value = self._value("alleged_types")
        if value is None:
            return np.full(1, -1, dtype=np.int64), []
        items = value.tolist() if isinstance(value, np.ndarray) else value
        return np.zeros(1, dtype=np.int64), [tuple(items)]

    def integers(self, field: str) -> np.ndarray:
        value = self._value(field)
        return np.array([np.nan if value is None else float(value)])

    def strings(self, field: str) -> np.ndarray:
        value = self.record.get(field)
        return np.array([None if is_missing(value) else value], dtype=object)

    def deadline_text(self) -> np.ndarray:
        return np.array([_tokyo_text(int(self.deadline_us[0]))], dtype=object)
