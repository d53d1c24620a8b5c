"""One notice, explained: a waterfall picture and a plain text in Japanese or English.

Both read an ``Explanation`` (``triage.explain.explain``); nothing is
recomputed. The picture runs from the model's base value through the largest
factors (the rest summed as "other factors") to the notice's margin, in
log-odds before calibration; its text is English (no Japanese font here).
The text gives the model's tier (before the rules' floor) and calibrated risk, the factors as plain
sentences from the label catalogue, what to ask next (if given), and the
caution that a low score is not evidence of safety.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np

from triage.labels import DECISION_SUPPORT_NOTICE, LANGS, factor_label, tier_label

WATERFALL_TOP = 10
TEXT_TOP = 8

TEXT = {
    "title": ("Explanation of notice {id}", "通告 {id} の説明"),
    "model": ("Model: {model}", "モデル：{model}"),
    # The model's tier only: the national rules' floor may raise it (never lower it);
    # `triage score` gives the suggested tier with the rules that fired.
    "tier": (
        "Model tier: {tier} (calibrated risk {risk:.1%}); the safety-floor rules may raise it"
        " — `triage score` gives the suggested tier",
        "モデルによる緊急度：{tier}（推定リスク {risk:.1%}）。国のルールによる下限でさらに上がることがある"
        "（提案される緊急度は triage score で確認）",
    ),
    "factors": ("Factors, largest first:", "影響の大きい順の要因："),
    "others": (
        "Other factors together: {value:+.2f}",
        "その他の要因の合計：{value:+.2f}",
    ),
    "scale": (
        "(contributions in log-odds before calibration; base {base:+.2f} → {margin:+.2f})",
        "（寄与は校正前の対数オッズ。基準値 {base:+.2f} → {margin:+.2f}）",
    ),
    "ask": ("What to ask next:", "次に確認すべきこと："),
    "none": ("No factor moved the score.", "スコアを動かした要因はありません。"),
}
"""Fixed phrases of the text explanation, (en, ja)."""


def _t(key: str, lang: str, **kw) -> str:
    return TEXT[key][LANGS.index(lang)].format(**kw)


def explanation_text(
    explanation: Any,
    i: int = 0,
    *,
    lang: str = "ja",
    risk: float | None = None,
    tier: str | None = None,
    model: str | None = None,
    ask: list[dict[str, Any]] | None = None,
    top: int = TEXT_TOP,
) -> str:
    """Plain text for notice ``i``: tier, risk, factor sentences, what to ask, the caution."""

    if lang not in LANGS:
        raise ValueError(f"lang: expected one of {list(LANGS)}, got {lang!r}")
    d = explanation.data(i)
    factors = explanation.factors(i, lang=lang)
    shown, rest = factors[:top], factors[top:]
    lines = [_t("title", lang, id=d["notice_id"] or i + 1)]
    if model:
        lines.append(_t("model", lang, model=model))
    if tier is not None and risk is not None:
        lines.append(_t("tier", lang, tier=tier_label(tier, lang), risk=float(risk)))
    lines.append("")
    if shown:
        lines.append(_t("factors", lang))
        for f in shown:
            lines.append(f"  • {f['sentence']} ({f['contribution']:+.2f})")
        other = sum(f["contribution"] for f in rest) + d["others"]
        if rest or d["others"]:
            lines.append("  • " + _t("others", lang, value=other))
    else:
        lines.append(_t("none", lang))
    lines.append("  " + _t("scale", lang, base=d["base"], margin=d["margin"]))
    if ask:
        lines += ["", _t("ask", lang)]
        lines += [f"  • {a['sentence']}" for a in ask]
    lines += ["", DECISION_SUPPORT_NOTICE[lang]]
    return "\n".join(lines) + "\n"


def waterfall_figure(explanation: Any, i: int = 0, *, top: int = WATERFALL_TOP):
    """A waterfall of notice ``i``: base → largest factors → other factors → margin (Agg)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    d = explanation.data(i)
    factors = explanation.factors(i, lang="en")
    shown, rest = factors[:top], factors[top:]
    steps = [(factor_label(f["feature"], f["value"], "en"), f["contribution"]) for f in shown]
    other = sum(f["contribution"] for f in rest) + d["others"]
    if rest or abs(other) > 0:
        steps.append((f"{len(rest)} other factors", other))
    fig = Figure(figsize=(8, 0.42 * (len(steps) + 2) + 1.2), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    start = d["base"]
    ys = np.arange(len(steps))[::-1] + 1
    for y, (_, c) in zip(ys, steps, strict=True):
        colour = "#c44e52" if c > 0 else "#4c72b0"
        ax.barh(y, c, left=start, color=colour, height=0.6)
        ax.annotate(
            f"{c:+.2f}",
            (start + c, y),
            xytext=(4 if c > 0 else -4, 0),
            textcoords="offset points",
            ha="left" if c > 0 else "right",
            va="center",
            fontsize=7,
        )
        start += c
    ax.axvline(d["base"], color="grey", linestyle=":", linewidth=0.8)
    ax.axvline(d["margin"], color="black", linewidth=0.8)
    labels = [label for label, _ in steps]
    ax.set_yticks(list(ys) + [0, len(steps) + 1], labels + ["margin", "base value"], fontsize=8)
    ax.plot([d["base"]], [len(steps) + 1], "o", color="grey")
    ax.plot([d["margin"]], [0], "o", color="black")
    ax.set_xlabel("log-odds of harm before calibration (red raises, blue lowers urgency)")
    ax.set_title(
        f"Notice {d['notice_id']}: base {d['base']:+.2f} → margin {d['margin']:+.2f}",
        fontsize=9,
    )
    fig.supxlabel(textwrap.fill(DECISION_SUPPORT_NOTICE["en"], 110), fontsize=7, ha="left", x=0.01)
    return fig
