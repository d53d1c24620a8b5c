"""What each level of protection costs: simulated agency records → release → synthesize → models.

simulated records with known truth → temporal split → a release of the
agency's windows only (train and calibration; the test window never leaves)
at each level (the rows themselves; sdc k; dp ε) → notices synthesized from
the release → the usual candidates, trained and calibrated on them → judged
on the real test window against the truth: AUC / oracle, ECE, under-triage,
recall at capacity, and the fairness audit's largest gap in missed harm
(false-negative rate of the immediate and urgent tiers) between groups, each
with its bootstrap interval. One table and one figure, logged in MLflow with
the experiment's card.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from triage.aggregates.attributes import to_notices, to_records
from triage.aggregates.fit import fit_model, sample_records
from triage.aggregates.release import build_release
from triage.aggregates.spec import load_release_spec
from triage.audit import audit
from triage.contract.columns import RECORDED_HARM, RECORDED_TIER, TRUE_HARM
from triage.experiment.assessment import assess
from triage.experiment.config import ExperimentConfig, load_config
from triage.experiment.data import resolve_path
from triage.experiment.split import TemporalSplit, temporal_split
from triage.experiment.training import fit_candidates
from triage.features import SENSITIVE_FIELDS, NoticeFeatures
from triage.pipelines.utility_config import UtilityConfig
from triage.tiers import thresholds_for

GAP_METRIC = "fnr"
"""The group gap reported: missed harm among the notices that led to harm."""
FLAG_TIERS = ("immediate", "urgent")
MIN_GROUP_SHARE = 0.05
"""Groups smaller than this share of the test window are left out of the headline gap: at a
few thousand notices their FNR differences are mostly noise (the audit itself keeps them)."""


@dataclass(frozen=True)
class Level:
    name: str  # "rows", "sdc k=10", "dp ε=1"
    method: str  # "rows" | "sdc" | "dp"
    value: float | None  # k or ε


def levels_of(cfg: UtilityConfig) -> list[Level]:
    out = [Level("rows", "rows", None)] if cfg.levels.rows else []
    out += [Level(f"sdc k={k}", "sdc", float(k)) for k in cfg.levels.sdc_k]
    out += [Level(f"dp ε={e:g}", "dp", float(e)) for e in cfg.levels.dp_epsilon]
    return out


@dataclass(frozen=True)
class UtilityResult:
    table: pd.DataFrame  # one row per level × candidate
    run_id: str | None
    report_dir: Path | None


def run_utility(
    cfg: UtilityConfig,
    *,
    say: Callable[[str], None] = lambda _: None,
    track: bool = True,
    reports: Path = Path("reports"),
) -> UtilityResult:
    """The whole experiment; ``say`` hears one line per step."""
    from triage.synth import generate, load_spec

    base = _base_config(cfg)
    spec = load_release_spec(resolve_path(cfg.release_spec) if cfg.release_spec else None)
    t0 = time.perf_counter()
    sim = generate(
        load_spec(None), n=cfg.records.n, seed=cfg.seed, fiscal_year=cfg.records.fiscal_year
    )
    notices, truth = sim.notices, sim.truth
    split = temporal_split(notices["received_at"], **base.split.model_dump())
    agency = np.sort(np.concatenate([split.train, split.calibration]))
    outcomes = truth.iloc[agency][["notice_id", RECORDED_HARM, RECORDED_TIER]]
    records, domain = to_records(notices.iloc[agency], outcomes.reset_index(drop=True), spec)
    table_attributes = spec.table_attributes(domain)
    say(
        f"simulated {len(notices):,} records; the agency's windows hold {len(agency):,} "
        f"({time.perf_counter() - t0:.1f} s)"
    )
    test_notices = notices.iloc[split.test].reset_index(drop=True)
    test_truth = truth.iloc[split.test].reset_index(drop=True)
    oracle_cal = truth.iloc[split.calibration]["p_harm"].to_numpy(float)

    rows: list[dict[str, Any]] = []
    for level in levels_of(cfg):
        t = time.perf_counter()
        if level.method == "rows":
            train_notices = notices.iloc[agency].reset_index(drop=True)
            train_y = outcomes[RECORDED_HARM].to_numpy(int)
            protection: dict[str, Any] = {}
        else:
            built = build_release(
                records, domain, table_attributes,
                method="sdc" if level.method == "sdc" else "dp",
                k=int(level.value or 0) if level.method == "sdc" else None,
                epsilon=level.value if level.method == "dp" else None,
                delta=cfg.levels.dp_delta,
            )  # fmt: skip
            stddev = (built.budget or {}).get("noise_stddev")
            model = fit_model(
                built.tables, domain, noise_stddev=stddev, iterations=cfg.fit_iterations
            )
            sampled = sample_records(model, n=cfg.synthesize_n, seed=cfg.seed)
            train_notices, synth_outcomes = to_notices(sampled, domain, seed=cfg.seed)
            train_y = synth_outcomes[RECORDED_HARM].to_numpy(int)
            cells = sum(len(tb.frame) for tb in built.tables)
            supp = sum(int(tb.suppressed().sum()) for tb in built.tables)
            protection = {"suppressed_share": supp / cells if cells else 0.0}
        synthesis = time.perf_counter() - t  # release, model fit and sampling
        scores = _train_and_judge(
            base, cfg, train_notices, train_y, split, test_notices, test_truth, oracle_cal
        )
        for cand, row in scores.items():
            rows.append({"level": level.name, "method": level.method, "value": level.value,
                         "candidate": cand, "synthesis_seconds": round(synthesis, 1),
                         **protection, **row})  # fmt: skip
        best = max(r["auc_ratio"] for r in scores.values())
        say(
            f"{level.name}: AUC/oracle {best:.3f} (best candidate), {time.perf_counter() - t:.0f} s"
        )
    table = pd.DataFrame(rows)
    run_id = report_dir = None
    if track:
        from triage.report.utility_report import log_utility

        run_id, report_dir = log_utility(cfg, table, reports=reports)
    return UtilityResult(table=table, run_id=run_id, report_dir=report_dir)


def _base_config(cfg: UtilityConfig) -> ExperimentConfig:
    base = load_config(resolve_path(cfg.base))
    unknown = [c for c in cfg.candidates if c not in base.candidates]
    if unknown:
        from triage.pipelines.utility_config import UtilityConfigError

        raise UtilityConfigError(
            f"candidates: {', '.join(unknown)} not in the base config {cfg.base} "
            f"({', '.join(base.candidates)})"
        )
    chosen = {n: c for n, c in base.candidates.items() if n in cfg.candidates}
    return base.model_copy(update={"candidates": chosen, "seed": cfg.seed})


def _windows(received_at: pd.Series, split: TemporalSplit) -> tuple[np.ndarray, np.ndarray]:
    """Train and calibration rows of any notices, by the split's dates."""
    lo, hi = split.windows["train"]
    c_lo, c_hi = split.windows["calibration"]
    t = received_at
    return (
        np.flatnonzero((t < hi).to_numpy()),
        np.flatnonzero(((t >= c_lo) & (t < c_hi)).to_numpy()),
    )


