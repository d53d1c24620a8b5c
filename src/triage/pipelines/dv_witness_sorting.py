"""DV-witness sorting: dv_witness notices → temporal split → features → candidates →
calibration → capacity-aware routing (CGC or municipality) → evaluation against the
oracle → MLflow (figures, capacity curve, test predictions for ``triage audit --run``)
→ model card → registration (last, once the run has finished). Run it with
``triage run configs/dv_witness_sorting.yaml`` or with
``mlflow run pipelines -e dv_witness_sorting ...``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from triage.contract.columns import P_HARM
from triage.experiment.config import ExperimentConfig
from triage.experiment.data import fingerprint_in_background, load_data
from triage.experiment.progress import Steps
from triage.experiment.routing import (
    CHECKLIST_RULE,
    ORACLE,
    ORACLE_CUT,
    capacity_cut,
    dv_notices,
    fixed_cut,
    natural_cut,
    route_target,
)
from triage.experiment.routing_assessment import assess_routing
from triage.experiment.routing_log import (
    log_route_predictions,
    log_routing,
    log_routing_curves,
    routing_target,
    routing_version_tags,
)
from triage.experiment.run_inputs import RunArtefacts, RunInputs
from triage.experiment.run_log import experiment_run, register_run_model
from triage.experiment.split import temporal_split
from triage.experiment.training import (
    check_candidate_params,
    scoring_pipeline,
    train_candidates,
)
from triage.features import NoticeFeatures
from triage.pipelines.results import RoutingResult
from triage.report import log_card
from triage.tracking.fault_points import hold_for_fault_test

if TYPE_CHECKING:
    from triage.experiment.progress import Console


def run(
    cfg: ExperimentConfig,
    *,
    config_path: Path | None = None,
    console: Console | None = None,
    quiet: bool = False,
    reports: Path = Path("reports"),
) -> RoutingResult:
    """The pipeline, with its progress on ``console``; the command line prints the result.

    The fingerprint of all the data (what the run's ``data.fingerprint`` tag has
    always described) is hashed in the background and resolved when the run is logged.
    """
    check_candidate_params(cfg)
    routing = cfg.dv_routing
    steps = Steps(console, quiet=quiet)
    with steps("data (dv_witness notices)"):
        loaded = load_data(cfg.data, seed=cfg.seed)
        fingerprinting = fingerprint_in_background(loaded)
        data = dv_notices(loaded)
        del loaded  # only the DV-witness notices are needed from here on
    with steps("temporal split"):
        split = temporal_split(data.notices["received_at"], **cfg.split.model_dump())
    with steps("features"):
        features = NoticeFeatures(include_sensitive=cfg.features.include_sensitive)
        features.fit(data.notices.iloc[split.train])
        X = features.transform(data.notices)
        names = list(features.get_feature_names_out())
        y = route_target(data.truth, cfg.target)
    with steps("candidates and calibration"):  # and their scores on the test window
        trained = train_candidates(
            cfg, X[split.train], y[split.train], X[split.calibration], y[split.calibration], names,
            X_test=X[split.test],
        )  # fmt: skip
        hold_for_fault_test("training")
    with steps("routing cuts"):
        per_day, days = routing.cgc_per_day, split.days("calibration")
        risk_cal = trained.risk_cal()
        risk_cal[ORACLE] = data.truth[P_HARM].to_numpy()[split.calibration]
        cuts = {n: capacity_cut(r, days=days, cgc_per_day=per_day) for n, r in risk_cal.items()}
        cuts[ORACLE_CUT] = fixed_cut(natural_cut(cfg), "p_harm at the spec's urgent cut point")
    with steps("evaluation"):
        test = split.test
        truth_test = data.truth.iloc[test]
        p_harm = truth_test[P_HARM].to_numpy()
        risks = trained.test_risks()
        routes = {n: cuts[n].assign(r) for n, r in risks.items()}
        if "dv_checklist" in trained.candidates:  # current practice, on its own rule too
            routes[CHECKLIST_RULE] = trained.candidates["dv_checklist"].model.predict_route(X[test])
        oracle_routes = {n: cuts[n].assign(p_harm) for n in (ORACLE, ORACLE_CUT)}
        k = min(len(truth_test), round(per_day * split.days("test")))  # the CGC's, test period
        assessment = assess_routing(
            truth_test, risks, routes, oracle_routes=oracle_routes,
            n_boot=cfg.evaluation.n_boot, seed=cfg.seed, level=cfg.evaluation.level,
            bins=cfg.evaluation.ece_bins, k=k,
        )  # fmt: skip
    inputs = RunInputs(cfg, config_path, data.with_fingerprint(fingerprinting.result()), split)
    model = scoring_pipeline(features, trained.best)
    artefacts = RunArtefacts(cuts=cuts, model=model)
    card_dir = reports / cfg.name
    with experiment_run(inputs, chosen=trained.chosen, target=routing_target(cfg)) as opened:
        with steps("MLflow"):
            logged_model, description = log_routing(inputs, trained, artefacts, assessment)
            log_routing_curves(inputs, truth_test, {**risks, ORACLE: p_harm})
            log_route_predictions(
                opened.run_id, notices=data.notices.iloc[test], truth=truth_test,
                risk=risks[trained.chosen], routes=routes[trained.chosen],
                include_sensitive=cfg.features.include_sensitive,
            )  # fmt: skip
        with steps("model card"):
            log_card(opened.run_id, lang="ja", keep=card_dir)
    with steps("registration"):  # last: the run finished with everything in it
        logged = register_run_model(
            opened,
            logged_model,
            tags=routing_version_tags(artefacts, trained.chosen),
            description=description,
        )
    return RoutingResult(
        logged=logged,
        assessment=assessment,
        card_dir=card_dir,
        survey_share=routing.survey_municipality_share,
        capacity=cuts[ORACLE].basis,
    )
