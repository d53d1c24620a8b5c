"""Feature columns folded into contract fields, the unit an explanation is read in.

Columns fold into contract fields (``feature_groups``): one-hot columns and
``=unknown`` indicators add up. On a general notice, the DV-only fields are
"not applicable" (all their columns 0, a consequence of the notice kind): their
contributions fold into ``notice_kind``, so a general notice is never explained
by DV details.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from triage.contract import notice_fields
from triage.explain.pipeline import Unwrapped
from triage.features import feature_groups

ERRORS = {
    "names": "the candidate's feature names differ from the features step's columns.",
}


@dataclass(frozen=True)
class FieldPlan:
    """Per fitted pipeline: which columns make up each contract field, and the DV folding."""

    fields: tuple[str, ...]
    column_fields: tuple[str, ...]  # per column, its contract field
    columns_of: tuple[tuple[int, ...], ...]  # per field, its columns in column order
    general_col: int | None  # column "notice_kind=general"
    notice_kind: int | None  # field index of notice_kind
    dv_fields: np.ndarray  # field indices of DV-only fields

    def contributions(self, cols: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Per notice (rows of ``X``), each field's contribution from the column ones ``cols``."""
        out = _by_field(np.asarray(cols, dtype=np.float64), self.columns_of)
        if self.general_col is not None and self.notice_kind is not None and len(self.dv_fields):
            general = X[:, self.general_col] == 1
            if general.any():
                moved = _by_field(out[general], (tuple(self.dv_fields.tolist()),))
                out[general, self.notice_kind] += moved[:, 0]
                out[np.ix_(general, self.dv_fields)] = 0.0
        return out


# Built once per fitted candidate: a notice scored alone must not pay for it.
_PLANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def plan_for(u: Unwrapped) -> FieldPlan:
    """The field plan of an unwrapped pipeline; its columns must be the candidate's own."""
    plan = _PLANS.get(u.candidate)
    if plan is not None:
        return plan
    names = [str(n) for n in u.features.get_feature_names_out()]
    own = getattr(u.candidate, "feature_names_", None)
    if own is not None and [str(n) for n in own] != names:
        raise ValueError(ERRORS["names"])
    groups = feature_groups(names)
    fields = tuple(dict.fromkeys(groups[n] for n in names))
    index = {f: k for k, f in enumerate(fields)}
    columns_of: list[list[int]] = [[] for _ in fields]
    for j, n in enumerate(names):
        columns_of[index[groups[n]]].append(j)
    dv = [index[f] for f in notice_fields().dv_only if f in index]
    plan = FieldPlan(
        fields=fields,
        column_fields=tuple(groups[n] for n in names),
        columns_of=tuple(tuple(c) for c in columns_of),
        general_col=names.index("notice_kind=general") if "notice_kind=general" in names else None,
        notice_kind=index.get("notice_kind"),
        dv_fields=np.asarray(dv, dtype=np.intp),
    )
    _PLANS[u.candidate] = plan
    return plan


def _by_field(cols: np.ndarray, columns_of: tuple[tuple[int, ...], ...]) -> np.ndarray:
    """Per row, the sum of each group of columns, added left to right.

    Not a matrix product: BLAS orders the additions by the shape of the batch,
    so a notice scored alone and the same notice in a file would differ in the
    last digit. Added one column at a time, every row gets the same sum
    whatever else is in the batch.
    """
    out = np.zeros((len(cols), len(columns_of)))
    for k, columns in enumerate(columns_of):
        total = out[:, k]
        for j in columns:
            total += cols[:, j]
    return out
