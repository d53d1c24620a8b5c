"""What a registered model version needs before it may score notices or be promoted.

A version is complete when its run finished and it carries what scoring reads
beside the model: the urgency cut points (``tier.immediate``, ``tier.urgent``)
or the DV routing cut (``route.cgc_cut``), each a probability. The digest of
its model file (``model.sha256``) lets a scorer check the file it loads; a
version registered before digests were recorded has none and is still usable.
"""

from __future__ import annotations

import math

URGENCY_CUT_TAGS = ("tier.immediate", "tier.urgent")
ROUTING_CUT_TAGS = ("route.cgc_cut",)
MODEL_DIGEST_TAG = "model.sha256"
FINISHED = "FINISHED"


def _probability(value: str | None) -> bool:
    try:
        p = float(value) if value is not None else math.nan
    except ValueError:
        return False
    return 0.0 <= p <= 1.0


def missing_cut_points(tags: dict[str, str]) -> str | None:
    """What is missing for scoring, in words; None when the urgency or routing cuts are there."""
    for wanted in (URGENCY_CUT_TAGS, ROUTING_CUT_TAGS):
        if all(_probability(tags.get(t)) for t in wanted):
            return None
    present = [t for t in (*URGENCY_CUT_TAGS, *ROUTING_CUT_TAGS) if t in tags]
    if present:
        return f"cut point tags that are not probabilities ({', '.join(present)})"
    return "no cut points (tags tier.immediate and tier.urgent, or route.cgc_cut)"


def readiness_problem(tags: dict[str, str], run_status: str | None) -> str | None:
    """Why a version with these tags, made by a run in ``run_status``, is not complete; None if it is.

    ``run_status`` is None for a version no run made (registered by hand).
    """
    if run_status is not None and run_status != FINISHED:
        return f"its run is {run_status}, not {FINISHED} (stopped before it was complete)"
    missing = missing_cut_points(tags)
    if missing is not None:
        return f"it carries {missing}"
    return None
