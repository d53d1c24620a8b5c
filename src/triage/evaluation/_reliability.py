"""Reliability (calibration) tables and the reliability diagram.

The table is the data; the figure only draws it (``reliability_diagram``, from
the data a run logs). The figure is built on a bare ``matplotlib.figure.Figure``
with the Agg canvas: no pyplot state and no display needed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ._checks import as_binary, as_probability, bin_index, check_bins, same_length


def reliability_table(y, p, *, bins: int = 10) -> pd.DataFrame:
    """Per equal-width bin of ``[0, 1]``: bounds, count, mean predicted, observed rate.

    Empty bins have count 0 and ``nan`` means. The same bins as ``ece``.
    """
    y, p = as_binary(y), as_probability(p)
    same_length(y, p)
    bins = check_bins(bins)
    idx = bin_index(p, bins)
    count = np.bincount(idx, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        predicted = np.bincount(idx, weights=p, minlength=bins) / count
        observed = np.bincount(idx, weights=y, minlength=bins) / count
    edges = np.linspace(0.0, 1.0, bins + 1)
    return pd.DataFrame(
        {
            "lower": edges[:-1],
            "upper": edges[1:],
            "count": count,
            "mean_predicted": predicted,
            "observed": observed,
        },
        index=pd.RangeIndex(bins, name="bin"),
    )


def reliability_figure(
    y, scores: dict[str, np.ndarray], bins: int = 10, *, lang: str = "en"
) -> Figure:
    """Reliability diagram: observed rate vs mean predicted per bin, one line per candidate.

    Include the oracle in ``scores`` to draw it beside the candidates. Below,
    the number of notices per bin for each candidate (log scale). Drawn from
    ``reliability_data`` by ``reliability_diagram`` (``triage.evaluation.reliability_diagram``).
    """
    from .reliability_diagram import reliability_data, reliability_diagram

    return reliability_diagram(reliability_data(y, scores, bins=bins), lang=lang)
