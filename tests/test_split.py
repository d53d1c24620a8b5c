"""Tests of triage.experiment.split: the temporal windows, their gaps, and the rows a window takes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from triage.experiment.split import SplitError, temporal_split

WINDOWS = {"calibration_months": 4, "test_months": 6, "gap_days": 90}


def _received(days: int, *, shuffled: bool = False) -> pd.Series:
    times = pd.Series(pd.date_range("2021-04-01", periods=days * 4, freq="6h", tz="Asia/Tokyo"))
    if shuffled:
        times = times.sample(frac=1.0, random_state=0).reset_index(drop=True)
    return times


def test_windows_are_ordered_with_their_gaps_and_the_test_period_never_precedes_training():
    t = _received(3 * 365)
    split = temporal_split(t, **WINDOWS)
    train, cal, test = (t.iloc[getattr(split, w)] for w in ("train", "calibration", "test"))
    assert train.max() < cal.min() and cal.max() < test.min()
    assert (cal.min() - train.max()).days >= WINDOWS["gap_days"] - 1
    assert (test.min() - cal.max()).days >= WINDOWS["gap_days"] - 1
    assert split.days("test") == pytest.approx(
        (split.windows["test"][1] - split.windows["test"][0]).days
    )
    unused = len(t) - len(train) - len(cal) - len(test)
    assert unused > 0  # the two gaps


def test_too_short_a_span_names_the_empty_window():
    with pytest.raises(SplitError, match="window is empty"):
        temporal_split(_received(200), **WINDOWS)


def test_rows_are_a_slice_for_notices_in_receipt_order_and_positions_otherwise():
    t = _received(3 * 365)
    split = temporal_split(t, **WINDOWS)
    for w in ("train", "calibration", "test"):
        rows = split.rows(w)
        assert isinstance(rows, slice)
        np.testing.assert_array_equal(np.arange(len(t))[rows], getattr(split, w))
    shuffled = temporal_split(_received(3 * 365, shuffled=True), **WINDOWS)
    for w in ("train", "calibration", "test"):
        np.testing.assert_array_equal(shuffled.rows(w), getattr(shuffled, w))
