"""The routing assessment: every candidate and the oracle(s) on the test notices, true route.

Evaluation reuses ``triage.evaluation``: routes become tiers (``cgc`` →
``urgent``, ``municipality`` → ``standard``), so ``under_triage`` is
under-routing (truly ``cgc`` notices sent to the municipality) and
``over_triage`` is over-routing (truly municipal notices sent to the CGC). The
share routed to the municipality gets its interval from a second call with
every true tier ``standard`` (then ``over_triage`` is the share sent to the
CGC); the same seed and sample size give the same resamples, so it is paired
with the other figures. With ``k`` (the notices the CGC can take in the test period),
recall at capacity is the share of truly-CGC notices among the ``k`` riskiest, as for
an intake run. Calibration (slope and intercept of P(cgc) against the
true route) is a point estimate, as the card's calibration table shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from triage.contract.columns import P_HARM
from triage.evaluation import auc, bootstrap_intervals, evaluate, over_triage, under_triage
from triage.experiment.assessment import flatten_metrics
from triage.experiment.routing import (
    MUNICIPALITY,
    ORACLE,
    ROUTE_COLUMNS,
    as_tiers,
    route_target,
)

RENAMED = {"under_triage": "under_routing", "over_triage": "over_routing"}
HEADLINE = ("share_municipality", "under_routing", "over_routing", "auc", "auc_ratio")
CALIBRATION = ("cal_slope", "cal_intercept")


@dataclass(frozen=True)
class RoutingAssessment:
    metrics: dict[str, dict[str, dict[str, float]]]  # outcome → candidate → metric → value
    intervals: pd.DataFrame  # (candidate, metric) × estimate/low/high, true route
    level: float
    n_boot: int
    n: int
    k: int | None = None  # notices the CGC can take in the test period (recall at capacity)

    def flat_metrics(self) -> dict[str, float]:
        """``{outcome}.{candidate}.{metric}`` plus ``_low``/``_high`` on the true route."""
        return flatten_metrics(self.metrics, {"true": self.intervals})

    def headline(self) -> pd.DataFrame:
        """One row per candidate (oracles last): (estimate, low, high) of each headline figure."""
        rows = []
        for cand in self.metrics["true"]:
            row: dict[str, object] = {"candidate": cand}
            for metric in HEADLINE:
                if (cand, metric) in self.intervals.index:
                    est, lo, hi = self.intervals.loc[(cand, metric), ["estimate", "low", "high"]]
                    row[metric] = (float(est), float(lo), float(hi))
            rows.append(row)
        return pd.DataFrame(rows).set_index("candidate")


def assess_routing(
    truth_test: pd.DataFrame,
    risks: dict[str, np.ndarray],
    routes: dict[str, np.ndarray],
    *,
    oracle_routes: dict[str, np.ndarray],
    n_boot: int,
    seed: int,
    level: float,
    bins: int = 10,
    k: int | None = None,
) -> RoutingAssessment:
    """Every candidate and the oracle(s) on the test notices, judged on the true route.

    ``risks``: P(cgc) per candidate; ``routes``: routes per name (a name in
    ``routes`` but not in ``risks``, such as the checklist's own rule, scores
    with the risk of the candidate whose name it starts with);
    ``oracle_routes``: routes of the oracle (``p_harm``) under each of its cuts;
    ``k``: the CGC's capacity over the test period, for recall at capacity.
    """
    p_harm = truth_test[P_HARM].to_numpy(float)
    scores = {name: _score_for(name, risks) for name in routes}
    scores.update({name: p_harm for name in oracle_routes})
    all_routes = {**routes, **oracle_routes}
    tiers = {name: as_tiers(r) for name, r in all_routes.items()}
    true_tiers = as_tiers(truth_test[ROUTE_COLUMNS["true"]].astype(object).to_numpy())
    y = route_target(truth_test, "true").astype(bool)

    def intervals(true_tiers: np.ndarray, k: int | None = None) -> pd.DataFrame:
        return bootstrap_intervals(
            y, scores, tiers=tiers, true_tiers=true_tiers, k=k,
            n_boot=n_boot, seed=seed, level=level, oracle_key=ORACLE, bins=bins,
        )  # fmt: skip

    table = intervals(true_tiers, k).rename(index=RENAMED, level="metric")
    everyone_standard = np.full(len(y), "standard", dtype=object)
    to_cgc = intervals(everyone_standard).xs("over_triage", level="metric")
    share = pd.DataFrame(
        {"estimate": 1 - to_cgc["estimate"], "low": 1 - to_cgc["high"], "high": 1 - to_cgc["low"]}
    )
    share.index = pd.MultiIndex.from_product(
        [share.index, ["share_municipality"]], names=["candidate", "metric"]
    )
    table = pd.concat([table, share])
    table = table.reindex([(c, m) for c in scores for m in _order(table, c)])  # given order
    metrics: dict[str, dict[str, dict[str, float]]] = {"true": {}, "recorded": {}}
    for cand, p in scores.items():
        metrics["true"][cand] = {
            m: float(table.loc[(cand, m), "estimate"]) for m in _order(table, cand)
        }
        fitted = evaluate(y, p, bins=bins)  # nan where p separates the routes (the oracle)
        metrics["true"][cand].update({m: fitted[m] for m in CALIBRATION})
    rec_y = route_target(truth_test, "recorded").astype(bool)
    rec_tiers = as_tiers(truth_test[ROUTE_COLUMNS["recorded"]].astype(object).to_numpy())
    for cand, p in scores.items():
        metrics["recorded"][cand] = {
            "share_municipality": float(np.mean(all_routes[cand] == MUNICIPALITY)),
            "under_routing": under_triage(tiers[cand], rec_tiers),
            "over_routing": over_triage(tiers[cand], rec_tiers),
            "auc": auc(rec_y, p),
        }
    return RoutingAssessment(
        metrics=metrics, intervals=table, level=level, n_boot=n_boot, n=len(y), k=k
    )


def _score_for(name: str, risks: dict[str, np.ndarray]) -> np.ndarray:
    if name in risks:
        return risks[name]
    owner = max((r for r in risks if name.startswith(r)), key=len, default=None)
    if owner is None:
        raise ValueError(f"routes given for {name!r}, which has no risk")
    return risks[owner]


def _order(table: pd.DataFrame, cand: str) -> list[str]:
    have = set(table.loc[cand].index)
    first = [m for m in HEADLINE if m in have]
    return first + sorted(have - set(first))
