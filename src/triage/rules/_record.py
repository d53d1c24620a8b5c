"""The facts of one notice given as a dict, judged without pandas.

Scoring one notice through a one-row frame costs pandas' per-call overhead on
every accessor; ``RecordFacts`` reads the dict directly and gives the arrays
``NoticeFacts`` would give for that one-row frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from triage.notices import is_missing, rfc3339_instant
from triage.rules._facts import NoticeFacts
from triage.rules._time import NAT, tokyo_text
from triage.rules._values import MISSING_REQUIRED, NOT_IN_ENUM


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
            return np.full(1, NAT, dtype=np.int64)
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
        return np.array([tokyo_text(int(self.deadline_us[0]))], dtype=object)
