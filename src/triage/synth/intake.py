"""What intake stamps on a notice: its id, when it came in, when the child was seen, and where.

Times are drawn as epoch seconds over the spec's fiscal years in Japan time
(receipt by weekday, month, yearly growth and who reports; the in-person
safety check some hours later, or never); ids are numbered once the notices
are sorted by receipt, so they run in time order.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from triage.synth.spec import Spec
from triage.synth.terms import linear, sigmoid

TZ = "Asia/Tokyo"
JST = dt.timezone(dt.timedelta(hours=9))


def fiscal_span(fiscal_year: int, n_years: int) -> tuple[dt.datetime, dt.datetime]:
    """From 1 April of the first fiscal year to the end of 31 March after the last (JST)."""
    start = dt.datetime(fiscal_year - n_years + 1, 4, 1, tzinfo=JST)
    end = dt.datetime(fiscal_year + 1, 4, 1, tzinfo=JST)
    return start, end


def notice_ids(fiscal_year: int, n: int) -> pd.Series:
    """``SYN<fiscal year>-0000001`` onwards: numbers of seven digits, more from 10,000,000."""
    # one set of str objects, for both frames
    return pd.Series(numbered(f"SYN{fiscal_year}-", 1, n).astype(object), dtype=object)


def numbered(prefix: str, first: int, last: int) -> np.ndarray:
    """``prefix`` then each number from ``first`` to ``last``, zero-padded to seven digits:
    ``np.char.add(prefix, np.char.zfill(np.arange(first, last + 1).astype(str), 7))``.

    The digits are written as code points into the array's memory (a numpy str array holds
    one 4-byte code point per character): numpy's int-to-str conversion and ``zfill``
    took 0.34 CPU-s for a million ids, this 0.10.
    """
    parts = []
    width = max(7, len(str(first)))
    while first <= last:  # one part per number of digits (seven, then eight from 10,000,000)
        upto = min(last, 10**width - 1)
        numbers = np.arange(first, upto + 1)
        chars = np.empty((len(numbers), len(prefix) + width), dtype=np.uint32)
        chars[:, : len(prefix)] = [ord(c) for c in prefix]
        for k in reversed(range(width)):  # the digits from the right
            numbers, digit = np.divmod(numbers, 10)
            chars[:, len(prefix) + k] = ord("0") + digit
        parts.append(chars.view(f"U{len(prefix) + width}").ravel())
        first, width = upto + 1, width + 1
    # a shorter part's strings are padded with NUL to the longest, which numpy drops
    return np.concatenate(parts) if parts else np.array([], dtype=f"U{len(prefix) + 7}")


def received_at(spec, values, levels, rng, n, start: dt.datetime, end: dt.datetime) -> np.ndarray:
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


def confirmed_at(
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


def draw_regions(spec: Spec, values, levels, rng, n: int) -> np.ndarray:
    """A pseudonymous area code, uniform among the spec's codes of the household's urbanity."""
    out = np.empty(n, dtype=object)
    u = rng.random(n)
    for code, urbanity in enumerate(levels["region_urbanity"]):
        hit = values["region_urbanity"] == code
        pool = np.array(spec.regions[urbanity], dtype=object)
        out[hit] = pool[np.minimum((u[hit] * len(pool)).astype(np.int64), len(pool) - 1)]
    return out
