"""The global explanation's figures, drawn headless.

- ``importance``: mean |contribution| per contract field (log-odds), all fields;
- ``beeswarm``: each notice's contribution for the top fields, coloured by the
  field's value (yes / higher = red, no / lower = blue, unknown = grey;
  categories by colour, named in the dependence plots);
- ``dependence``: contribution against the field's value for the top fields.

Each is a plain matplotlib ``Figure`` on the Agg canvas, never pyplot's: a
background thread can then draw them beside the main thread's figures
(matplotlib keys its cache of font objects, which are not thread-safe, by
thread). Figure text is English: the machine has no Japanese font;
``GlobalExplanation.data()`` gives both labels.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from triage.explain.importance import TOP_PLOTS, GlobalExplanation, group_key, key_label, sort_keys
from triage.labels import field_label


def global_figures(g: GlobalExplanation, *, top: int = TOP_PLOTS) -> dict[str, Any]:
    """The importance, beeswarm and dependence figures of ``g`` (``top`` fields in the last two)."""
    return {
        "importance": _importance_figure(g.importance),
        "beeswarm": _beeswarm_figure(g, g.top(top)),
        "dependence": _dependence_figure(g, g.top(top)),
    }


def render_figures(g: GlobalExplanation) -> dict[str, bytes]:
    """The global figures as PNG bytes (what ``mlflow.log_figure`` would write)."""
    return {name: png(fig) for name, fig in global_figures(g).items()}


def png(fig: Any) -> bytes:
    """A figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def agg_figure(width: float, height: float) -> Any:
    """A ``Figure`` on its own Agg canvas (no pyplot state), in the explanations' style."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _importance_figure(importance: dict[str, float]) -> Any:
    fields = list(importance)[::-1]
    fig = agg_figure(7.5, 0.28 * len(fields) + 1.2)
    ax = fig.add_subplot()
    ax.barh(
        [field_label(f, "en") for f in fields], [importance[f] for f in fields], color="#4c72b0"
    )
    ax.set_xlabel("mean |contribution| (log-odds, before calibration)")
    ax.set_title("Global importance: mean absolute contribution per notice field")
    ax.tick_params(axis="y", labelsize=8)
    return fig


def _colour_values(field_name: str, values: list[Any]) -> tuple[np.ndarray, bool]:
    """A number per notice for colouring (NaN = unknown) and whether it is categorical."""
    keys = [group_key(field_name, v) for v in values]
    known = [k for k in keys if k is not None]
    if all(isinstance(k, bool | int | float) for k in known):
        x = np.array([np.nan if k is None else float(k) for k in keys])
        if np.isfinite(x).any():
            lo, hi = np.nanpercentile(x, [5, 95])
            x = np.clip((x - lo) / (hi - lo), 0, 1) if hi > lo else np.where(np.isnan(x), x, 0.5)
        return x, False
    cats = sort_keys(set(known))
    return np.array([np.nan if k is None else float(cats.index(k)) for k in keys]), True


def _beeswarm_figure(g: GlobalExplanation, top: list[str]) -> Any:
    import matplotlib as mpl

    fig = agg_figure(8, 0.7 * len(top) + 1.5)
    ax = fig.add_subplot()
    rng = np.random.default_rng(0)
    cmap, cat_cmap = mpl.colormaps["coolwarm"], mpl.colormaps["tab10"]
    for row, f in enumerate(top[::-1]):
        c = g.contributions[:, g.fields.index(f)]
        colour, categorical = _colour_values(f, g.values[f])
        counts, edges = np.histogram(c, bins=40)
        density = counts[np.clip(np.searchsorted(edges, c, side="right") - 1, 0, 39)]
        jitter = rng.uniform(-0.38, 0.38, len(c)) * density / max(counts.max(), 1)
        rgba = np.array([(0.6, 0.6, 0.6, 1.0)] * len(c))
        known = np.isfinite(colour)
        rgba[known] = cat_cmap(colour[known] % 10) if categorical else cmap(colour[known])
        ax.scatter(c, row + jitter, s=4, c=rgba, linewidths=0, rasterized=True)
    ax.set_yticks(range(len(top)), [field_label(f, "en") for f in top[::-1]], fontsize=8)
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel("contribution to the margin (log-odds)")
    ax.set_title(
        "Contributions of the top fields, one dot per notice\n"
        "red = yes / higher, blue = no / lower, grey = not known; categories: see dependence",
        fontsize=9,
    )
    return fig


def _dependence_figure(g: GlobalExplanation, top: list[str]) -> Any:
    cols = 3
    rows = int(np.ceil(len(top) / cols))
    fig = agg_figure(4.0 * cols, 3.2 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    rng = np.random.default_rng(0)
    for ax, f in zip(axes, top, strict=False):
        c = g.contributions[:, g.fields.index(f)]
        keys = [group_key(f, v) for v in g.values[f]]
        known = [k for k in keys if k is not None]
        numeric = bool(known) and all(
            isinstance(k, int | float) and not isinstance(k, bool) for k in known
        )
        if numeric and len(set(known)) > 8:
            unknown_x = max(known) + 2
            x = np.array([unknown_x if k is None else float(k) for k in keys])
            ax.scatter(x + rng.uniform(-0.2, 0.2, len(x)), c, s=4, alpha=0.4, linewidths=0)
            if any(k is None for k in keys):
                ax.annotate("not known", (unknown_x, 0), fontsize=7, ha="center")
        else:
            cats = sort_keys(set(keys))
            x = np.array([cats.index(k) for k in keys], dtype=float)
            ax.scatter(x + rng.uniform(-0.25, 0.25, len(x)), c, s=4, alpha=0.3, linewidths=0)
            means = [c[x == j].mean() for j in range(len(cats))]
            ax.plot(range(len(cats)), means, "D", color="black", markersize=4)
            labels = [key_label(f, k, "en") for k in cats]
            ax.set_xticks(range(len(cats)), labels, rotation=30, ha="right", fontsize=7)
        ax.axhline(0, color="black", linewidth=0.5)
        ax.set_title(field_label(f, "en"), fontsize=9)
        ax.set_ylabel("contribution (log-odds)", fontsize=8)
    for ax in axes[len(top) :]:
        ax.set_visible(False)
    return fig
