"""Compare a generated data set with the published figures and the oracle's bounds.

Each tolerance comes from the sampling error at the data set's n: a share p observed
over n notices may miss the published one by ``SHARE_ALLOWANCE_PP`` plus ``SHARE_Z``
standard errors sqrt(p(1-p)/n); the oracle AUC's range widens by ``SHARE_Z`` of its
standard errors. Below ``MIN_N`` notices the verdict is "cannot judge".

The report is data; ``triage synth --check`` prints it (``triage.cli.printers_synth``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

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

SHARE_ALLOWANCE_PP = 1.0
"""What the generator may miss a published share by in expectation, in percentage points.

The allowance the check always had (it was the whole tolerance): the published
figures are rounded national counts and the age bands come from another year. At
200,000 notices the gaps are all under 0.2 pp, within sampling error.
"""

SHARE_Z = 3.5
"""Standard errors of sampling a share at the data set's n that a correct generator may miss by.

Family-wise: the check makes about two dozen comparisons (21 published shares for
FY2023, and the oracle AUC). A two-sided normal tail beyond 3.5 standard errors has
probability 4.7e-4, so by the union bound a correct generator fails any of 22
comparisons with probability at most 22 x 4.7e-4 = 1.0% (less: the shares of one
dimension sum to one and move together, and the allowance above comes on top).
At z = 3 the bound would be 6%, one failed check in seventeen for a correct generator.
"""

MIN_N = 1_000
"""Fewer notices and ``--check`` says it cannot judge rather than pass or fail.

The tolerances rest on the normal approximation to the binomial, which needs some
expected notices in every category (n·p >= 5, the usual rule): the rarest published
share, child_self at 0.71% of FY2023's routes, expects 7 at n = 1,000 and 3.5 at 500.
At 1,000 the widest tolerance is already 1 + 3.5·sqrt(0.25 / 1,000) = 6.5 pp and the
oracle AUC rests on about 90 harmed notices; with fewer, a pass would say little.
"""

ORACLE_AUC_RANGE = (0.78, 0.90)
"""Room to learn and no more: published child-welfare models reach AUC 0.70-0.87.

The range is for the generator (a large sample); at the data set's n it is widened by
``SHARE_Z`` DeLong standard errors of the observed AUC.
"""


def share_tolerance_pp(published: float, n: int) -> float:
    """Allowed gap, in points, between a share observed over n notices and the published one."""
    sampling = 100 * SHARE_Z * np.sqrt(published * (1 - published) / n) if n > 0 else np.inf
    return SHARE_ALLOWANCE_PP + float(sampling)


@dataclass(frozen=True)
class ShareRow:
    dimension: str
    category: str
    generated: float
    published: float
    fiscal_year: int
    tolerance_pp: float
    """``share_tolerance_pp(published, n)``: the allowance plus ``SHARE_Z`` standard errors."""

    @property
    def gap_pp(self) -> float:
        return 100 * (self.generated - self.published)

    @property
    def ok(self) -> bool:
        return abs(self.gap_pp) <= self.tolerance_pp

    @property
    def label(self) -> str:
        """The row as the table shows it: ``route police``."""
        return f"{self.dimension} {self.category}"


Verdict = Literal["passed", "failed", "cannot judge"]


@dataclass(frozen=True)
class CheckReport:
    n: int
    shares: list[ShareRow]
    oracle_auc: float
    oracle_auc_se: float = 0.0
    figures: dict[str, float] = field(default_factory=dict)

    @property
    def judgeable(self) -> bool:
        """Enough notices (``MIN_N``) for the tolerances to mean something."""
        return self.n >= MIN_N

    @property
    def oracle_range(self) -> tuple[float, float]:
        """``ORACLE_AUC_RANGE`` widened by ``SHARE_Z`` standard errors of the observed AUC."""
        lo, hi = ORACLE_AUC_RANGE
        widen = SHARE_Z * self.oracle_auc_se
        return max(0.0, lo - widen), min(1.0, hi + widen)

    @property
    def oracle_ok(self) -> bool:
        lo, hi = self.oracle_range
        return lo <= self.oracle_auc <= hi  # False for NaN (a single class)

    @property
    def off(self) -> list[ShareRow]:
        """The shares further from the published ones than their tolerance."""
        return [r for r in self.shares if not r.ok]

    @property
    def verdict(self) -> Verdict:
        if not self.judgeable:
            return "cannot judge"
        return "passed" if self.oracle_ok and not self.off else "failed"

    @property
    def ok(self) -> bool:
        return self.verdict == "passed"


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


def auc_with_se(y: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """AUC and its DeLong standard error (placement values with mid-ranks for ties).

    NaN for both when ``y`` holds a single class (no AUC to speak of).
    """
    from scipy.stats import rankdata

    y = np.asarray(y, dtype=bool)
    score = np.asarray(score, dtype=np.float64)
    pos, neg = score[y], score[~y]
    m, k = len(pos), len(neg)
    if m < 2 or k < 2:
        return float("nan"), float("nan")
    ranks = rankdata(np.concatenate([pos, neg]))
    # for each harmed notice, the share of unharmed ones scored below it (ties count half)
    v10 = (ranks[:m] - rankdata(pos)) / k
    # for each unharmed notice, the share of harmed ones scored above it
    v01 = 1 - (ranks[m:] - rankdata(neg)) / m
    auc = float(v10.mean())
    se = float(np.sqrt(v10.var(ddof=1) / m + v01.var(ddof=1) / k))
    return auc, se


def check_dataset(
    notices: pd.DataFrame, truth: pd.DataFrame, spec: Spec, fiscal_year: int
) -> CheckReport:
    targets = published_targets(spec, fiscal_year)
    gen = generated_shares(notices, spec)
    rows = []
    for dim, target in targets.items():
        for cat, pub in target.shares.items():
            generated = float(gen[dim].get(cat, 0.0))
            tolerance = share_tolerance_pp(pub, len(notices))
            rows.append(ShareRow(dim, cat, generated, pub, target.fiscal_year, tolerance))

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
    auc, se = auc_with_se(harm, truth[P_HARM].to_numpy())
    return CheckReport(
        n=len(notices), shares=rows, oracle_auc=auc, oracle_auc_se=se, figures=figures
    )


def check_folder(folder: Path, spec: Spec) -> CheckReport:
    from triage.synth.output import read_dataset

    notices, truth, manifest = read_dataset(folder)
    return check_dataset(notices, truth, spec, manifest["fiscal_year"])
