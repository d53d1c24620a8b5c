"""DV-witness routing (面前DV): the notices, the target and the cuts that sort them.

A DV-witness notice goes to the child guidance centre (``cgc``) or to the
municipality. The target is 1 when the route is ``cgc``: ``true_dv_route``
(what the notice truly needed) or ``recorded_dv_route`` (what a record would
hold), chosen by the config's ``target``.

Routing is capacity-aware: the centres take ``routing.cgc_per_day`` DV-witness
notices a day, so the riskiest notices up to that volume (judged on the
calibration window) go to the CGC and the rest to the municipality. The oracle
knows ``p_harm``; ``true_dv_route`` is ``cgc`` exactly when ``p_harm`` reaches
the spec's ``urgent`` cut point, so the oracle is reported twice: at the
capacity cut (``oracle``) and at its natural cut (``oracle_cut``, no routing
errors by construction).

The assessment of the routes is ``routing_assessment``; the MLflow run,
``routing_log``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from triage.contract.columns import ROUTE_TARGETS
from triage.experiment.config import ConfigError, ExperimentConfig
from triage.experiment.data import Dataset
from triage.tiers import from_capacity

DV_KIND = "dv_witness"
CGC, MUNICIPALITY = "cgc", "municipality"
ROUTE_COLUMNS = ROUTE_TARGETS
"""Config ``target`` → truth column (1 = ``cgc``)."""
ROUTE_AS_TIER = {CGC: "urgent", MUNICIPALITY: "standard"}
ORACLE, ORACLE_CUT = "oracle", "oracle_cut"
CHECKLIST_RULE = "dv_checklist_rule"
"""The DV checklist on its own rule (a CGC question fired), beside its capacity routing."""


# --- data and target -----------------------------------------------------------


def dv_notices(data: Dataset) -> Dataset:
    """Only the DV-witness notices, with their truth, row for row.

    Their tags describe the data they were drawn from (its ``data.n`` and, once
    resolved, its fingerprint) and add ``data.dv_witness_n``. Routes are judged
    against the simulator's truth, so data without it are refused, naming ``pipeline``.
    """
    if not data.has_truth:
        raise ConfigError(
            "pipeline: dv_witness_sorting judges routes against the simulator's truth "
            f"(p_harm, true_dv_route), and the data ({data.info.get('data.source')}) hold "
            "recorded outcomes only",
            param="pipeline",
        )
    keep = (data.notices["notice_kind"].astype(object) == DV_KIND).to_numpy()
    if not keep.any():
        raise ValueError("data: no dv_witness notices to route")
    info = {**data.info, "data.dv_witness_n": str(int(keep.sum()))}
    return Dataset(
        notices=data.notices.loc[keep].reset_index(drop=True),
        truth=data.truth.loc[keep].reset_index(drop=True),
        info=info,
        fingerprint=data.fingerprint,
        documents=data.documents,
    )


def route_target(truth: pd.DataFrame, target: str) -> np.ndarray:
    """1 where the route (true or recorded, by ``target``) is ``cgc``, else 0."""
    return (truth[ROUTE_COLUMNS[target]].astype(object) == CGC).to_numpy(int)


def natural_cut(cfg: ExperimentConfig) -> float:
    """The generator spec's ``urgent`` cut point: ``true_dv_route`` is ``cgc`` iff ``p_harm`` ≥ it.

    From ``data.synthetic.spec`` (the default spec for folder data, which a
    ``triage synth`` folder was made from unless its manifest says otherwise).
    """
    from triage.experiment.data import resolve_path
    from triage.synth import load_spec

    path = cfg.data.synthetic.spec
    spec = load_spec(resolve_path(path) if path else None)
    return float(spec.outcome.tiers["urgent"])


# --- routing -------------------------------------------------------------------


@dataclass(frozen=True)
class RouteCut:
    """Risk at or above ``cut`` → ``cgc``; below → ``municipality``."""

    cut: float
    basis: str

    def assign(self, risk: np.ndarray) -> np.ndarray:
        return np.where(np.asarray(risk, float) >= self.cut, CGC, MUNICIPALITY).astype(object)


def capacity_cut(risk_cal: np.ndarray, *, days: float, cgc_per_day: float) -> RouteCut:
    """The cut that sends ``cgc_per_day`` notices a day to the CGC on the calibration window."""
    t = from_capacity(risk_cal, days=days, per_day=cgc_per_day, immediate_share=1.0)
    volume = len(risk_cal) / days
    share = min(1.0, cgc_per_day / volume)
    basis = (
        f"capacity {cgc_per_day:g} DV-witness notices a day at the CGC against {volume:.1f} "
        f"a day (top {100 * share:.1f}% to the CGC)"
    )
    return RouteCut(cut=t.urgent, basis=basis)


def fixed_cut(cut: float, basis: str) -> RouteCut:
    return RouteCut(cut=float(cut), basis=basis)


def route_tags(cut: RouteCut) -> dict[str, str]:
    """Model-version tags that turn the registered P(cgc) into a route: ``route.cgc_cut``."""
    return {"route.cgc_cut": repr(float(cut.cut)), "route.basis": cut.basis}


def as_tiers(routes: np.ndarray) -> np.ndarray:
    """Routes as tiers for ``triage.evaluation``: ``cgc`` → urgent, ``municipality`` → standard."""
    routes = np.asarray(routes, dtype=object)
    return np.where(routes == CGC, ROUTE_AS_TIER[CGC], ROUTE_AS_TIER[MUNICIPALITY]).astype(object)
