"""The moment of scoring against the notices scored: not centuries before them.

A ``--as-of`` typed with a wrong year (1700 for 2023) would make every notice
look received in the future: no hours elapsed, no 48-hour deadline passed, no
alarm. A moment somewhat before the notices is legitimate (replaying a day
with notices received later that day), so only one more than a year before
the earliest is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import pandas as pd

from triage.contract.errors import InvalidParameter

AS_OF_SLACK = timedelta(days=365)
"""How far before the earliest notice a moment of scoring may be."""


def refuse_as_of_long_before(as_of: datetime, received_at: Iterable[datetime]) -> None:
    """Raise ``InvalidParameter`` (``param="as_of"``) when ``as_of`` is more than
    ``AS_OF_SLACK`` before the earliest of ``received_at`` (tz-aware; missing values
    skipped). Nothing to compare (no notice): nothing refused.
    """
    times = received_at if isinstance(received_at, pd.Series) else pd.Series(list(received_at))
    if not isinstance(times.dtype, pd.DatetimeTZDtype):
        times = pd.to_datetime(times, utc=True, errors="coerce", format="ISO8601")
    times = times.dropna()
    if times.empty:
        return
    earliest = times.min()
    gap = _plain(earliest) - _plain(as_of)
    if gap <= AS_OF_SLACK:
        return
    shown = earliest.tz_convert(as_of.tzinfo) if as_of.tzinfo is not None else earliest
    raise InvalidParameter(
        f"as_of: {as_of.isoformat()} is {gap.days} days before the earliest notice "
        f"(received {shown.isoformat()}); expected a time at or after the notices",
        param="as_of",
    )


def _plain(moment: datetime) -> datetime:
    # Python datetimes, not pandas Timestamps: their difference covers years 1-9999
    # without the nanosecond range's overflow (1677-2262).
    if isinstance(moment, pd.Timestamp):
        return moment.floor("us").to_pydatetime()
    return moment
