"""The demo's morning: the committed synthetic sample's last days, as known at the page's clock.

The committed sample spans three fiscal years; seeded whole, the queue opened
on notices from 2021 marked a thousand days overdue, nothing like a day's
work. The page instead gets the notices received in the ``SAMPLE_DAYS`` before
its clock (09:00 the morning after the sample's last notice), and only what
was known at that moment: a safety confirmation recorded after the clock had
not happened yet, so it is left out of the seeded copy (the committed file
stays as it is). The overdue marks are then exactly those the 48-hour rule
gives at the clock.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

SAMPLE = "synthetic/sample/notices.jsonl"
SAMPLE_CLOCK_HOUR = 9
SAMPLE_DAYS = 14
"""How many days before the clock the demo's notices were received: two working weeks."""


def sample_clock(received: pd.Series) -> pd.Timestamp:
    """09:00 on the day after the last notice, in the notices' own offset."""
    last = pd.to_datetime(received).max()
    return (last.normalize() + pd.Timedelta(days=1, hours=SAMPLE_CLOCK_HOUR)).tz_convert(last.tz)


def as_known_at(records: list[dict[str, Any]], clock: pd.Timestamp) -> list[dict[str, Any]]:
    """The notices received in the ``SAMPLE_DAYS`` up to ``clock``, without later confirmations."""
    since = clock - pd.Timedelta(days=SAMPLE_DAYS)
    out = []
    for rec in records:
        if not since < pd.Timestamp(rec["received_at"]) <= clock:
            continue
        confirmed = rec.get("safety_confirmed_at")
        if confirmed is not None and pd.Timestamp(confirmed) > clock:
            rec = {**rec, "safety_confirmed_at": None}
        out.append(rec)
    return out


def morning_sample(path: Path) -> tuple[list[dict[str, Any]], pd.Timestamp]:
    """The sample file's notices as the demo's page knows them, and its clock."""
    records = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    clock = sample_clock(pd.Series([r["received_at"] for r in records]))
    return as_known_at(records, clock), clock
