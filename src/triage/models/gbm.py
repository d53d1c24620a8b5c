"""Gradient-boosted trees with known monotone directions (LightGBM).

Columns listed in ``triage.features.MONOTONE_INCREASING`` get a +1 constraint
(raising them never lowers predicted risk); all others are free. Training is
deterministic: ``deterministic=True``, ``force_row_wise=True``, fixed
``random_state`` and thread count. The fitted booster is ``booster_`` (for
SHAP: ``booster_.predict(X, pred_contrib=True)``).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from numbers import Integral, Real
from typing import cast

import lightgbm as lgb
import numpy as np
from sklearn.utils._param_validation import Interval

from triage.contract.threads import thread_budget
from triage.features import monotone_constraints
from triage.models._base import BinaryClassifier
from triage.models.bitmask_forest import BitmaskForest

LIGHTGBM_CALLS = threading.RLock()
"""Held around every LightGBM fit and prediction of the process: LightGBM keeps the thread
count of its latest call in one process-wide variable (``LGBM_DEFAULT_NUM_THREADS``) and
sizes per-thread buffers from it, so two calls with different counts in two threads (the
truth check's one-thread refits beside a two-thread explanation) can overrun them: it
crashed the test suite once with a segmentation fault."""

PREDICT_ROWS = 32_768
"""Rows per LightGBM prediction call (a call costs well under a millisecond beside them)."""

FOREST_ROWS = 20_000
"""From this many rows on, the probabilities come from the booster's trees as bit masks
(``bitmask_forest``): LightGBM's numbers bit for bit at about a sixth of its CPU time
(171k rows of a 400-tree model: 0.3-0.45 CPU-s against 2.5), once the trees are
converted (0.2 s, once per model). Fewer rows (one notice on the intake page) are quicker
with LightGBM, unless it is busy and the masks are built (``forest_if_busy``)."""

_FORESTS: weakref.WeakKeyDictionary[lgb.Booster, BitmaskForest | None] = weakref.WeakKeyDictionary()
_FORESTS_BUILT = threading.Lock()


def bitmask_forest(booster: lgb.Booster) -> BitmaskForest | None:
    """The booster's trees as bit masks, converted once per booster (None when its model
    uses something the masks do not reproduce: LightGBM then predicts)."""
    with _FORESTS_BUILT:
        if booster not in _FORESTS:
            with LIGHTGBM_CALLS:
                _FORESTS[booster] = BitmaskForest.from_booster(booster)
        return _FORESTS[booster]


def forest_if_busy(booster: lgb.Booster) -> BitmaskForest | None:
    """The booster's bit masks when LightGBM is busy in another thread and they are built
    already, else None (the caller then waits for LightGBM).

    A background fit holds ``LIGHTGBM_CALLS`` for a second or more (the truth check's
    refits): an explanation's margins waited 1.5 s for it in a 1M run. The masks give the
    same numbers. (MLflow's input-example check predicts with a copy of the model loaded
    from its file, whose masks are not built: it still waits.)
    """
    if LIGHTGBM_CALLS.acquire(blocking=False):  # free (or held by this thread)
        LIGHTGBM_CALLS.release()
        return None
    # Without _FORESTS_BUILT: a conversion under way holds it, and would be waited for.
    return _FORESTS.get(booster)


class MonotoneLGBM(BinaryClassifier):
    """``lightgbm.LGBMClassifier`` with monotone constraints aligned to the feature names.

    Parameters
    ----------
    n_estimators : int, default 300
    learning_rate : float, default 0.05
    num_leaves : int, default 31
    min_child_samples : int, default 50
    reg_lambda : float, default 1.0
    monotone : bool, default True
        Apply ``MONOTONE_INCREASING``; ``False`` trains unconstrained (for comparison).
    num_threads : int, default 2
        At most; fewer when the process's thread budget (``TRIAGE_THREADS``) is smaller.
    random_state : int, default 0
    feature_names : sequence of str or None, default None
        Needed for the constraints: with ``x0, x1, ...`` names none applies.

    Attributes
    ----------
    estimator_ : the fitted ``LGBMClassifier`` (trained on 0/1 targets).
    monotone_constraints_ : int8 array, the constraint per column.
    """

    _parameter_constraints: dict = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "num_leaves": [Interval(Integral, 2, None, closed="left")],
        "min_child_samples": [Interval(Integral, 1, None, closed="left")],
        "reg_lambda": [Interval(Real, 0, None, closed="left")],
        "monotone": ["boolean"],
        "num_threads": [Interval(Integral, 1, None, closed="left")],
        "random_state": [Interval(Integral, 0, None, closed="left")],
        "feature_names": ["array-like", None],
    }

    def __init__(
        self,
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        min_child_samples: int = 50,
        reg_lambda: float = 1.0,
        monotone: bool = True,
        num_threads: int = 2,
        random_state: int = 0,
        feature_names: Sequence[str] | None = None,
    ):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.reg_lambda = reg_lambda
        self.monotone = monotone
        self.num_threads = num_threads
        self.random_state = random_state
        self.feature_names = feature_names

    def _fit(self, X: np.ndarray, y01: np.ndarray) -> None:
        names = [str(n) for n in self.feature_names_]
        constraints = monotone_constraints(names) if self.monotone else np.zeros(len(names))
        self.monotone_constraints_ = constraints.astype(np.int8)
        self.estimator_ = lgb.LGBMClassifier(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            reg_lambda=self.reg_lambda,
            monotone_constraints=[int(c) for c in self.monotone_constraints_],
            n_jobs=min(self.num_threads, thread_budget()),  # a sweep worker: its share
            random_state=int(self.random_state),
            deterministic=True,
            force_row_wise=True,
            verbose=-1,
        )
        with LIGHTGBM_CALLS:
            self.estimator_.fit(X, y01.astype(np.int64), feature_name=names)

    @property
    def booster_(self) -> lgb.Booster:
        """The fitted LightGBM booster (column order = ``feature_names_``)."""
        return self.estimator_.booster_

    def _proba1(self, X: np.ndarray) -> np.ndarray:
        forest = bitmask_forest(self.booster_) if len(X) >= FOREST_ROWS else None
        if forest is None:
            forest = forest_if_busy(self.booster_)
        if forest is not None:
            return forest.probability(X)
        # The booster directly: X is already checked, and the wrapper would warn that
        # the (named) model gets an unnamed array. Booster.predict is typed for every
        # mode (sparse contributions, lists); a dense X and plain prediction give an ndarray.
        # By blocks of rows, each with the threads free at its start: a prediction started
        # beside a background fit takes every core once that fit ends. Rows are scored
        # independently, so the numbers do not depend on it.
        p = np.empty(len(X))
        for start in range(0, len(X), PREDICT_ROWS):
            rows = slice(start, start + PREDICT_ROWS)
            threads = min(self.num_threads, thread_budget())
            with LIGHTGBM_CALLS:
                p[rows] = cast(np.ndarray, self.booster_.predict(X[rows], num_threads=threads))
        return p
