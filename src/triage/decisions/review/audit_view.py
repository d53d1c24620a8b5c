"""Decisions as the fairness audit's inputs, so groups, suppression and bootstrap are the audit's.

The audit counts two 0/1 columns per notice (``y`` and ``flagged``) by group.
The review puts its own pair there: whether a decision was overridden (its
rate is the audit's ``base_rate``), or whether the suggestion and the decision
sent the notice high (``base_rate`` and ``flag_rate``, paired per notice).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from triage.audit.config import AuditConfig
from triage.audit.disparity import choose_references, parse_reference
from triage.audit.groups import AuditInputs, group_table, prepare


def audit_inputs(
    frame: pd.DataFrame, y: np.ndarray, flagged: np.ndarray, config: AuditConfig
) -> AuditInputs:
    """The audit's checked inputs for ``frame``'s groups (its sensitive features and intersections)."""
    table = frame[[c for c in frame.columns if c not in ("rules",)]].copy()
    table["_y"] = np.asarray(y, dtype=np.int8)
    # The audit's threshold rule on a 0/1 column flags exactly the rows marked 1.
    table["_flagged"] = np.asarray(flagged, dtype=np.float64)
    inputs = prepare(
        table,
        label="_y",
        sensitive=config.sensitive,
        score="_flagged",
        threshold=0.5,
        intersections=config.intersections,
    )
    return replace(inputs, score=None)  # no score metrics: the column is not a probability


def groups_with_references(
    inputs: AuditInputs, config: AuditConfig
) -> tuple[pd.DataFrame, AuditInputs, dict[str, str]]:
    """The group table, the inputs limited to features with a group shown, and their references.

    A feature whose every group is under ``min_n`` keeps its suppressed rows and
    is compared with nothing; a named reference group that is suppressed here
    gives way to the largest group shown (a store holds fewer decisions than
    an audit has notices).
    """
    table = group_table(inputs, min_n=config.min_n)
    shown = table.loc[~table["suppressed"], "feature"].unique()
    kept = replace(inputs, groups={f: c for f, c in inputs.groups.items() if f in shown})
    named = {}
    for feature, group in parse_reference(config.reference).items():
        rows = table[(table["feature"] == feature) & (table["group"] == group)]
        if not rows.empty and not rows["suppressed"].item():
            named[feature] = group
    refs = choose_references(table[table["feature"].isin(shown)], named, min_n=config.min_n)
    return table, kept, refs
