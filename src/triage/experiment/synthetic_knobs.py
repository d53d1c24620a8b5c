"""The config's knobs on the generator spec (``data.synthetic.*``), for sweeps that ask how a
result moves with one property of the data.

At their defaults they leave the spec untouched (not rewritten to an equal copy), so a
default config draws exactly the data it drew before the knobs existed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from triage.experiment.config import SyntheticData

if TYPE_CHECKING:
    from triage.synth import Spec

WELFARE_TERM = "welfare_receipt"
RECORDING_MECHANISM = "false_record"
"""Surveillance bias: a welfare household's harm-free notice is recorded as harm more often.
The audit's label check sees it as the labels' false-positive rate by group."""

ADJUSTMENTS_TAG = "synth.adjustments"
"""Run tag naming the knobs that moved the spec away from its file (absent at defaults)."""


def adjust_spec(spec: Spec, knobs: SyntheticData) -> Spec:
    """``spec`` with the config's recording bias and missingness scale applied."""
    if knobs.welfare_recording_bias:
        from triage.audit import with_recording_bias

        current = getattr(spec.recording, RECORDING_MECHANISM).terms.get(WELFARE_TERM, 0.0)
        spec = with_recording_bias(
            spec,
            mechanism=RECORDING_MECHANISM,
            terms={WELFARE_TERM: current + knobs.welfare_recording_bias},
        )
    if knobs.missingness_scale != 1.0:
        spec = _scale_missingness(spec, knobs.missingness_scale)
    return spec


def _scale_missingness(spec: Spec, scale: float) -> Spec:
    # Each route's share is sigmoid(logit(base) + shift): scaling the base's odds scales the
    # odds of every route alike, and a share stays below 1 however large the scale.
    base = {
        group: scale * p / (1 - p + scale * p) for group, p in spec.missingness.base.items()
    }
    raw = spec.model_dump()
    raw["missingness"]["base"] = base
    return type(spec).model_validate(raw)


def adjustment_tags(knobs: SyntheticData) -> dict[str, str]:
    """``synth.adjustments`` when a knob is off its default, else nothing."""
    moved = []
    if knobs.welfare_recording_bias:
        moved.append(f"welfare_recording_bias={knobs.welfare_recording_bias:g}")
    if knobs.missingness_scale != 1.0:
        moved.append(f"missingness_scale={knobs.missingness_scale:g}")
    return {ADJUSTMENTS_TAG: ";".join(moved)} if moved else {}