def _train_and_judge(
    base: ExperimentConfig,
    cfg: UtilityConfig,
    notices: pd.DataFrame,
    y: np.ndarray,
    split: TemporalSplit,
    test_notices: pd.DataFrame,
    test_truth: pd.DataFrame,
    oracle_cal: np.ndarray,
) -> dict[str, dict[str, float]]:
    train, cal = _windows(notices["received_at"], split)
    features = NoticeFeatures(include_sensitive=base.features.include_sensitive)
    features.fit(notices.iloc[train])
    X_train, X_cal = (features.transform(notices.iloc[w]) for w in (train, cal))
    X_test = features.transform(test_notices)
    names = list(features.get_feature_names_out())
    fitted = fit_candidates(base, X_train, y[train], X_cal, y[cal], names)
    risks = {n: c.calibrated.predict_proba(X_test)[:, 1] for n, c in fitted.items()}
    days = split.days("calibration")
    thresholds = {n: thresholds_for(base.tiers, c.risk_cal, days=days) for n, c in fitted.items()}
    thresholds["oracle"] = thresholds_for(base.tiers, oracle_cal, days=days)
    tiers = {n: thresholds[n].assign(r) for n, r in risks.items()}
    tiers["oracle"] = thresholds["oracle"].assign(test_truth["p_harm"].to_numpy(float))
    k = min(len(test_notices), round(base.tiers.capacity.per_day * split.days("test")))
    assessed = assess(
        test_truth, risks, tiers, k=k, n_boot=base.evaluation.n_boot, seed=cfg.seed,
        level=base.evaluation.level, bins=base.evaluation.ece_bins,
    )  # fmt: skip
    table = assessed.intervals["true"]
    out = {}
    for name in risks:
        row: dict[str, float] = {}
        for metric in ("auc_ratio", "auc", "ece", "under_triage", "recall_at_k_worst"):
            if (name, metric) in table.index:
                est, lo, hi = table.loc[(name, metric), ["estimate", "low", "high"]]
                row |= {metric: float(est), f"{metric}_low": float(lo), f"{metric}_high": float(hi)}
        row |= _largest_gap(test_notices, test_truth, tiers[name], cfg.seed, base.evaluation.n_boot)
        out[name] = row
    return out


def _largest_gap(
    notices: pd.DataFrame, truth: pd.DataFrame, tiers: np.ndarray, seed: int, n_boot: int
) -> dict[str, Any]:
    """The fairness audit's largest absolute FNR difference between a group and its reference."""
    frame = notices[[f for f in SENSITIVE_FIELDS if f in notices]].copy()
    frame[TRUE_HARM] = truth[TRUE_HARM].to_numpy().astype(np.int8)
    frame["tier"] = np.asarray(tiers).astype(str)
    result = audit(
        frame, label=TRUE_HARM, tier="tier", flag_tiers=FLAG_TIERS, intersections=(),
        verify=False,
    )  # fmt: skip
    d = result.disparities
    sizes = result.groups.set_index(["feature", "group"])["n"]
    n_of = sizes.reindex(list(zip(d["feature"], d["group"], strict=True))).to_numpy()
    d = d[
        (d["metric"] == GAP_METRIC)
        & d["difference"].notna()
        & (n_of >= MIN_GROUP_SHARE * len(frame))
    ]
    if d.empty:
        return {
            "fnr_gap": np.nan,
            "fnr_gap_low": np.nan,
            "fnr_gap_high": np.nan,
            "fnr_gap_group": "",
        }
    worst = d.loc[d["difference"].abs().idxmax()]
    return {
        "fnr_gap": float(worst["difference"]),
        "fnr_gap_low": float(worst["difference_low"]),
        "fnr_gap_high": float(worst["difference_high"]),
        "fnr_gap_group": f"{worst['feature']}={worst['group']}",
    }
