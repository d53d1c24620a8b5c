"""Compare a generated data set with the published figures and the oracle's bounds.

The report is data; ``triage synth --check`` prints it (``triage.cli.printers_synth``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from triage.contract import notice_fields
from triage.contract.columns import (
    P_HARM,
    RECORDED_HARM,
    RECORDED_TIER,
    TRUE_DV_ROUTE,
    TRUE_HARM,
    TRUE_TIER,
)
from triage.synth.calibrate import published_targets
from triage.synth.spec import Spec

SHARE_TOLERANCE_PP = 1.0
"""A calibrated share passes when within this many percentage points of the published one."""

ORACLE_AUC_RANGE = (0.78, 0.90)
"""Room to learn and no more: published child-welfare models reach AUC 0.70-0.87."""


@dataclass(frozen=True)
class ShareRow:
    dimension: str
    category: str
    generated: float
    published: float
    fiscal_year: int

    @property
    def gap_pp(self) -> float:
        return 100 * (self.generated - self.published)

    @property
    def ok(self) -> bool:
        return abs(self.gap_pp) <= SHARE_TOLERANCE_PP


@dataclass(frozen=True)
class CheckReport:
    n: int
    shares: list[ShareRow]
    oracle_auc: float
    figures: dict[str, float] = field(default_factory=dict)

    @property
    def oracle_ok(self) -> bool:
        return ORACLE_AUC_RANGE[0] <= self.oracle_auc <= ORACLE_AUC_RANGE[1]

    @property
    def ok(self) -> bool:
        return self.oracle_ok and all(r.ok for r in self.shares)


def age_band_of(ages: pd.Series, spec: Spec) -> pd.Series:
    bands = spec.calibration.age_bands
    out = pd.Series(pd.NA, index=ages.index, dtype=object)
    for band, (lo, hi) in bands.items():
        out[(ages >= lo) & (ages <= hi)] = band
    return out


def generated_shares(notices: pd.DataFrame, spec: Spec) -> dict[str, pd.Series]:
    main = notices["alleged_types"].map(lambda t: t[0])
    return {
        "notice_kind": notices["notice_kind"].astype(str).value_counts(normalize=True),
        "main_type": main.value_counts(normalize=True),
        "route": notices["route"].astype(str).value_counts(normalize=True),
        "age_band": age_band_of(notices["child_age_years"].astype("int64"), spec).value_counts(
            normalize=True
        ),
    }


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, score))


def check_dataset(
    notices: pd.DataFrame, truth: pd.DataFrame, spec: Spec, fiscal_year: int
) -> CheckReport:
    targets = published_targets(spec, fiscal_year)
    gen = generated_shares(notices, spec)
    rows = []
    for dim, target in targets.items():
        for cat, pub in target.shares.items():
            rows.append(ShareRow(dim, cat, float(gen[dim].get(cat, 0.0)), pub, target.fiscal_year))

    truth = truth.set_index("notice_id").loc[notices["notice_id"]]
    harm = truth[TRUE_HARM].to_numpy(bool)
    received = notices["received_at"]
    confirmed = notices["safety_confirmed_at"]
    hours = (confirmed - received).dt.total_seconds() / 3600
    booleans = list(notice_fields().booleans)
    is_dv = notices["notice_kind"].astype(str).eq("dv_witness").to_numpy()
    general_flags = [f for f in booleans if f not in notice_fields().dv_only]
    figures = {
        "harm_90d rate": float(harm.mean()),
        "recorded_harm_90d rate": float(truth[RECORDED_HARM].mean()),
        "mean p_harm": float(truth[P_HARM].mean()),
        **{
            f"true_tier {t}": float(s)
            for t, s in truth[TRUE_TIER].value_counts(normalize=True).sort_index().items()
        },
        **{
            f"recorded_tier {t}": float(s)
            for t, s in truth[RECORDED_TIER].value_counts(normalize=True).sort_index().items()
        },
        "DV-witness to CGC (true)": float((truth[TRUE_DV_ROUTE][is_dv] == "cgc").mean())
        if is_dv.any()
        else float("nan"),
        "safety confirmed within 48 h": float((hours < 48).mean()),
        "safety confirmed after 48 h": float((hours >= 48).mean()),
        "still unconfirmed": float(confirmed.isna().mean()),
        "risk factors unknown (general flags)": float(
            notices[general_flags].isna().to_numpy().mean()
        ),
        "unknown, police route": float(
            notices.loc[notices["route"].eq("police").to_numpy(), general_flags]
            .isna()
            .to_numpy()
            .mean()
        ),
        "unknown, other routes": float(
            notices.loc[~notices["route"].eq("police").to_numpy(), general_flags]
            .isna()
            .to_numpy()
            .mean()
        ),
    }
    return CheckReport(
        n=len(notices),
        shares=rows,
        oracle_auc=roc_auc(harm, truth[P_HARM].to_numpy()),
        figures=figures,
    )


def check_folder(folder: Path, spec: Spec) -> CheckReport:
    from triage.synth.output import read_dataset

    notices, truth, manifest = read_dataset(folder)
    return check_dataset(notices, truth, spec, manifest["fiscal_year"])
