"""Reliability (calibration) tables and the reliability diagram.

The table is the data; the figure only draws it. The figure is built on a
bare ``matplotlib.figure.Figure`` with the Agg canvas: no pyplot state and no
display needed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
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


def reliability_figure(y, scores: dict[str, np.ndarray], bins: int = 10) -> Figure:
    """Reliability diagram: observed rate vs mean predicted per bin, one line per candidate.

    Include the oracle in ``scores`` to draw it beside the candidates. Below,
    the number of notices per bin for each candidate (log scale).
    """
    fig = Figure(figsize=(6.5, 7.0), layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    top.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect calibration")
    width = 1.0 / check_bins(bins)
    m = len(scores)
    offsets = (np.arange(m) - (m - 1) / 2) * width / max(m, 1)  # bars side by side in a bin
    for (name, p), offset in zip(scores.items(), offsets, strict=True):
        table = reliability_table(y, p, bins=bins)
        shown = table[table["count"] > 0]
        (line,) = top.plot(shown["mean_predicted"], shown["observed"], marker="o", label=name)
        centres = (table["lower"] + table["upper"]) / 2 + offset
        bottom.bar(
            centres,
            table["count"],
            width=width / m,
            color=line.get_color(),
            alpha=0.8,
        )
    top.set(xlim=(0, 1), ylim=(0, 1), ylabel="observed rate", title="Reliability")
    top.legend(loc="upper left", fontsize="small")
    bottom.set(xlabel="predicted probability", ylabel="notices", yscale="log")
    return fig
