"""Label bias apart from model bias: on synthetic data, audit against both labels.

``audit_against_truth`` runs the same audit three times on the same notices,
groups and resample seed:

- ``recorded``: the model's flags against the recorded labels (what a real audit sees);
- ``true``: the same flags against the true outcomes (only synthetic data has them);
- ``labels``: the recorded label itself judged as a "flag" of the true outcome. Its
  false-negative rate is harm that went unrecorded (1 - detection), its
  false-positive rate is harm recorded that did not happen (surveillance and
  referral bias). A flag here says the labels, not the model, treat a group differently.

``differences`` holds, per group and metric, recorded minus true: the part of
each recorded-label figure that comes from the labels.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from triage.contract.columns import RECORDED_HARM, TRUE_HARM

from ._audit import AuditResult, _records, audit_inputs
from .config import DEFAULTS, AuditConfig
from .groups import COUNT_METRICS, SCORE_METRICS, binary_column, prepare

RECORDED_LABEL = "recorded_label"
"""The "decision" of the ``labels`` part: the recorded label itself."""

LABEL_METRICS: tuple[str, ...] = ("fnr", "fpr")
"""Label audit metrics: unrecorded harm (1 - detection) and recorded harm that did not happen."""


@dataclass(frozen=True)
class LabelBiasAudit:
    recorded: AuditResult
    true: AuditResult
    labels: AuditResult
    differences: pd.DataFrame

    @property
    def audits(self) -> dict[str, AuditResult]:
        return {"recorded": self.recorded, "true": self.true, "labels": self.labels}

    def data(self) -> dict:
        return {
            **{name: a.data() for name, a in self.audits.items()},
            "differences": _records(self.differences),
        }


def difference_table(recorded: AuditResult, true: AuditResult) -> pd.DataFrame:
    """Per (feature, group, metric): ``recorded``, ``true``, ``difference`` (recorded - true)."""
    metrics = [m for m in (*COUNT_METRICS, *SCORE_METRICS) if m in recorded.groups.columns]
    keys = ["feature", "group", "suppressed"]
    a = recorded.groups.melt(
        id_vars=keys, value_vars=metrics, var_name="metric", value_name="recorded"
    )
    b = true.groups.melt(id_vars=keys, value_vars=metrics, var_name="metric", value_name="true")
    out = a.merge(b, on=[*keys, "metric"], how="outer", sort=False)
    out["difference"] = out["recorded"] - out["true"]
    return out


def audit_against_truth(
    frame: pd.DataFrame,
    *,
    recorded_label: str = RECORDED_HARM,
    true_label: str = TRUE_HARM,
    sensitive=None,
    score: str | None = None,
    threshold: float | None = None,
    tier: str | None = None,
    flag_tiers=None,
    intersections=None,
    reference=None,
    config: AuditConfig = DEFAULTS,
    verify: bool | None = None,
    model_inputs: str | None = None,
) -> LabelBiasAudit:
    """The audit against recorded labels, against true outcomes, and of the labels themselves."""
    inputs = prepare(
        frame,
        label=recorded_label,
        sensitive=tuple(sensitive or config.sensitive),
        score=score,
        threshold=threshold,
        tier=tier,
        flag_tiers=tuple(flag_tiers) if flag_tiers else None,
        intersections=tuple(intersections if intersections is not None else config.intersections),
    )
    y_true = binary_column(frame, true_label)
    common = {"config": config, "reference": reference, "verify": verify}
    recorded = audit_inputs(inputs, name="recorded", model_inputs=model_inputs, **common)
    true_inputs = dataclasses.replace(inputs, y=y_true, label=true_label)
    true = audit_inputs(true_inputs, name="true", model_inputs=model_inputs, **common)
    label_inputs = dataclasses.replace(
        inputs, y=y_true, flagged=inputs.y.astype(np.int8), score=None, label=true_label,
        rule=f"{recorded_label} (the recorded label as a flag of the true outcome)",
        meta={"decision": RECORDED_LABEL},  # its misses: outcomes never recorded
    )  # fmt: skip
    labels = audit_inputs(
        label_inputs, name="labels", model_inputs="(no model)", metrics=LABEL_METRICS, **common
    )
    return LabelBiasAudit(recorded, true, labels, difference_table(recorded, true))
