"""Intake urgency: data → temporal split → features → candidates → calibration → tiers
→ evaluation → MLflow → explanations (the bootstrap and the explanations run while the
run is logged).

Run it with ``triage run configs/intake_urgency.yaml``
or ``mlflow run pipelines ...``.

On data without the simulator's truth (an agency's records, notices synthesized
from a release: ``Dataset.has_truth`` is false) there is no oracle, ``target``
must be ``recorded``, and the evaluation, the capacity curve and the card judge
the recorded outcomes only (``Dataset.reference``).

Background work stays in ``run``, which holds its ``Future``s and resolves each
at the step that needs it: the data's fingerprint when the MLflow run opens,
the bootstrap between logging the model and the test predictions and logging
the figures, the explanations before the card. Work whose result is wanted
only at the end (the truth check's effects, the explanations) runs in idle
time (``background.in_idle_time``): LightGBM's threads wait for each other at
every split and stall whenever another thread takes one of their cores. The
steps are handed plain values.

Registration is the last step, after the run has finished with everything in
it (figures, test predictions, explanations, card): the version is created
with its cut points, then ``@candidate`` moves. A run stopped anywhere before
leaves the alias where it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from triage.audit import log_test_predictions
from triage.contract.columns import HARM_TARGETS, P_HARM
from triage.experiment.assessment import ORACLE, assess_in_background
from triage.experiment.background import in_idle_time
from triage.experiment.config import ExperimentConfig
from triage.experiment.data import (
    check_target,
    fingerprint_in_background,
    load_data,
    synthetic_spec,
)
from triage.experiment.explanations import log_global_step, start_global_step
from triage.experiment.progress import Steps
from triage.experiment.run_inputs import RunArtefacts, RunInputs, TestPredictions
from triage.experiment.run_log import experiment_run, register_run_model
from triage.experiment.split import temporal_split
from triage.experiment.training import (
    check_candidate_params,
    scoring_pipeline,
    train_candidates,
)
from triage.experiment.truth_check import prefetch_true_effects
from triage.experiment.urgency_log import log_urgency_assessment, log_urgency_model, tier_tags
from triage.features import NoticeFeatures
from triage.pipelines.results import UrgencyResult
from triage.report import draw_card_figures_ahead, log_card
from triage.tiers import thresholds_for
from triage.tracking.fault_points import hold_for_fault_test

if TYPE_CHECKING:
    from triage.experiment.progress import Console

CARD_LANG = "ja"
"""The language of the card the pipeline writes (``triage report`` writes either)."""


def run(
    cfg: ExperimentConfig,
    *,
    config_path: Path | None = None,
    console: Console | None = None,
    quiet: bool = False,
    reports: Path = Path("reports"),
) -> UrgencyResult:
    """The pipeline, with its progress on ``console``; the command line prints the result."""
    check_candidate_params(cfg)
    steps = Steps(console, quiet=quiet)
    spec = synthetic_spec(cfg.data)
    if cfg.explanations.enabled and spec is not None:  # the truth check's effects, in idle time
        prefetch_true_effects(
            spec, seed=cfg.seed, n=cfg.explanations.truth_n,
            include_sensitive=cfg.features.include_sensitive,
        )  # fmt: skip
    with steps("data"):
        data = load_data(cfg.data, seed=cfg.seed)
        check_target(data, cfg.target)
        reference = data.reference  # the truth, or recorded outcomes only
        fingerprinting = fingerprint_in_background(data)  # meanwhile: split and features
    with steps("temporal split"):
        split = temporal_split(data.notices["received_at"], **cfg.split.model_dump())
    with steps("features"):  # of the three windows only (the gaps between them are unused)
        notices = {w: data.notices.iloc[split.rows(w)] for w in ("train", "calibration", "test")}
        truth = {w: data.truth.iloc[split.rows(w)] for w in ("train", "calibration", "test")}
        features = NoticeFeatures(include_sensitive=cfg.features.include_sensitive)
        features.fit(notices["train"])
        X_train, X_cal, X_test = (features.transform(notices[w]) for w in notices)
        names = list(features.get_feature_names_out())
        target = HARM_TARGETS[cfg.target]
        y_train, y_cal = (truth[w][target].to_numpy(int) for w in ("train", "calibration"))
    with steps("candidates and calibration"):  # and their scores on the test window
        trained = train_candidates(cfg, X_train, y_train, X_cal, y_cal, names, X_test=X_test)
        hold_for_fault_test("training")
    with steps("tier thresholds"):
        cal_days = split.days("calibration")
        risk_cal = trained.risk_cal()
        if reference.oracle:
            risk_cal[ORACLE] = truth["calibration"][P_HARM].to_numpy()
        thresholds = {n: thresholds_for(cfg.tiers, r, days=cal_days) for n, r in risk_cal.items()}
    notices_test, truth_test = notices["test"], truth["test"]
    model = scoring_pipeline(features, trained.best)
    with steps("test predictions"):
        risks = trained.test_risks()
        tiers = {n: thresholds[n].assign(r) for n, r in risks.items()}
        if "checklist" in trained.candidates:  # current practice keeps its own tiers
            tiers["checklist"] = trained.candidates["checklist"].model.predict_tier(X_test)
        if reference.oracle:
            tiers[ORACLE] = thresholds[ORACLE].assign(truth_test[P_HARM].to_numpy())
        k = min(len(notices_test), round(cfg.tiers.capacity.per_day * split.days("test")))
        assessment = assess_in_background(  # the logging below starts meanwhile
            truth_test, risks, tiers, k=k, n_boot=cfg.evaluation.n_boot,
            seed=cfg.seed, level=cfg.evaluation.level, bins=cfg.evaluation.ece_bins,
            reference=reference,
        )  # fmt: skip
        explained = None  # then the explanations, with the truth check's refits
        if cfg.explanations.enabled:
            explained = start_global_step(
                model, notices_test, truth_test,
                spec=spec, seed=cfg.seed, X_train=X_train, y_train=y_train,
                sample=cfg.explanations.sample, truth_n=cfg.explanations.truth_n,
            )  # fmt: skip
    test = TestPredictions(
        notices=notices_test, truth=truth_test, risks=risks, tiers=tiers, reference=reference
    )
    artefacts = RunArtefacts(cuts=thresholds, model=model)
    inputs = RunInputs(cfg, config_path, data.with_fingerprint(fingerprinting.result()), split)
    card_dir = reports / cfg.name
    # Everything is logged inside the run, so a FINISHED run is a complete one; the
    # model is registered after it, as the last step (run_log.register_run_model).
    with experiment_run(inputs, chosen=trained.chosen, target=cfg.target) as opened:
        with steps("evaluation and MLflow"):
            logged_model = log_urgency_model(inputs, trained, artefacts, test)
            log_test_predictions(
                opened.run_id,
                notices=notices_test,
                truth=truth_test,
                scores=risks[trained.chosen],
                tiers=tiers[trained.chosen],
                include_sensitive=cfg.features.include_sensitive,
            )
            assessed = assessment.result()  # the bootstrap ran while these were logged
            description = log_urgency_assessment(inputs, trained, artefacts, assessed)
        ahead = None
        if explained is not None:
            # The card's figures of what is logged already, drawn while the explanations end.
            ahead = in_idle_time(
                "card-ahead", draw_card_figures_ahead, opened.run_id, lang=CARD_LANG
            )
            with steps("explanations and truth check" if spec is not None else "explanations"):
                log_global_step(explained.result())
        with steps("model card"):
            if ahead is not None:
                ahead.exception()  # drawn (a failure shows again, and is reported, in the card)
            log_card(opened.run_id, lang=CARD_LANG, keep=card_dir)
    with steps("registration"):
        logged = register_run_model(
            opened,
            logged_model,
            tags=tier_tags(thresholds[trained.chosen]),
            description=description,
        )
    return UrgencyResult(logged=logged, assessment=assessed, card_dir=card_dir)
