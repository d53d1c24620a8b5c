"""Local explanations: exact contributions in each candidate's margin, by contract field.

``explain(pipeline, notices)`` takes the registered pipeline, unwraps it to
the candidate (``pipeline.py``) and explains the candidate's *margin*: its
log-odds of harm before calibration. For every notice

    base + Σ contributions == margin        (to rounding, well within 1e-6)

The contributions are exact for every candidate type (``margins.py``: TreeSHAP,
scorecard points, tree paths, checklist Shapley values), per feature column;
they are added up by contract field (``fields.py``) and handed back as an
``Explanation`` (``explanation.py``) whose ``.data()`` gives plain dicts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from triage.explain._rows import feature_matrix, first_notice
from triage.explain.explanation import Explanation
from triage.explain.fields import plan_for
from triage.explain.margins import decompose
from triage.explain.pipeline import unwrap
from triage.labels import LANGS

ERRORS = {
    "lang": "lang: expected one of {langs}, got {lang!r}.",
    "top": "top: expected a positive whole number or None, got {top!r}.",
}


def explain(
    pipeline: Any, notices: Any, *, lang: str = "ja", top: int | None = None
) -> Explanation:
    """Exact local explanations of the pipeline's candidate for a notice frame or one notice.

    ``notices``: a notice frame, or one notice as a dict (the fast path; a
    one-row frame takes it too). ``lang`` sets the language of each factor's
    ``sentence`` (both labels are always given); ``top`` keeps the largest
    factors only.
    """
    if lang not in LANGS:
        raise ValueError(ERRORS["lang"].format(langs=list(LANGS), lang=lang))
    if top is not None and (not isinstance(top, int) or top < 1):
        raise ValueError(ERRORS["top"].format(top=top))
    u = unwrap(pipeline)
    plan = plan_for(u)
    if isinstance(notices, pd.DataFrame) and len(notices) == 1:
        notices = first_notice(notices)  # one notice: no pandas from here on
    X = feature_matrix(u.features, notices)
    base, cols, margin = decompose(u, X, plan.column_fields)
    return Explanation(
        kind=u.kind,
        fields=plan.fields,
        base=np.asarray(base, dtype=np.float64),
        margin=np.asarray(margin, dtype=np.float64),
        contributions=plan.contributions(cols, X),
        notices=notices,
        lang=lang,
        top=top,
    )
