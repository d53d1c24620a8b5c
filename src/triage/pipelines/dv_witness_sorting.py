"""DV-witness sorting: dv_witness notices → temporal split → features → candidates →
calibration → capacity-aware routing (CGC or municipality) → evaluation against the
oracle → MLflow. Run it with ``triage run configs/dv_witness_sorting.yaml`` or with
``mlflow run pipelines -e dv_witness_sorting ...``.
"""

from __future__ import annotations

from pathlib import Path

from triage.contract.columns import P_HARM
from triage.experiment.config import ExperimentConfig
from triage.experiment.data import load_data
from triage.experiment.progress import Steps
from triage.experiment.routing import (
    CHECKLIST_RULE,
    ORACLE,
    ORACLE_CUT,
    assess_routing,
    capacity_cut,
    dv_notices,
    fixed_cut,
    log_routing,
    natural_cut,
    print_routing,
    route_target,
)
from triage.experiment.split import temporal_split
from triage.experiment.training import (
    check_candidate_params,
    fit_candidates,
    scoring_pipeline,
    select,
)
from triage.features import NoticeFeatures
from triage.report import log_card


def run(
    cfg: ExperimentConfig,
    *,
    config_path: Path | None = None,
    console=None,
    quiet=False,
    reports: Path = Path("reports"),
):
    check_candidate_params(cfg)
    steps = Steps(console, quiet=quiet)
    with steps("data (dv_witness notices)"):
        data = dv_notices(load_data(cfg.data, seed=cfg.seed))
    with steps("temporal split"):
        split = temporal_split(data.notices["received_at"], **cfg.split.model_dump())
    with steps("features"):
        features = NoticeFeatures(include_sensitive=cfg.features.include_sensitive)
        features.fit(data.notices.iloc[split.train])
        X = features.transform(data.notices)
        names = list(features.get_feature_names_out())
        y = route_target(data.truth, cfg.target)
    with steps("candidates and calibration"):
        cands = fit_candidates(
            cfg, X[split.train], y[split.train], X[split.calibration], y[split.calibration], names
        )
        chosen, selection = select(
            cands, y[split.calibration], metric=cfg.selection.metric, among=cfg.selection.among
        )
    with steps("routing cuts"):
        per_day, days = cfg.routing.cgc_per_day, split.days("calibration")
        risk_cal = {n: c.risk_cal for n, c in cands.items()}
        risk_cal[ORACLE] = data.truth[P_HARM].to_numpy()[split.calibration]
        cuts = {n: capacity_cut(r, days=days, cgc_per_day=per_day) for n, r in risk_cal.items()}
        cuts[ORACLE_CUT] = fixed_cut(natural_cut(cfg), "p_harm at the spec's urgent cut point")
    with steps("evaluation"):
        test = split.test
        p_harm = data.truth[P_HARM].to_numpy()[test]
        risks = {n: c.calibrated.predict_proba(X[test])[:, 1] for n, c in cands.items()}
        routes = {n: cuts[n].assign(r) for n, r in risks.items()}
        if "dv_checklist" in cands:  # current practice on its own rule, beside its capacity routing
            routes[CHECKLIST_RULE] = cands["dv_checklist"].model.predict_route(X[test])
        oracle_routes = {n: cuts[n].assign(p_harm) for n in (ORACLE, ORACLE_CUT)}
        assessment = assess_routing(
            data.truth.iloc[test], risks, routes, oracle_routes=oracle_routes,
            n_boot=cfg.evaluation.n_boot, seed=cfg.seed, level=cfg.evaluation.level,
            bins=cfg.evaluation.ece_bins,
        )  # fmt: skip
    with steps("MLflow"):
        logged = log_routing(
            cfg,
            config_path=config_path,
            data=data,
            split=split,
            candidates=cands,
            chosen=chosen,
            selection=selection,
            cuts=cuts,
            assessment=assessment,
            pipeline=scoring_pipeline(features, cands[chosen]),
            example=data.notices.iloc[test[:3]],
        )
    with steps("model card"):
        card_dir = reports / cfg.name
        log_card(logged.run_id, lang="ja", keep=card_dir)
    if console is not None:
        print_routing(
            assessment,
            console,
            survey_share=cfg.routing.survey_municipality_share,
            capacity=cuts[ORACLE].basis,
        )
        console.print(f"model card (ja): {card_dir}/model_card.html; also under report/ in the run")
        console.print(logged.summary(), markup=False, highlight=False)
    return logged
