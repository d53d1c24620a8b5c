"""What a record would hold, biased the way the spec says records are.

A recorded label misses some harm and invents some (detection and false
record, each depending on the notice), a recorded tier is the true risk as
perceived with bias and noise, and some intake fields are left unknown, more
often on some routes than others. The audit's label-bias checks rest on these.
"""

from __future__ import annotations

import numpy as np

from triage.synth.outcome import tier_codes
from triage.synth.terms import linear, logit, sigmoid


def record_outcome(spec, values, levels, rng, n, outcome_logit, harm):
    """The recorded harm label and the recorded tier codes."""
    rec = spec.recording
    detect = sigmoid(linear(rec.detection.logit, rec.detection.terms, values, levels, n))
    false_rec = sigmoid(linear(rec.false_record.logit, rec.false_record.terms, values, levels, n))
    u = rng.random(n)  # one uniform whatever the truth, so the stream does not depend on it
    recorded = np.where(harm, u < detect, u < false_rec)
    perceived = (
        outcome_logit
        + linear(0.0, rec.tier_perception.terms, values, levels, n)
        + rec.tier_perception.noise_sd * rng.standard_normal(n)
    )
    return recorded, tier_codes(sigmoid(perceived), spec)


def unknown_masks(spec, values, levels, rng, n) -> dict[str, np.ndarray]:
    """Per missingness field, which notices leave it unknown."""
    miss = spec.missingness
    route_levels = levels["route"]
    masks = {}
    for group, fields in miss.groups.items():
        shifts = np.array([miss.route_shift.get(r, {}).get(group, 0.0) for r in route_levels])
        p = sigmoid(logit(miss.base[group]) + shifts[values["route"]])
        for field in fields:
            masks[field] = rng.random(n) < p
    return masks
