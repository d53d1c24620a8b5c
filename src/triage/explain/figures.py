"""The global explanation's figures, drawn headless, in Japanese or English.

- ``importance``: mean |contribution| per contract field (log-odds), all fields;
- ``beeswarm``: each notice's contribution for the top fields, coloured by the
  field's value (yes / higher = red, no / lower = blue, unknown = grey;
  categories by colour, named in the dependence plots);
- ``dependence``: contribution against the field's value for the top fields.

Each is a plain matplotlib ``Figure`` on the Agg canvas, never pyplot's: a
background thread can then draw them beside the main thread's figures
(matplotlib keys its cache of font objects, which are not thread-safe, by
thread). Labels and fixed words (``FIGURE_TEXT``) come from ``triage.labels`` in
the language asked for. matplotlib's own font has no kana or kanji, so a Japanese
figure puts the installed CJK family first (``triage.explain.fonts``); on a machine
without one ``figure_lang`` says to draw in English instead of empty boxes.
``importance_figure`` and ``truth_check_figure`` also draw from a logged
``global.json``: a model card draws them again in its language.
``GlobalExplanation.data()`` gives both labels.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from triage.contract.errors import InvalidParameter
from triage.explain.fonts import use_cjk_font
from triage.explain.importance import TOP_PLOTS, GlobalExplanation, group_key, key_label, sort_keys
from triage.labels import LANGS, field_label
from triage.labels.catalogue import FIGURE_TEXT


def _t(key: str, lang: str, **fields: object) -> str:
    text = FIGURE_TEXT[key][LANGS.index(lang)]
    return text.format(**fields) if fields else text


def figure_lang(lang: str) -> str:
    """The language a figure asked for in ``lang`` can be drawn in on this machine.

    Japanese puts the installed CJK family first in matplotlib's sans-serif
    list and stays Japanese; without one it is English (a caller says so).
    """
    if lang not in LANGS:
        raise InvalidParameter(f"lang: expected one of {list(LANGS)}, got {lang!r}", param="lang")
    if lang == "ja" and use_cjk_font() is None:
        return "en"
    return lang


def global_figures(
    g: GlobalExplanation, *, top: int = TOP_PLOTS, lang: str = "en"
) -> dict[str, Any]:
    """The importance, beeswarm and dependence figures of ``g`` (``top`` fields in the last two).

    Drawn in ``figure_lang(lang)``: English when Japanese is asked for and no
    CJK font is installed.
    """
    lang = figure_lang(lang)
    return {
        "importance": _importance_figure(g.importance, lang),
        "beeswarm": _beeswarm_figure(g, g.top(top), lang),
        "dependence": _dependence_figure(g, g.top(top), lang),
    }


def render_figures(g: GlobalExplanation, *, lang: str = "en") -> dict[str, bytes]:
    """The global figures as PNG bytes (what ``mlflow.log_figure`` would write)."""
    return {name: png(fig) for name, fig in global_figures(g, lang=lang).items()}


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


def importance_figure(importance: Mapping[str, float], *, lang: str = "en") -> Any:
    """Mean |contribution| per field, largest on top: from ``GlobalExplanation.importance`` or
    the ``importance`` rows of a logged ``global.json`` (a model card draws it in its language)."""
    return _importance_figure(importance, figure_lang(lang))


def truth_check_figure(
    rows: Sequence[Mapping[str, Any]], *, spearman: float, top5_overlap: float, lang: str = "en"
) -> Any:
    """Model importance against the generator's true effect size, one dot per field.

    ``rows``: ``{"feature", "true_effect", "importance"}`` per field (``TruthCheck.data()``'s
    ``fields``, as logged in ``global.json``); the title gives the two agreement measures.
    """
    lang = figure_lang(lang)
    fig = agg_figure(7, 5.5)
    ax = fig.add_subplot()
    x = np.array([float(r["true_effect"]) for r in rows])
    y = np.array([float(r["importance"]) for r in rows])
    ax.scatter(x, y, color="#4c72b0")
    for r, xi, yi in zip(rows, x, y, strict=True):
        ax.annotate(
            _field_words(r["feature"], lang), (xi, yi), fontsize=6, xytext=(3, 2),
            textcoords="offset points",
        )  # fmt: skip
    ax.set_xlabel(_t("truth_x", lang))
    ax.set_ylabel(_t("truth_y", lang))
    ax.set_title(_t("truth_title", lang, spearman=spearman, overlap=top5_overlap), fontsize=10)
    return fig


def _field_words(field: str, lang: str) -> str:
    try:
        return field_label(field, lang)
    except (KeyError, ValueError):  # a field this version has no words for shows its name
        return field


def _importance_figure(importance: Mapping[str, float], lang: str) -> Any:
    fields = list(importance)[::-1]
    fig = agg_figure(7.5, 0.28 * len(fields) + 1.2)
    ax = fig.add_subplot()
    ax.barh(
        [_field_words(f, lang) for f in fields], [importance[f] for f in fields], color="#4c72b0"
    )
    ax.set_xlabel(_t("importance_x", lang))
    ax.set_title(_t("importance_title", lang))
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


def _beeswarm_figure(g: GlobalExplanation, top: list[str], lang: str) -> Any:
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
    ax.set_yticks(range(len(top)), [field_label(f, lang) for f in top[::-1]], fontsize=8)
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel(_t("beeswarm_x", lang))
    ax.set_title(_t("beeswarm_title", lang), fontsize=9)
    return fig


def _dependence_figure(g: GlobalExplanation, top: list[str], lang: str) -> Any:
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
                ax.annotate(_t("not_known", lang), (unknown_x, 0), fontsize=7, ha="center")
        else:
            cats = sort_keys(set(keys))
            x = np.array([cats.index(k) for k in keys], dtype=float)
            ax.scatter(x + rng.uniform(-0.25, 0.25, len(x)), c, s=4, alpha=0.3, linewidths=0)
            means = [c[x == j].mean() for j in range(len(cats))]
            ax.plot(range(len(cats)), means, "D", color="black", markersize=4)
            labels = [key_label(f, k, lang) for k in cats]
            ax.set_xticks(range(len(cats)), labels, rotation=30, ha="right", fontsize=7)
        ax.axhline(0, color="black", linewidth=0.5)
        ax.set_title(field_label(f, lang), fontsize=9)
        ax.set_ylabel(_t("dependence_y", lang), fontsize=8)
    for ax in axes[len(top) :]:
        ax.set_visible(False)
    return fig
