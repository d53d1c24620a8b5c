"""A figure per swept key: each headline metric against the key's value, one line per
candidate and the oracle, the seeds' t-interval as a band.

When more than one key is swept, a figure pools the cells that share the key's value
(the report says so). The x axis is logarithmic when the values span two decades or
more (the learning curve's 10k → 1M notices); values that are not numbers are placed
evenly in the sweep file's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from triage.explain.figures import agg_figure, figure_lang, png
from triage.sweep.cell_table import CellTable, Headline, estimates_of
from triage.sweep.seed_interval import SeedInterval
from triage.sweep.sweep_runs import CellRun
from triage.sweep.text import metric_label, sweep_text

LOG_SPAN = 100.0
"""Largest over smallest value from which the x axis is logarithmic (two decades)."""


@dataclass(frozen=True)
class KeyPoints:
    """The values a key took, in order, and per value the runs of every cell that had it."""

    key: str
    values: list[Any]
    runs: list[list[CellRun]]

    @property
    def numeric(self) -> bool:
        return all(isinstance(v, int | float) and not isinstance(v, bool) for v in self.values)

    @property
    def logarithmic(self) -> bool:
        if not self.numeric or min(self.values) <= 0:
            return False
        return max(self.values) / min(self.values) >= LOG_SPAN


def key_points(table: CellTable, key: str) -> KeyPoints:
    by_value: dict[str, tuple[Any, list[CellRun]]] = {}
    for cell in table.cells:
        if key in cell.overrides:
            value = cell.overrides[key]
            by_value.setdefault(repr(value), (value, []))[1].extend(cell.runs)
    pairs = list(by_value.values())
    points = KeyPoints(key, [v for v, _ in pairs], [r for _, r in pairs])
    if points.numeric:
        order = sorted(range(len(pairs)), key=lambda i: pairs[i][0])
        points = KeyPoints(key, [pairs[i][0] for i in order], [pairs[i][1] for i in order])
    return points


def key_figure(table: CellTable, key: str, *, lang: str) -> bytes:
    """PNG of the figure-worthy headlines against ``key`` (drawn in English without a CJK font)."""
    lang = figure_lang(lang)
    points = key_points(table, key)
    panels = figure_headlines(table)
    pooled = [estimates_of(runs, panels, table.level) for runs in points.runs]
    x = list(points.values) if points.numeric else list(range(len(points.values)))
    fig = agg_figure(4.2 * max(1, len(panels)), 3.8)
    axes = fig.subplots(1, max(1, len(panels)), squeeze=False)[0]
    for ax, headline in zip(axes, panels, strict=False):
        for i, candidate in enumerate(table.candidates):
            found = [p.get((headline.outcome, candidate, headline.metric)) for p in pooled]
            _draw_line(ax, x, found, candidate, color=_color(candidate, i))
        ax.set_ylabel(metric_label(headline.outcome, headline.metric, lang), fontsize=9)
        _x_axis(ax, points, x, lang)
        ax.grid(alpha=0.3)
    legend: dict[str, Any] = {}  # every line once: the oracle has no AUC / oracle panel line
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(label, handle)
    handles, labels = list(legend.values()), list(legend)
    if handles:
        fig.legend(
            handles, labels, loc="outside lower center", ncol=min(6, len(labels)), fontsize=8
        )
    return png(fig)


def _draw_line(ax: Any, x: list[Any], found: list[SeedInterval | None], name: str, color: str):
    xs = [xi for xi, f in zip(x, found, strict=True) if f is not None]
    shown = [f for f in found if f is not None]
    if not shown:
        return
    style = "--" if name.startswith("oracle") else "-"
    ax.plot(xs, [f.mean for f in shown], style, marker="o", color=color, label=name, markersize=4)
    banded = [(xi, f) for xi, f in zip(xs, shown, strict=True) if f.low is not None]
    if banded:
        ax.fill_between(
            [xi for xi, _ in banded],
            [f.low for _, f in banded],
            [f.high for _, f in banded],
            color=color,
            alpha=0.15,
            linewidth=0,
        )


def _color(candidate: str, i: int) -> str:
    return "black" if candidate == "oracle" else f"C{i}"


def _x_axis(ax: Any, points: KeyPoints, x: list[Any], lang: str) -> None:
    if points.logarithmic:
        ax.set_xscale("log")
        ax.set_xlabel(sweep_text("log_scale", lang, key=points.key), fontsize=9)
    else:
        ax.set_xlabel(points.key, fontsize=9)
    if not points.numeric:
        ax.set_xticks(x, [str(v) for v in points.values], rotation=20, fontsize=8)
    elif len(x) <= 8:
        ax.set_xticks(x, [f"{v:g}" for v in points.values], fontsize=8)
        ax.minorticks_off()


def figure_headlines(table: CellTable) -> list[Headline]:
    """The headlines a key's figure draws (every headline when none is marked for figures)."""
    return [h for h in table.headlines if h.figure] or table.headlines[:1]
