"""Synthetic intake notices with known ground truth, calibrated to published aggregates.

Layer: domain. May import ``triage.features``, ``triage.tiers``, labels, notices and
contract.
"""

from triage.synth.generate import SynthResult, generate
from triage.synth.spec import DEFAULT_SPEC, Spec, SpecError, load_spec

__all__ = ["DEFAULT_SPEC", "Spec", "SpecError", "SynthResult", "generate", "load_spec"]
