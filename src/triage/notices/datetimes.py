"""RFC 3339 date-times: the check every layer shares, and notice-frame time columns.

A notice time is an instant with an offset. In a notice frame it is held as
``datetime64[us, Asia/Tokyo]``: offsets given in a file are kept as instants
and shown in Japan time; microsecond resolution covers every RFC 3339 year
(0001-9999), finer fractions are truncated.
"""

from __future__ import annotations

import re
from typing import Any, Final

import numpy as np
import pandas as pd

TIMEZONE = "Asia/Tokyo"
"""Time zone of the datetime columns of a notice frame."""

DATETIME_UNIT: Final = "us"

# RFC 3339 date-time as checked by jsonschema's "date-time" format (through
# rfc3339-validator): applied to the upper-cased string, ASCII digits only.
RFC3339_DATETIME = re.compile(
    r"^([0-9]{4})-(0[1-9]|1[0-2])-([0-9]{2})"
    r"T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])(\.[0-9]+)?"
    r"(Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])\Z",  # \Z: `$` would let "...+09:00\n" through
    re.ASCII,
)
RFC3339_DATETIME_ANYCASE = re.compile(
    RFC3339_DATETIME.pattern.replace("T(", "[Tt](").replace("(Z|", "([Zz]|"), re.ASCII
)
"""``RFC3339_DATETIME`` for strings not upper-cased first (only ``T`` and ``Z`` change)."""


def is_rfc3339(text: str) -> bool:
    """RFC 3339 date-time check as ``rfc3339-validator`` does it on ``text.upper()``."""
    m = RFC3339_DATETIME_ANYCASE.match(text)
    if m is None:
        return False
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    return year > 0 and 1 <= day <= days_in_month(year, month)


def rfc3339_instant(text: str) -> np.datetime64 | None:
    """UTC instant of one RFC 3339 string (microseconds), or None if it is not one."""
    m = RFC3339_DATETIME.match(text.upper())
    if m is None:
        return None
    year, month, day, hh, mm, ss, frac, offset = m.groups()
    y, mo, d = int(year), int(month), int(day)
    if y == 0 or not 1 <= d <= days_in_month(y, mo):
        return None
    base = np.datetime64(f"{year}-{month}-{day}T{hh}:{mm}:{ss}", DATETIME_UNIT)
    micros = int((frac[1:] + "000000")[:6]) if frac else 0
    shift = 0
    if offset != "Z":
        sign = 1 if offset[0] == "+" else -1
        shift = sign * (int(offset[1:3]) * 60 + int(offset[4:6]))
    return base + np.timedelta64(micros, "us") - np.timedelta64(shift, "m")


def days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def parse_datetimes(values: pd.Series) -> pd.Series:
    """Tz-aware ``datetime64[us, Asia/Tokyo]`` from RFC 3339 strings, datetimes or NA.

    Strings must be RFC 3339 with an offset (see :mod:`triage.notices.validation`);
    anything else becomes NaT. Naive datetime64 columns raise ``ValueError``.
    """
    s = pd.Series(values).reset_index(drop=True)
    dtype = s.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        out = s.dt.tz_convert(TIMEZONE).dt.as_unit(DATETIME_UNIT)
    elif pd.api.types.is_datetime64_dtype(dtype):
        if s.notna().any():
            raise ValueError("naive datetimes have no offset; a notice time needs one")
        out = pd.Series(pd.NaT, index=s.index, dtype=pd.DatetimeTZDtype(DATETIME_UNIT, TIMEZONE))
    else:
        obj = s.astype(object)
        is_str = np.fromiter((isinstance(v, str) for v in obj), bool, len(obj))
        strings = obj[is_str]
        parsed = pd.Series(pd.NaT, index=s.index, dtype=f"datetime64[{DATETIME_UNIT}, UTC]")
        if len(strings):
            # pandas' ISO 8601 parser is fast but lenient; the strings it reads
            # differently from RFC 3339 (or not at all) are parsed one by one.
            got = pd.to_datetime(strings, utc=True, format="ISO8601", errors="coerce")
            parsed[is_str] = got.dt.as_unit(DATETIME_UNIT)
            match = RFC3339_DATETIME_ANYCASE.match
            strict = np.fromiter((match(t) is not None for t in strings), bool, len(strings))
            positions = np.flatnonzero(is_str)
            redo = positions[~strict | got.isna().to_numpy()]
            if len(redo):
                micros = (
                    parsed.dt.tz_localize(None).to_numpy().astype(f"datetime64[{DATETIME_UNIT}]")
                )
                for p in redo:
                    inst = rfc3339_instant(obj.iloc[p])
                    micros[p] = np.datetime64("NaT") if inst is None else inst
                parsed = pd.Series(pd.DatetimeIndex(micros).tz_localize("UTC"), index=s.index)
        others = ~is_str & obj.notna().to_numpy()
        if others.any():
            rest = pd.to_datetime(obj[others], utc=True, errors="coerce")
            parsed[others] = rest.dt.as_unit(DATETIME_UNIT)
        out = parsed.dt.tz_convert(TIMEZONE)
    out.index = pd.Series(values).index
    return out


def format_datetimes(values: pd.Series) -> np.ndarray:
    """ISO 8601 strings with seconds and offset (``2023-04-03T09:15:00+09:00``), None for NaT.

    Wall time and offset are those of the column's time zone. Fractions of a second are written (6 digits) only when non-zero. Vectorised.
    """
    s = pd.Series(values)
    if not isinstance(s.dtype, pd.DatetimeTZDtype):
        s = parse_datetimes(s)
    s = s.dt.as_unit(DATETIME_UNIT)
    na = s.isna().to_numpy()
    local = s.dt.tz_localize(None).to_numpy().astype("datetime64[us]")
    utc = s.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[us]")
    out = np.full(len(s), None, dtype=object)
    if na.all():
        return out
    local_ok, utc_ok = local[~na], utc[~na]
    base = np.datetime_as_string(local_ok.astype("datetime64[s]"), unit="s").astype(object)
    micros = (local_ok - local_ok.astype("datetime64[s]")).astype(np.int64)
    frac = np.full(len(base), "", dtype=object)
    has_frac = micros != 0
    if has_frac.any():
        frac[has_frac] = np.array([f".{m:06d}" for m in micros[has_frac]], dtype=object)
    minutes = ((local_ok - utc_ok) // np.timedelta64(1, "m")).astype(np.int64)
    # Offsets repeat (one per zone rule): format each distinct one once.
    codes, uniques = pd.factorize(minutes)
    offsets = np.array([_offset_text(int(m)) for m in uniques], dtype=object)[codes]
    out[~na] = base + frac + offsets
    return out


def _offset_text(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def epoch_micros(values: Any) -> np.ndarray:
    """Instants (a column, a list of date-times or RFC 3339 strings) as UTC microseconds since
    the epoch, float64, missing → NaN.

    In microseconds throughout: a notice may be dated anywhere in years 1-9999 (the frame's
    unit), and pandas' nanosecond arithmetic overflows outside 1677-2262, which one notice
    from the wrong century would turn into an error on every page showing it.
    """
    ts = pd.Series(pd.to_datetime(pd.Series(values), utc=True, format="ISO8601"))
    instants = ts.dt.as_unit("us").dt.tz_convert(None).to_numpy(dtype="datetime64[us]")
    out = instants.astype("int64").astype("float64")
    out[np.isnat(instants)] = np.nan
    return out


def epoch_micro(moment: Any) -> int:
    """One instant as UTC microseconds since the epoch (see ``epoch_micros``)."""
    return int(epoch_micros([moment])[0])
