"""The reliability diagram drawn from its logged data, in English or Japanese.

A run logs ``reliability_data`` (JSON) beside the figure, so a model card draws the
same diagram again in the card's language. ``triage.evaluation.reliability_figure``
is the two in one step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ._checks import check_bins
from ._reliability import reliability_table
from .figure_text import figure_text

COLUMNS: tuple[str, ...] = ("count", "mean_predicted", "observed")


def reliability_data(y: Any, scores: Mapping[str, np.ndarray], *, bins: int = 10) -> dict:
    """Each candidate's ``reliability_table`` as plain lists (``nan`` of an empty bin is ``None``).

    ``{"bins": bins, "candidates": {name: {"count": [...], "mean_predicted": [...],
    "observed": [...]}}}``: aggregates only, ready for JSON.
    """
    bins = check_bins(bins)
    out: dict[str, dict[str, list]] = {}
    for name, p in scores.items():
        table = reliability_table(y, p, bins=bins)
        out[name] = {
            col: [None if not np.isfinite(v) else float(v) for v in table[col]] for col in COLUMNS
        }
        out[name]["count"] = [int(v) for v in table["count"]]
    return {"bins": bins, "candidates": out}


def reliability_diagram(data: dict, *, lang: str = "en") -> Figure:
    """Observed rate against mean predicted per bin, one line per candidate; below, notices per bin.

    ``data`` is ``reliability_data``'s. Words in ``lang``: for Japanese the caller puts a
    CJK font first (``triage.explain.figures.figure_lang``).
    """
    bins = check_bins(data["bins"])
    candidates = data["candidates"]
    fig = Figure(figsize=(6.5, 7.0), layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    top.plot(
        [0, 1], [0, 1], linestyle="--", color="grey", linewidth=1,
        label=figure_text("reliability_perfect", lang),
    )  # fmt: skip
    width = 1.0 / bins
    centres = (np.arange(bins) + 0.5) * width
    m = len(candidates)
    offsets = (np.arange(m) - (m - 1) / 2) * width / max(m, 1)  # bars side by side in a bin
    for (name, table), offset in zip(candidates.items(), offsets, strict=True):
        count = np.asarray(table["count"], dtype=float)
        predicted = np.array([np.nan if v is None else v for v in table["mean_predicted"]])
        observed = np.array([np.nan if v is None else v for v in table["observed"]])
        shown = count > 0
        (line,) = top.plot(predicted[shown], observed[shown], marker="o", label=name)
        bottom.bar(centres + offset, count, width=width / m, color=line.get_color(), alpha=0.8)
    top.set(
        xlim=(0, 1), ylim=(0, 1),
        ylabel=figure_text("reliability_y", lang), title=figure_text("reliability_title", lang),
    )  # fmt: skip
    top.legend(loc="upper left", fontsize="small")
    bottom.set(
        xlabel=figure_text("reliability_x", lang),
        ylabel=figure_text("reliability_count", lang),
        yscale="log",
    )
    return fig
