"""The pipeline's explanation step: global explanations and the truth check, logged to the run.

``compute_global_step`` computes a ``GlobalStep`` and logs nothing;
``log_global_step`` logs it to the MLflow run:

- ``explanations/*.png``: the figures of ``triage.explain.figures`` and, on
  synthetic data, ``truth_check``: model importance against the generator's
  true effect size (``triage.experiment.truth_check``);
- ``explanations/global.json``: their numbers (aggregates only) and the truth check's;
- the metrics ``truth.spearman``, ``truth.top5_overlap`` and ``truth.margin_spearman``.

The step is slow beside the rest of a small run (true effects, two refits,
TreeSHAP), so a pipeline runs it in background threads: ``start_refits`` and
``start_global_step`` (``triage.experiment.background``). ``global_step`` is
compute then log in the caller's thread; ``log_global_explanations`` logs the
global explanations of any model to the active run.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import Future
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from triage.contract.columns import P_HARM
from triage.experiment.background import in_background, in_idle_time
from triage.experiment.truth_check import (
    REFIT_ROWS,
    TRUTH_N,
    TrueEffects,
    TruthCheck,
    refit_importances,
    true_effects,
    truth_check,
)
from triage.explain.figures import png, render_figures, truth_check_figure
from triage.explain.importance import (
    GLOBAL_SAMPLE,
    GlobalExplanation,
    global_explanation,
    sample_positions,
)
from triage.explain.pipeline import unwrap

REFIT_SAMPLE = 500
"""Notices explained for each refit of the stability check (a top-5 needs fewer). On the
default config 1,000, 500 and 250 gave the same top-5 overlap (0.8); each 500 saves a
refit about 0.3 s of TreeSHAP. (Fewer training rows per refit would not be free: at 20,000
rows instead of ``REFIT_ROWS`` the overlap fell to 0.6.)"""

ERRORS = {
    "aligned": "notices_test and truth_test are not aligned row for row (notice_id differs).",
}


@dataclass(frozen=True)
class GlobalStep:
    """What the explanation step computed, before anything is logged."""

    explanation: GlobalExplanation
    check: TruthCheck | None
    effects: TrueEffects | None
    pngs: dict[str, bytes] = field(default_factory=dict)  # the figures, drawn


def compute_global_step(
    pipeline: Any,
    notices_test: pd.DataFrame,
    truth_test: pd.DataFrame | None,
    *,
    spec: Any,
    seed: int,
    X_train: np.ndarray | None = None,
    y_train: np.ndarray | None = None,
    truth_n: int = TRUTH_N,
    refit_rows: int = REFIT_ROWS,
    sample: int = GLOBAL_SAMPLE,
    refits: Future | None = None,
) -> GlobalStep:
    """The global explanations and, when the data are synthetic (``spec`` given), the
    truth check; logs nothing (``log_global_step`` does).

    The truth check holds ``truth.spearman`` (model importance against the
    generator's true effects), ``truth.top5_overlap`` (the model and two
    refits on bootstrap resamples of ``X_train``/``y_train``, other seeds;
    NaN and not logged without them) and ``truth.margin_spearman`` (model
    margin against the true logit on the sampled test notices). With
    ``spec=None`` (real data) there is no truth check. ``refits`` (from
    ``start_refits``) replaces ``X_train``/``y_train``: refits already under way.
    """
    aligned = (
        truth_test is None
        or "notice_id" not in truth_test
        or "notice_id" not in notices_test
        or np.array_equal(
            truth_test["notice_id"].to_numpy(object), notices_test["notice_id"].to_numpy(object)
        )
    )
    if not aligned:
        raise ValueError(ERRORS["aligned"])
    if spec is not None and refits is None and X_train is not None and y_train is not None:
        refits = start_refits(  # they train while the model's own notices are explained
            pipeline, notices_test, X_train, y_train,
            seed=seed, sample=sample, refit_rows=refit_rows,
        )  # fmt: skip
    g = global_explanation(pipeline, notices_test, sample=sample, seed=seed)
    pngs = render_figures(g)  # drawn while the refits train
    if spec is None:
        return GlobalStep(g, None, None, pngs)
    from scipy.special import logit
    from scipy.stats import spearmanr

    sensitive = bool(unwrap(pipeline).features.include_sensitive)
    effects = true_effects(spec, seed=seed, n=truth_n, include_sensitive=sensitive)
    others = refits.result() if refits is not None else []
    margin_rho = None
    if truth_test is not None and P_HARM in truth_test:
        true_logit = logit(truth_test[P_HARM].to_numpy(np.float64)[g.positions])
        margin_rho = float(spearmanr(g.margin, true_logit).statistic)
    check = truth_check(g.importance, effects, other_importances=others, margin_spearman=margin_rho)
    pngs["truth_check"] = png(_truth_figure(check))
    return GlobalStep(g, check, effects, pngs)


def start_refits(
    pipeline: Any,
    notices_test: pd.DataFrame,
    X_train: np.ndarray,
    y_train: np.ndarray,
    *,
    seed: int,
    sample: int = GLOBAL_SAMPLE,
    refit_rows: int = REFIT_ROWS,
) -> Future:
    """The truth check's refits (``compute_global_step``), started in a background thread.

    They need only the training window and the chosen candidate, so a pipeline
    can train them while it logs the run: its logging is single-threaded
    Python. The refits run one after another (``refit_importances``).
    """
    positions = sample_positions(len(notices_test), size=sample, seed=seed)
    refit_notices = notices_test.iloc[positions[:REFIT_SAMPLE]]
    return in_background(
        "truth-refits", refit_importances, pipeline, refit_notices, X_train, y_train,
        seed=seed, refit_rows=refit_rows,
    )  # fmt: skip


def start_global_step(*args: Any, **kwargs: Any) -> Future:
    """``compute_global_step`` in a background thread, in idle time; its ``Future`` (a
    ``GlobalStep``).

    A pipeline starts it once its test predictions are made and logs the result after
    its run is logged. At the lowest priority (``in_idle_time``) it takes only the
    cores the bootstrap and the logging leave idle: at 1M notices, started after the
    bootstrap instead, the whole run took 24.5-29.3 s against 23.3-30.0 (noise on
    this 2-core machine is about that large); the gain is the idle core it fills.
    """
    return in_idle_time("explanations", compute_global_step, *args, **kwargs)


def log_global_step(
    step: GlobalStep, *, run_id: str | None = None, artifact_dir: str = "explanations"
) -> dict[str, Any]:
    """Log figures, their JSON and the truth-check metrics to the active run (or ``run_id``)."""
    import mlflow

    with mlflow.start_run(run_id=run_id) if run_id else nullcontext():
        return _log(step.explanation, step.check, step.effects, artifact_dir, step.pngs)


def global_step(
    pipeline: Any,
    notices_test: pd.DataFrame,
    truth_test: pd.DataFrame | None,
    *,
    run_id: str | None = None,
    artifact_dir: str = "explanations",
    **kwargs: Any,
) -> dict[str, Any]:
    """``compute_global_step`` then ``log_global_step``, in the active run (or ``run_id``)."""
    step = compute_global_step(pipeline, notices_test, truth_test, **kwargs)
    return log_global_step(step, run_id=run_id, artifact_dir=artifact_dir)


def log_global_explanations(
    pipeline: Any,
    notices_test: pd.DataFrame,
    *,
    truth_effects: TrueEffects | dict[str, float] | None = None,
    artifact_dir: str = "explanations",
    sample: int = GLOBAL_SAMPLE,
    seed: int = 0,
) -> dict[str, Any]:
    """Log the global figures and their JSON to the ACTIVE MLflow run; return the JSON's dict.

    With ``truth_effects`` (``triage.experiment.truth_check.true_effects``) the truth
    check's Spearman is logged too (``truth.spearman``; the top-5 overlap needs
    refits: ``global_step``).
    """
    g = global_explanation(pipeline, notices_test, sample=sample, seed=seed)
    check = truth_check(g.importance, truth_effects) if truth_effects is not None else None
    return _log(g, check, truth_effects, artifact_dir)


def _log(
    g: GlobalExplanation,
    check: TruthCheck | None,
    effects: TrueEffects | dict[str, float] | None,
    artifact_dir: str,
    pngs: dict[str, bytes] | None = None,
) -> dict[str, Any]:
    import mlflow

    data = g.data()
    if check is not None and effects is not None:
        data["truth"] = {**check.data(), "true_effects": _effects_data(effects)}
    if pngs is None:
        pngs = render_figures(g)
        if check is not None:
            pngs["truth_check"] = png(_truth_figure(check))
    with tempfile.TemporaryDirectory() as tmp:
        for name, image in pngs.items():
            (Path(tmp) / f"{name}.png").write_bytes(image)
        mlflow.log_artifacts(tmp, artifact_dir)
    mlflow.log_dict(data, f"{artifact_dir}/global.json")
    if check is not None:
        mlflow.log_metrics(check.metrics())
    return data


def _effects_data(effects: TrueEffects | dict[str, float]) -> dict[str, Any]:
    return effects.data() if isinstance(effects, TrueEffects) else {"effects": dict(effects)}


def _truth_figure(check: TruthCheck) -> Any:
    rows = check.data()["fields"]
    return truth_check_figure(rows, spearman=check.spearman, top5_overlap=check.top5_overlap)
