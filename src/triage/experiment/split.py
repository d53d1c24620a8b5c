"""Temporal split: train on earlier months, calibrate on the next, test on the latest period."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from triage.contract.errors import TriageError


class SplitError(TriageError, ValueError):
    """A split that would leave a window empty or let the test period see the future."""


@dataclass(frozen=True)
class TemporalSplit:
    train: np.ndarray  # row positions
    calibration: np.ndarray
    test: np.ndarray
    windows: dict[str, tuple[pd.Timestamp, pd.Timestamp]]

    def rows(self, name: str) -> slice | np.ndarray:
        """The window's rows for ``iloc``: a slice when they are one run (notices in receipt
        order), so a frame's window is a view, not a copy; else the positions."""
        idx = getattr(self, name)
        if len(idx) and idx[-1] - idx[0] == len(idx) - 1:  # ascending positions, no gap
            return slice(int(idx[0]), int(idx[-1]) + 1)
        return idx

    def days(self, name: str) -> float:
        lo, hi = self.windows[name]
        return (hi - lo).total_seconds() / 86400

    def summary(self) -> dict[str, str]:
        return {
            f"split.{name}": f"{lo.isoformat()} .. {hi.isoformat()} ({len(getattr(self, name)):,} notices)"
            for name, (lo, hi) in self.windows.items()
        }


def temporal_split(
    received_at: pd.Series, *, calibration_months: int, test_months: int, gap_days: int
) -> TemporalSplit:
    """Windows counted back from the month after the latest notice.

    ``[train] gap [calibration] gap [test]``: the gaps drop notices whose
    90-day outcome would only be known inside the next window.
    """
    if received_at.isna().any():
        raise SplitError("received_at: every notice needs a receipt time for a temporal split")
    latest = received_at.max()
    end = (latest.tz_localize(None).to_period("M") + 1).to_timestamp().tz_localize(latest.tz)
    test_start = end - pd.DateOffset(months=test_months)
    cal_end = test_start - pd.Timedelta(days=gap_days)
    cal_start = cal_end - pd.DateOffset(months=calibration_months)
    train_end = cal_start - pd.Timedelta(days=gap_days)
    t = received_at
    train = np.flatnonzero((t < train_end).to_numpy())
    calibration = np.flatnonzero(((t >= cal_start) & (t < cal_end)).to_numpy())
    test = np.flatnonzero((t >= test_start).to_numpy())
    for name, idx in (("train", train), ("calibration", calibration), ("test", test)):
        if len(idx) == 0:
            raise SplitError(
                f"split: the {name} window is empty; the data span "
                f"{t.min().date()}..{latest.date()} is too short for "
                f"{calibration_months} calibration and {test_months} test months with {gap_days}-day gaps"
            )
    if t.iloc[test].min() < t.iloc[train].max():
        raise SplitError("split: a test notice precedes the end of the training window")
    windows = {
        "train": (t.min(), train_end),
        "calibration": (cal_start, cal_end),
        "test": (test_start, end),
    }
    return TemporalSplit(train=train, calibration=calibration, test=test, windows=windows)
