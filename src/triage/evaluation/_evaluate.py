"""One candidate's metric dict, and its comparison with the oracle."""

from __future__ import annotations

from ._capacity import ranked_top_k_metrics
from ._checks import as_binary, as_probability, same_length
from ._point import (
    NO_CONVERGENCE,
    Ranking,
    base_rate,
    brier,
    calibration,
    ece,
    log_loss,
    ranked_auc,
    ranked_pr_auc,
    ranking_of,
)
from ._tiers import TIERS_WITHOUT_TRUTH, triage_shares


def evaluate(
    y, p, *, tiers=None, true_tiers=None, k=None, bins: int = 10, ranking: Ranking | None = None
) -> dict[str, float]:
    """The flat metric dict of one candidate (names as in ``METRICS``).

    Always: ``base_rate``, ``auc``, ``pr_auc``, ``brier``, ``log_loss``, ``ece``
    (``bins`` equal-width bins), ``cal_slope``, ``cal_intercept``. With
    ``tiers`` and ``true_tiers``: ``under_triage``, ``over_triage``. With an
    int ``k``: ``recall_at_k_worst``, ``recall_at_k_best``,
    ``precision_at_k_worst``, ``precision_at_k_best`` (top ``k`` by ``p``).
    ``cal_slope`` and ``cal_intercept`` are ``nan`` when ``p`` separates ``y``
    perfectly (no finite fit). ``ranking``: ``Ranking(p)`` when the caller shares one
    between calls on the same score (two outcomes); else ``p`` is sorted here.
    """
    if (tiers is None) != (true_tiers is None):
        raise ValueError(TIERS_WITHOUT_TRUTH)
    y, p = as_binary(y), as_probability(p)
    same_length(y, p)
    ranking = ranking_of(p, ranking)
    try:
        slope, intercept = calibration(y, p)
    except ValueError as error:
        if str(error) != NO_CONVERGENCE:
            raise
        slope = intercept = float("nan")  # perfect separation: no finite calibration fit
    out = {
        "base_rate": base_rate(y),
        "auc": ranked_auc(y, ranking),
        "pr_auc": ranked_pr_auc(y, ranking),
        "brier": brier(y, p),
        "log_loss": log_loss(y, p),
        "ece": ece(y, p, bins=bins),
        "cal_slope": slope,
        "cal_intercept": intercept,
    }
    if tiers is not None:
        same_length(y, tiers)
        out.update(triage_shares(tiers, true_tiers))
    if k is not None:
        out.update(ranked_top_k_metrics(y, ranking, int(k)))
    return out


def versus_oracle(model_metrics: dict[str, float], oracle_metrics: dict[str, float]) -> dict:
    """How far a candidate is from the oracle (the true probability ``p_harm``).

    ``auc_ratio`` = model AUC / oracle AUC (1 = as good as the truth allows);
    ``brier_excess`` = model Brier - oracle Brier (0 = no excess error).
    """
    return {
        "auc_ratio": model_metrics["auc"] / oracle_metrics["auc"],
        "brier_excess": model_metrics["brier"] - oracle_metrics["brier"],
    }
