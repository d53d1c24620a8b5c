"""The audit of one scored table against one label: three layers and their provenance."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .config import DEFAULTS, DISPARITY_METRICS, AuditConfig
from .disparity import bootstrap_counts, choose_references, disparity_table, parse_reference
from .flags import flag_table
from .groups import COUNT_METRICS, SCORE_METRICS, AuditInputs, group_table, metric_frame, prepare

VERIFY_TOLERANCE = 1e-9
METRICFRAME_MISMATCH = "group table differs from fairlearn's MetricFrame for {feature!r}: {detail}"


@dataclass(frozen=True)
class AuditResult:
    """An immutable audit: ``groups`` (layer 1), ``disparities`` with flags (layers 2-3)."""

    name: str
    groups: pd.DataFrame
    disparities: pd.DataFrame
    references: dict[str, str]
    settings: dict
    inputs: AuditInputs = field(repr=False)

    @property
    def flags(self) -> pd.DataFrame:
        return self.disparities[self.disparities["flag"]]

    def metric_frame(self, feature: str):
        """fairlearn's ``MetricFrame`` for ``feature`` (small groups not suppressed there)."""
        return metric_frame(self.inputs, feature, bins=self.settings["ece_bins"])

    def data(self) -> dict:
        """A plain, serialisable dict of aggregates (never row-level records)."""
        return {
            "name": self.name,
            "settings": self.settings,
            "references": self.references,
            "groups": _records(self.groups),
            "disparities": _records(self.disparities),
        }


def _records(table: pd.DataFrame) -> list[dict]:
    clean = table.astype(object).where(table.notna(), None)
    return clean.to_dict(orient="records")


def verify_with_metricframe(inputs: AuditInputs, groups: pd.DataFrame, *, bins: int) -> None:
    """Raise ``AssertionError`` unless every unsuppressed number equals MetricFrame's to 1e-9."""
    for feature in inputs.groups:
        mf = metric_frame(inputs, feature, bins=bins).by_group
        mine = groups[(groups["feature"] == feature) & ~groups["suppressed"]].set_index("group")
        cols = [c for c in ("n", *COUNT_METRICS, *SCORE_METRICS) if c in mine.columns]
        theirs = mf.loc[mine.index, cols].astype(np.float64)
        a, b = mine[cols].to_numpy(np.float64), theirs.to_numpy(np.float64)
        same = np.isclose(a, b, rtol=0.0, atol=VERIFY_TOLERANCE) | (np.isnan(a) & np.isnan(b))
        if not same.all():
            raise AssertionError(
                METRICFRAME_MISMATCH.format(feature=feature, detail=f"{np.argwhere(~same)[:5]}")
            )


def audit_inputs(
    inputs: AuditInputs,
    *,
    config: AuditConfig = DEFAULTS,
    reference: str | dict | None = None,
    name: str = "audit",
    verify: bool | None = None,
    replicates: dict[str, np.ndarray] | None = None,
    model_inputs: str | None = None,
    metrics: tuple[str, ...] = DISPARITY_METRICS,
) -> AuditResult:
    """The three layers for prepared ``inputs`` (see ``audit``)."""
    groups = group_table(inputs, min_n=config.min_n, bins=config.ece_bins)
    if verify is None:
        verify = inputs.n <= config.verify_max_rows
    if verify:
        verify_with_metricframe(inputs, groups, bins=config.ece_bins)
    named = parse_reference(reference if reference is not None else config.reference)
    refs = choose_references(groups, named, min_n=config.min_n)
    if replicates is None and config.n_boot:
        replicates = bootstrap_counts(inputs, n_boot=config.n_boot, seed=config.seed)
    disparities = disparity_table(
        inputs, groups, refs, n_boot=config.n_boot, seed=config.seed, level=config.level,
        replicates=replicates or {}, metrics=metrics,
    )  # fmt: skip
    settings = {
        "label": inputs.label,
        "flag_rule": inputs.rule,
        "n": inputs.n,
        "sensitive": list(inputs.groups),
        "min_n": config.min_n,
        "band": [config.band.low, config.band.high],
        "reference_policy": "named" if named else "largest",
        "n_boot": config.n_boot,
        "level": config.level,
        "seed": config.seed,
        "ece_bins": config.ece_bins,
        "verified_with_metricframe": bool(verify),
        "model_inputs": model_inputs or "not stated",
        **inputs.meta,
    }
    return AuditResult(
        name=name,
        groups=groups,
        disparities=flag_table(disparities, config.band),
        references=refs,
        settings=settings,
        inputs=inputs,
    )


def audit(
    frame: pd.DataFrame,
    *,
    label: str,
    sensitive=None,
    score: str | None = None,
    threshold: float | None = None,
    tier: str | None = None,
    flag_tiers=None,
    intersections=None,
    reference: str | dict | None = None,
    config: AuditConfig = DEFAULTS,
    name: str = "audit",
    verify: bool | None = None,
    model_inputs: str | None = None,
) -> AuditResult:
    """Audit a scored table: per-group metrics, disparities with intervals, flags.

    ``flagged`` is ``score >= threshold`` or ``tier in flag_tiers``;
    ``sensitive`` defaults to the config's (``SENSITIVE_FIELDS``). ``verify``
    cross-checks layer 1 against fairlearn's ``MetricFrame`` (default: tables
    up to ``config.verify_max_rows``). ``model_inputs`` says what the model used
    (e.g. "sensitive features excluded"); the summary repeats it.
    """
    inputs = prepare(
        frame,
        label=label,
        sensitive=tuple(sensitive or config.sensitive),
        score=score,
        threshold=threshold,
        tier=tier,
        flag_tiers=tuple(flag_tiers) if flag_tiers else None,
        intersections=tuple(intersections if intersections is not None else config.intersections),
    )
    return audit_inputs(
        inputs, config=config, reference=reference, name=name, verify=verify,
        model_inputs=model_inputs,
    )  # fmt: skip
