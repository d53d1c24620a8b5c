"""The evaluation step: every candidate and the oracle on the test period, side by side.

With the simulator's truth both outcomes are reported: ``true`` (``harm_90d``,
what happened) and ``recorded`` (``recorded_harm_90d``, what a record would
hold). Tiers are judged against ``true_tier``. The headline outcome (``true``)
gets paired bootstrap intervals over the same resampled notices for every
candidate and the oracle; the recorded outcome, point estimates (its intervals
would double the step's time and answer no question the true outcome leaves open).

Without truth (an agency's records, notices synthesized from a release) there
is no oracle and one outcome: ``recorded`` is the headline, with intervals, and
tiers are judged against ``recorded_tier`` (``outcomes.RECORDED_ONLY``).
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from triage.contract.columns import P_HARM
from triage.contract.errors import InvalidParameter
from triage.evaluation import (
    Ranking,
    bootstrap_intervals,
    evaluate,
    tier_confusion,
    versus_oracle,
)
from triage.experiment.background import in_background
from triage.experiment.outcomes import WITH_TRUTH, Reference
from triage.tiers import tier_codes

ORACLE = "oracle"
HEADLINE = ("auc", "brier", "ece", "under_triage", "recall_at_k_worst")


def flatten_metrics(
    metrics: dict[str, dict[str, dict[str, float]]], intervals: dict[str, pd.DataFrame]
) -> dict[str, float]:
    """MLflow keys ``{outcome}.{candidate}.{metric}``, and ``_low``/``_high`` per interval row."""
    out = {}
    for outcome, by_cand in metrics.items():
        for cand, values in by_cand.items():
            for metric, value in values.items():
                out[f"{outcome}.{cand}.{metric}"] = float(value)
    for outcome, table in intervals.items():
        for (cand, metric), row in table.iterrows():
            out[f"{outcome}.{cand}.{metric}_low"] = float(row["low"])
            out[f"{outcome}.{cand}.{metric}_high"] = float(row["high"])
    return out


@dataclass(frozen=True)
class Assessment:
    metrics: dict[str, dict[str, dict[str, float]]]  # outcome → candidate → metric → value
    intervals: dict[str, pd.DataFrame]  # outcome → (candidate, metric) × estimate/low/high
    confusion: dict[str, pd.DataFrame]  # candidate → reference tier (rows) × suggested tier
    k: int
    reference: Reference = WITH_TRUTH  # what the figures are judged against

    def flat_metrics(self) -> dict[str, float]:
        """``{outcome}.{candidate}.{metric}`` plus ``_low``/``_high`` for intervals, for MLflow."""
        return flatten_metrics(self.metrics, self.intervals)

    @property
    def headline_outcome(self) -> str:
        """``true`` with the simulator's truth, else ``recorded``."""
        return self.reference.headline

    def headline(self, outcome: str | None = None) -> pd.DataFrame:
        """One row per candidate (oracle last): estimate [low, high] of the headline figures.

        ``outcome`` defaults to the headline outcome; one the assessment does not
        have (``true`` on data without truth) is an ``InvalidParameter``.
        """
        outcome = outcome or self.headline_outcome
        if outcome not in self.intervals:
            raise InvalidParameter(
                f"outcome: expected one of {', '.join(self.intervals)} (the data hold "
                f"{'the truth' if self.reference.oracle else 'recorded outcomes only'}), "
                f"got {outcome!r}",
                param="outcome",
            )
        table = self.intervals[outcome]
        rows = []
        for cand in self.metrics[outcome]:
            row: dict[str, object] = {"candidate": cand}
            for metric in (*HEADLINE, "auc_ratio"):
                if (cand, metric) in table.index:
                    est, lo, hi = table.loc[(cand, metric), ["estimate", "low", "high"]]
                    row[metric] = (float(est), float(lo), float(hi))
            rows.append(row)
        return pd.DataFrame(rows).set_index("candidate")


def assess(
    truth_test: pd.DataFrame,
    risks: dict[str, np.ndarray],
    tiers: dict[str, np.ndarray],
    *,
    k: int,
    n_boot: int,
    seed: int,
    level: float,
    bins: int,
    reference: Reference = WITH_TRUTH,
) -> Assessment:
    """``risks`` and ``tiers`` per candidate on the test notices, judged as ``reference`` says;
    the oracle (with the truth only) is added here."""
    scores = dict(risks)
    if reference.oracle:
        scores[ORACLE] = truth_test[P_HARM].to_numpy(float)
    # Tier names become codes once: every tier metric below reads codes directly.
    true_tiers = tier_codes(truth_test[reference.tier_column].astype(str).to_numpy())
    tiers = {name: tier_codes(given) for name, given in tiers.items()}
    ys = {
        outcome: truth_test[column].to_numpy(bool) for outcome, column in reference.outcomes.items()
    }
    # Each score sorted once for every rank-based figure of both outcomes, point and
    # bootstrap (it was sorted 12 to 14 times: ~0.5 CPU-s of the 1M assessment).
    rankings = {name: Ranking(np.asarray(p, dtype=np.float64)) for name, p in scores.items()}

    def intervals_of(outcome: str) -> pd.DataFrame:
        return bootstrap_intervals(
            ys[outcome],
            scores,
            tiers=tiers,
            true_tiers=true_tiers,
            k=k,
            n_boot=n_boot if outcome == reference.headline else 0,
            seed=seed,
            level=level,
            oracle_key=ORACLE,
            bins=bins,
            rankings=rankings,
        )

    # BLAS keeps one thread for the whole assessment: the two outcomes' bootstraps run
    # side by side, and each one's own limit, lifted when it ended, lifted it under the
    # other; BLAS then changed kernels mid-run, and the intervals' last digits with them.
    with threadpool_limits(limits=1, user_api="blas"):
        # The bootstrap (two threads of its own) starts first; the point metrics, one
        # thread of Python and sorting, are computed meanwhile.
        pending = {outcome: in_background("bootstrap", intervals_of, outcome) for outcome in ys}
        metrics: dict[str, dict[str, dict[str, float]]] = {}
        for outcome, y in ys.items():
            by_cand = {
                name: evaluate(
                    y,
                    p,
                    tiers=tiers[name],
                    true_tiers=true_tiers,
                    k=k,
                    bins=bins,
                    ranking=rankings[name],
                )
                for name, p in scores.items()
            }
            if reference.oracle:
                for name in risks:
                    by_cand[name].update(versus_oracle(by_cand[name], by_cand[ORACLE]))
            metrics[outcome] = by_cand
        confusion = {
            name: tier_confusion(t, true_tiers).rename_axis(index=reference.tier_column)
            for name, t in tiers.items()
        }
        intervals = {outcome: future.result() for outcome, future in pending.items()}
    return Assessment(
        metrics=metrics, intervals=intervals, confusion=confusion, k=k, reference=reference
    )


def assess_in_background(
    truth_test: pd.DataFrame,
    risks: dict[str, np.ndarray],
    tiers: dict[str, np.ndarray],
    *,
    k: int,
    n_boot: int,
    seed: int,
    level: float,
    bins: int,
    reference: Reference = WITH_TRUTH,
) -> Future[Assessment]:
    """``assess`` in a background thread: a pipeline logs what needs no figures meanwhile.

    The pipeline keeps the ``Future`` and resolves it between its logging steps.
    """
    return in_background(
        "assess", assess, truth_test, risks, tiers,
        k=k, n_boot=n_boot, seed=seed, level=level, bins=bins, reference=reference,
    )  # fmt: skip
