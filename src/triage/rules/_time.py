"""The instants the rules judge at and write: ``as_of``, UTC microseconds, ISO 8601 text.

Rules compare instants as int64 microseconds since the epoch (UTC), ``NAT``
for none: whole columns compare at numpy speed, and one notice needs no
pandas. Deadlines are written back as ISO 8601 in the offset the notice was
written in, or in Japan time (``TIMEZONE``) when it has none of its own.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from triage.notices import TIMEZONE, format_datetimes

AS_OF_NEEDS_OFFSET = "as_of needs a time zone offset, e.g. 2024-04-01T09:00:00+09:00"
AS_OF_NOT_A_TIME = "as_of is not an ISO 8601 date-time with offset, got {got!r}"

SAFETY_WINDOW = pd.Timedelta(hours=48)
"""``safety_deadline = received_at + 48 h`` (contracts/README.md, R-48H)."""

NAT = np.iinfo(np.int64).min
"""No instant, in int64 microseconds (what NaT is in numpy's datetime64)."""

_US_PER_MINUTE = 60_000_000
_OFFSET_SUFFIX = re.compile(r"([Zz]|[+-]\d\d:\d\d)$")
_TOKYO = ZoneInfo(TIMEZONE)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


def utc_micros(s: pd.Series) -> np.ndarray:
    """int64 microseconds since the epoch (UTC) of a tz-aware series; NaT -> ``NAT``."""
    naive = s.dt.tz_convert("UTC").dt.tz_localize(None).dt.as_unit("us")
    return naive.to_numpy(dtype="datetime64[us]").view(np.int64)


def written_offsets(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per value, the UTC offset in minutes that its RFC 3339 text ends with, and whether it has one."""
    offsets = np.zeros(len(values), dtype=np.int64)
    own = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values.tolist()):
        m = _OFFSET_SUFFIX.search(v) if isinstance(v, str) else None
        if m is not None:
            text = m.group(1)
            own[i] = True
            if text not in ("Z", "z"):
                sign = 1 if text[0] == "+" else -1
                offsets[i] = sign * (int(text[1:3]) * 60 + int(text[4:6]))
    return offsets, own


def _offset_text(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def iso(utc_us: np.ndarray, offset_min: np.ndarray) -> np.ndarray:
    """ISO 8601 text of UTC instants written in the given offsets (seconds; micros when non-zero)."""
    local = (utc_us + offset_min * _US_PER_MINUTE).astype("datetime64[us]")
    secs = local.astype("datetime64[s]")
    base = np.datetime_as_string(secs, unit="s").astype(object)
    micros = (local - secs).astype(np.int64)
    frac = np.array([f".{m:06d}" if m else "" for m in micros.tolist()], dtype=object)
    codes, uniques = pd.factorize(offset_min)
    offsets = np.array([_offset_text(int(m)) for m in uniques], dtype=object)[codes]
    return base + frac + offsets


def tokyo_text(utc_us: int) -> str:
    """``format_datetimes`` of one instant (UTC microseconds) in the notice frame's zone."""
    try:
        offset = (_EPOCH + timedelta(microseconds=utc_us)).astimezone(_TOKYO).utcoffset()
    except OverflowError:  # outside Python's years 1-9999: the frame's own formatter
        offset = None
    if offset is None or offset.seconds % 60 or offset.microseconds:
        stamp = pd.Series(pd.to_datetime([utc_us], unit="us", utc=True)).dt.tz_convert(TIMEZONE)
        return str(format_datetimes(stamp)[0])
    minutes = np.array([offset.days * 1440 + offset.seconds // 60], dtype=np.int64)
    return str(iso(np.array([utc_us], dtype=np.int64), minutes)[0])
