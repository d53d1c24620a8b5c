"""DV-witness routing (面前DV): library steps for sorting police notices between CGC and municipality.

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

Evaluation reuses ``triage.evaluation``: routes become tiers (``cgc`` →
``urgent``, ``municipality`` → ``standard``), so ``under_triage`` is
under-routing (truly ``cgc`` notices sent to the municipality) and
``over_triage`` is over-routing (truly municipal notices sent to the CGC). The
share routed to the municipality gets its interval from a second call with
every true tier ``standard`` (then ``over_triage`` is the share sent to the
CGC); the same seed and sample size give the same resamples, so it is paired
with the other figures.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from triage.contract.columns import P_HARM, ROUTE_TARGETS
from triage.evaluation import auc, bootstrap_intervals, over_triage, under_triage
from triage.experiment.data import Dataset
from triage.labels import DECISION_SUPPORT_NOTICE
from triage.tiers import from_capacity

DV_KIND = "dv_witness"
CGC, MUNICIPALITY = "cgc", "municipality"
ROUTE_COLUMNS = ROUTE_TARGETS
"""Config ``target`` → truth column (1 = ``cgc``)."""
ROUTE_AS_TIER = {CGC: "urgent", MUNICIPALITY: "standard"}
ORACLE, ORACLE_CUT = "oracle", "oracle_cut"
CHECKLIST_RULE = "dv_checklist_rule"
"""The DV checklist on its own rule (a CGC question fired), beside its capacity routing."""

RENAMED = {"under_triage": "under_routing", "over_triage": "over_routing"}
HEADLINE = ("share_municipality", "under_routing", "over_routing", "auc", "auc_ratio")
COLUMNS = {
    "share_municipality": "share to municipality",
    "under_routing": "under-routing",
    "over_routing": "over-routing",
    "auc": "AUC (cgc)",
    "auc_ratio": "AUC / oracle",
}


# --- data and target -----------------------------------------------------------


def dv_notices(data: Dataset) -> Dataset:
    """Only the DV-witness notices, with their truth, row for row."""
    keep = (data.notices["notice_kind"].astype(object) == DV_KIND).to_numpy()
    if not keep.any():
        raise ValueError("data: no dv_witness notices to route")
    info = {**data.tags(), "data.dv_witness_n": str(int(keep.sum()))}
    return Dataset(
        notices=data.notices.loc[keep].reset_index(drop=True),
        truth=data.truth.loc[keep].reset_index(drop=True),
        info=info,
    )


def route_target(truth: pd.DataFrame, target: str) -> np.ndarray:
    """1 where the route (true or recorded, by ``target``) is ``cgc``, else 0."""
    return (truth[ROUTE_COLUMNS[target]].astype(object) == CGC).to_numpy(int)


def natural_cut(cfg) -> float:
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


# --- evaluation ------------------------------------------------------------------


@dataclass(frozen=True)
class RoutingAssessment:
    metrics: dict[str, dict[str, dict[str, float]]]  # outcome → candidate → metric → value
    intervals: pd.DataFrame  # (candidate, metric) × estimate/low/high, true route
    level: float
    n_boot: int
    n: int

    def flat_metrics(self) -> dict[str, float]:
        """``{outcome}.{candidate}.{metric}`` plus ``_low``/``_high`` on the true route."""
        from triage.experiment.assessment import flatten_metrics

        return flatten_metrics(self.metrics, {"true": self.intervals})

    def headline(self) -> pd.DataFrame:
        """One row per candidate (oracles last): (estimate, low, high) of each headline figure."""
        rows = []
        for cand in self.metrics["true"]:
            row = {"candidate": cand}
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
) -> RoutingAssessment:
    """Every candidate and the oracle(s) on the test notices, judged on the true route.

    ``risks``: P(cgc) per candidate; ``routes``: routes per name (a name in
    ``routes`` but not in ``risks``, such as the checklist's own rule, scores
    with the risk of the candidate whose name it starts with);
    ``oracle_routes``: routes of the oracle (``p_harm``) under each of its cuts.
    """
    p_harm = truth_test[P_HARM].to_numpy(float)
    scores = {name: _score_for(name, risks) for name in routes}
    scores.update({name: p_harm for name in oracle_routes})
    all_routes = {**routes, **oracle_routes}
    tiers = {name: as_tiers(r) for name, r in all_routes.items()}
    true_tiers = as_tiers(truth_test[ROUTE_COLUMNS["true"]].astype(object).to_numpy())
    y = route_target(truth_test, "true").astype(bool)
    common = dict(n_boot=n_boot, seed=seed, level=level, oracle_key=ORACLE, bins=bins)
    table = bootstrap_intervals(y, scores, tiers=tiers, true_tiers=true_tiers, **common)
    table = table.rename(index=RENAMED, level="metric")
    to_cgc = bootstrap_intervals(
        y, scores, tiers=tiers, true_tiers=np.full(len(y), "standard", dtype=object), **common
    ).xs("over_triage", level="metric")
    share = pd.DataFrame(
        {"estimate": 1 - to_cgc["estimate"], "low": 1 - to_cgc["high"], "high": 1 - to_cgc["low"]}
    )
    share.index = pd.MultiIndex.from_product(
        [share.index, ["share_municipality"]], names=["candidate", "metric"]
    )
    table = pd.concat([table, share])
    table = table.reindex([(c, m) for c in scores for m in _order(table, c)])  # given order
    metrics = {"true": {}, "recorded": {}}
    for cand in scores:
        metrics["true"][cand] = {
            m: float(table.loc[(cand, m), "estimate"]) for m in _order(table, cand)
        }
    rec_y = route_target(truth_test, "recorded").astype(bool)
    rec_tiers = as_tiers(truth_test[ROUTE_COLUMNS["recorded"]].astype(object).to_numpy())
    for cand, p in scores.items():
        metrics["recorded"][cand] = {
            "share_municipality": float(np.mean(all_routes[cand] == MUNICIPALITY)),
            "under_routing": under_triage(tiers[cand], rec_tiers),
            "over_routing": over_triage(tiers[cand], rec_tiers),
            "auc": auc(rec_y, p),
        }
    return RoutingAssessment(metrics=metrics, intervals=table, level=level, n_boot=n_boot, n=len(y))


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


def print_routing(
    assessment: RoutingAssessment, console, *, survey_share: float, capacity: str
) -> None:
    from rich.table import Table

    from triage.experiment.assessment import fill_interval_table

    pct = round(100 * assessment.level)
    table = Table(
        title=(
            f"DV-witness routing, test period, true route: estimate [{pct}% interval]; "
            f"survey reference: centres judged {100 * survey_share:.0f}% of these notices mild "
            "(municipality) in 2023"
        ),
        caption=(
            f"{capacity}. under-routing: truly CGC notices sent to the municipality; "
            f"over-routing: truly municipal notices sent to the CGC. {ORACLE}: p_harm at the "
            f"capacity cut; {ORACLE_CUT}: p_harm at the spec's urgent cut (the true route)."
        ),
    )
    fill_interval_table(table, assessment.headline(), COLUMNS)
    console.print(table)


# --- MLflow ----------------------------------------------------------------------


def log_routing(
    cfg,
    *,
    config_path: Path | None,
    data: Dataset,
    split,
    candidates,
    chosen: str,
    selection: dict[str, float],
    cuts: dict[str, RouteCut],
    assessment: RoutingAssessment,
    pipeline,
    example,
):
    """One MLflow run: config, tags, every figure with its interval, a JSON artefact, the model."""
    import mlflow

    from triage.experiment.run_log import LoggedRun, _log_model_tables, experiment_run
    from triage.tracking import log_and_register

    target = f"{cfg.target} ({ROUTE_COLUMNS[cfg.target]} == cgc)"
    with experiment_run(cfg, data=data, split=split, chosen=chosen, target=target) as (
        run,
        uri,
        experiment_id,
    ):
        metrics = assessment.flat_metrics()
        metrics.update(
            {f"selection.{name}.{cfg.selection.metric}": v for name, v in selection.items()}
        )
        metrics.update({f"routing.{name}.cut": c.cut for name, c in cuts.items()})
        metrics["routing.cgc_per_day"] = cfg.routing.cgc_per_day
        metrics["routing.survey_municipality_share"] = cfg.routing.survey_municipality_share
        mlflow.log_metrics({k: v for k, v in metrics.items() if v is not None and math.isfinite(v)})
        config_text = (
            Path(config_path).read_text("utf-8")
            if config_path
            else json.dumps(cfg.model_dump(mode="json"), indent=2)
        )
        mlflow.log_text(config_text, "config/experiment.yaml")
        mlflow.log_dict(
            {
                "metrics": assessment.metrics,
                "intervals": assessment.intervals.reset_index().to_dict(orient="records"),
                "bootstrap": {"n_boot": assessment.n_boot, "level": assessment.level},
                "n_test": assessment.n,
                "survey_municipality_share": cfg.routing.survey_municipality_share,
                "selection": {
                    "metric": cfg.selection.metric,
                    "scores": selection,
                    "chosen": chosen,
                },
                "routing": {n: {"cut": c.cut, "basis": c.basis} for n, c in cuts.items()},
                "split": split.summary(),
            },
            "evaluation/routing_metrics.json",
        )
        mlflow.log_text(assessment.headline().to_csv(), "evaluation/routing_headline.csv")
        _log_model_tables(mlflow, candidates)
        if "dv_checklist" in candidates:
            questions = [
                {"id": q.id, "question": q.text, "tier": q.tier}
                for q in candidates["dv_checklist"].model.questions_
            ]
            mlflow.log_text(
                json.dumps(questions, ensure_ascii=False, indent=2),
                "models/dv_checklist_questions.json",
            )
        true = assessment.metrics["true"][chosen]
        description = (
            f"DV-witness routing: P(route is cgc) from the {chosen} candidate, calibrated "
            f"({cfg.calibration.method}) on {split.windows['calibration'][0].date()}.."
            f"{split.windows['calibration'][1].date()}; column 1 of predict_proba (named p_harm "
            "in the shared notice signature) is P(cgc). For dv_witness notices only. "
            f"{cuts[chosen].basis}: test share to municipality {true['share_municipality']:.3f}, "
            f"under-routing {true['under_routing']:.3f}, AUC {true['auc']:.3f}. "
            + DECISION_SUPPORT_NOTICE["en"]
        )
        version, _ = log_and_register(
            pipeline,
            example_notices=example,
            registered_model=cfg.mlflow.registered_model,
            alias=cfg.mlflow.alias,
            description=description,
            version_tags=route_tags(cuts[chosen]),  # what routing needs beside the model
        )
    return LoggedRun(
        tracking_uri=uri,
        experiment_id=experiment_id,
        run_id=run.info.run_id,
        chosen=chosen,
        model_name=cfg.mlflow.registered_model,
        model_version=version,
        alias=cfg.mlflow.alias,
    )
