"""Planted bias: how often the audit flags a disparity of known size (a power table).

Using the generator's own recording settings (``recording.false_record`` for
surveillance bias, ``recording.detection`` for under-recording), every other
recording bias is switched off and one term of a given size (log-odds) is
planted on one group. Each simulation draws fresh notices and audits the
recorded labels against the true outcomes (the ``labels`` audit of
``label_bias``). The row with effect 0 is the chance rate: how often a group
with no bias at all is flagged.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from triage.contract.columns import RECORDED_HARM, TRUE_HARM
from triage.synth import Spec, generate

from ._audit import audit_inputs
from .config import DEFAULTS, AuditConfig
from .groups import AuditInputs, binary_column, group_labels
from .label_bias import LABEL_METRICS

Mechanism = Literal["false_record", "detection"]
MECHANISM_METRIC: dict[str, str] = {"false_record": "fpr", "detection": "fnr"}
"""Which label-audit metric a planted recording bias moves."""


def without_recording_bias(spec: Spec) -> Spec:
    """``spec`` with every group term of the recording section set to nothing."""
    raw = spec.model_dump()
    for part in ("detection", "false_record", "tier_perception"):
        raw["recording"][part]["terms"] = {}
    return Spec.model_validate(raw)


def with_recording_bias(spec: Spec, *, mechanism: Mechanism, terms: dict[str, float]) -> Spec:
    """``spec`` with ``terms`` (node -> log-odds) set in ``recording.<mechanism>``."""
    raw = spec.model_dump()
    raw["recording"][mechanism]["terms"] = {**raw["recording"][mechanism]["terms"], **terms}
    return Spec.model_validate(raw)


def label_inputs(notices: pd.DataFrame, truth: pd.DataFrame, sensitive) -> AuditInputs:
    """The recorded label as a flag of the true outcome, grouped by ``sensitive``."""
    return AuditInputs(
        y=binary_column(truth, TRUE_HARM),
        flagged=binary_column(truth, RECORDED_HARM),
        score=None,
        groups={c: group_labels(notices[c]) for c in sensitive},
        label=TRUE_HARM,
        rule=RECORDED_HARM,
    )


def power_table(
    spec: Spec,
    *,
    effects=(0.0, 0.5, 1.0, 2.0),
    sizes=(5_000, 20_000),
    sims: int = 20,
    mechanism: Mechanism = "false_record",
    feature: str = "welfare_receipt",
    group: str = "yes",
    config: AuditConfig = DEFAULTS,
    n_boot: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per (effect, n): how often the planted group is flagged, and the chance rate.

    Columns: ``effect`` (log-odds planted on ``feature``), ``n``, ``sims``,
    ``ratio`` (median realised ratio of the planted metric to the reference),
    ``power`` (share of simulations flagging the planted group on that metric),
    ``other_flag_rate`` (share of all other comparisons flagged: chance, since
    nothing else is biased). With ``effect = 0`` both rates are chance rates.
    """
    cfg = config.model_copy(update={"n_boot": n_boot, "intersections": ()})
    metric = MECHANISM_METRIC[mechanism]
    base = without_recording_bias(spec)
    rows = []
    for e_i, effect in enumerate(effects):
        planted = with_recording_bias(base, mechanism=mechanism, terms={feature: float(effect)})
        for s_i, n in enumerate(sizes):
            hits, ratios, other = [], [], []
            for k in range(sims):
                sim_seed = int(np.random.SeedSequence([seed, e_i, s_i, k]).generate_state(1)[0])
                data = generate(planted, n=int(n), seed=sim_seed)
                inputs = label_inputs(data.notices, data.truth, cfg.sensitive)
                result = audit_inputs(
                    inputs, config=cfg.model_copy(update={"seed": sim_seed}), verify=False,
                    metrics=LABEL_METRICS,
                )  # fmt: skip
                d = result.disparities
                target = (d["feature"] == feature) & (d["group"] == group) & (d["metric"] == metric)
                hits.append(bool(d.loc[target, "flag"].any()))
                ratios.append(float(d.loc[target, "ratio"].iloc[0]) if target.any() else np.nan)
                rest = d[~target & ~d["suppressed"]]
                other.append(float(rest["flag"].mean()) if len(rest) else np.nan)
            rows.append(
                {
                    "mechanism": mechanism,
                    "feature": feature,
                    "group": group,
                    "metric": metric,
                    "effect": float(effect),
                    "n": int(n),
                    "sims": sims,
                    "ratio": float(np.nanmedian(ratios)),
                    "power": float(np.mean(hits)),
                    "other_flag_rate": float(np.nanmean(other)),
                }
            )
    table = pd.DataFrame(rows)
    table.attrs.update(n_boot=n_boot, band=[cfg.band.low, cfg.band.high], level=cfg.level)
    return table
