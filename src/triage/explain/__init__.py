"""Explanations a worker can read and a researcher can trust.

- ``explain(pipeline, notices, lang=, top=)`` → ``Explanation``: exact
  contributions of contract fields to each notice's margin (log-odds before
  calibration), with ``.data()`` as plain dicts (``local.py``: the registered
  pipeline unwrapped in ``pipeline.py``, the exact contributions per candidate
  type in ``margins.py``, folded by contract field in ``fields.py``, the
  ``Explanation`` in ``explanation.py``);
- ``ask_next(pipeline, thresholds, notices, lang=)``: the unknown facts whose
  answer could move the suggested tier (``ask_next.py``);
- ``notice_row(features, notice)``: one notice dict → feature row, without pandas;
- ``importance.global_explanation(pipeline, notices)`` → ``GlobalExplanation``:
  the local explanations of a notice sample read together, with aggregates only
  in ``.data()``; ``figures.global_figures`` draws its importance, beeswarm and
  dependence figures (headless).

shap is never imported here (2.2 s): LightGBM computes TreeSHAP itself.

Layer: analysis. May import tracking, the domain (features, models, tiers), labels,
notices and contract; never experiment or scoring (the pipeline step that logs
explanations lives in ``triage.experiment.explanations``).
"""

from triage.explain._rows import notice_row
from triage.explain.ask_next import ask_next
from triage.explain.explanation import Explanation
from triage.explain.local import explain
from triage.explain.margins import MARGIN_EPS
from triage.explain.pipeline import Unwrapped, unwrap

__all__ = [
    "MARGIN_EPS",
    "Explanation",
    "Unwrapped",
    "ask_next",
    "explain",
    "notice_row",
    "unwrap",
]
