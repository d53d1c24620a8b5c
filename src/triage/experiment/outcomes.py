"""What a data set's outcomes let a run judge: the simulator's truth when it has it, else the
recorded outcomes only.

A simulator's data carry its truth beside the notices (``p_harm``, ``harm_90d``,
``true_tier``). An agency's own records, and notices synthesized from a release of
its aggregates, carry only what was recorded (``recorded_harm_90d``,
``recorded_tier``). ``has_truth`` is the one test of which kind a data set is;
``Reference`` is what follows from it for a run: the outcomes it is judged
against (headline first), the tier its suggested tiers are compared with, and
whether there is an oracle (``p_harm``) to compare candidates with. A run without
truth tags itself ``data.ground_truth: none`` so its model card can say so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from triage.contract import TIERS
from triage.contract.columns import (
    P_HARM,
    RECORDED_HARM,
    RECORDED_TIER,
    TRUE_HARM,
    TRUE_TIER,
)
from triage.experiment.config import ConfigError

TRUTH: tuple[str, ...] = (P_HARM, TRUE_HARM, TRUE_TIER)
"""The simulator's truth an urgency run reads: a data set holds all of it or none of it."""
RECORDED: tuple[str, ...] = (RECORDED_HARM, RECORDED_TIER)
"""What every data set holds: the recorded outcome and tier of each notice."""

GROUND_TRUTH_TAG = "data.ground_truth"
NO_GROUND_TRUTH = "none"
"""The tag (and its value) of a run whose data had no truth: judged on recorded outcomes only."""


def has_truth(truth: pd.DataFrame) -> bool:
    """Whether the outcome frame beside the notices holds the simulator's truth (``TRUTH``)."""
    return all(column in truth.columns for column in TRUTH)


@dataclass(frozen=True)
class Reference:
    """What a run's test period is judged against."""

    outcomes: dict[str, str]
    """Outcome name (``true``, ``recorded``) → its column, the headline outcome first."""
    tier_column: str
    """The tier suggested tiers are compared with (under-triage, the tier confusion)."""
    oracle: bool
    """Whether the true probability of harm is there to score as the oracle."""

    @property
    def headline(self) -> str:
        """The outcome with bootstrap intervals, shown first: ``true``, or ``recorded``."""
        return next(iter(self.outcomes))


WITH_TRUTH = Reference(
    outcomes={"true": TRUE_HARM, "recorded": RECORDED_HARM}, tier_column=TRUE_TIER, oracle=True
)
RECORDED_ONLY = Reference(
    outcomes={"recorded": RECORDED_HARM}, tier_column=RECORDED_TIER, oracle=False
)


def check_outcomes(truth: pd.DataFrame, *, source: str) -> None:
    """Refuse outcomes a run cannot be judged on, in one line naming the column and a notice.

    The truth is all there or absent (a part of it would be read as if whole);
    the recorded outcome is 0/1 and the recorded tier one of ``TIERS`` in every
    row (an agency's extract may leave them empty).
    """
    present = [c for c in TRUTH if c in truth.columns]
    if present and len(present) < len(TRUTH):
        missing = ", ".join(c for c in TRUTH if c not in present)
        raise ConfigError(
            f"truth: the data ({source}) hold {', '.join(present)} but not {missing}: "
            "expected all of the simulator's truth or none of it (recorded outcomes only)",
            param="truth",
        )
    for column in RECORDED:
        if column not in truth.columns:
            raise ConfigError(
                f"truth: the data ({source}) have no {column} column; every notice needs "
                f"its recorded outcome ({', '.join(RECORDED)})",
                param="truth",
            )
    _check_values(truth, RECORDED_HARM, (0, 1), "0 or 1", source)
    _check_values(truth, RECORDED_TIER, TIERS, f"one of {', '.join(TIERS)}", source)


def _check_values(
    truth: pd.DataFrame, column: str, allowed: tuple, expected: str, source: str
) -> None:
    bad = ~truth[column].astype(object).isin(allowed).to_numpy(bool)
    if not bad.any():
        return
    first = int(np.flatnonzero(bad)[0])
    value = truth[column].iloc[first]
    where = (
        f"notice_id {truth['notice_id'].iloc[first]}" if "notice_id" in truth else f"row {first}"
    )
    more = f" and {int(bad.sum()) - 1} more" if bad.sum() > 1 else ""
    raise ConfigError(
        f"truth: {column}: expected {expected}, got {value!r} at {where}{more} ({source})",
        param="truth",
    )
