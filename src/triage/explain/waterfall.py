"""One notice, explained: a waterfall picture and a plain text in Japanese or English.

Both read an ``Explanation`` (``triage.explain.explain``); nothing is
recomputed. The picture runs from the model's base value through the largest
factors (the rest summed as "other factors") to the notice's margin, in
log-odds before calibration, with its labels in the language asked for (in
English when Japanese is asked and no CJK font is installed:
``triage.explain.figures.figure_lang``).
The text gives the model's tier (before the rules' floor) and calibrated risk, the factors as plain
sentences from the label catalogue, what to ask next (if given), and the
caution that a low score is not evidence of safety.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import numpy as np

from triage.contract.errors import InvalidParameter
from triage.explain.figures import agg_figure, figure_lang
from triage.labels import DECISION_SUPPORT_NOTICE, LANGS, factor_label, tier_label

WATERFALL_TOP = 10
TEXT_TOP = 8
NOTICE_LINE = {"en": 110, "ja": 56}
"""Characters per line of the decision-support notice under a picture (a kanji is twice as wide)."""
_PHRASE = re.compile(r"[^。、]*[。、]?")

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
        "（寄与は較正前の対数オッズ。基準値 {base:+.2f} → {margin:+.2f}）",
    ),
    "ask": ("What to ask next:", "次に確認すべきこと："),
    "none": ("No factor moved the score.", "スコアを動かした要因はありません。"),
    # the picture
    "picture_title": (
        "Notice {id}: base value {base:+.2f} → this notice {margin:+.2f}",
        "通告 {id}：基準値 {base:+.2f} → この通告 {margin:+.2f}",
    ),
    "picture_axis": (
        "log-odds of harm before calibration (red raises, blue lowers urgency)",
        "較正前の危害の対数オッズ（赤は緊急度を上げ、青は下げる方向）",
    ),
    "picture_base": ("base value", "基準値"),
    "picture_margin": ("this notice", "この通告"),
    "picture_others": ("{n} other factors", "その他の要因（{n}件）"),
}
"""Fixed phrases of the text explanation and of the picture, (en, ja)."""


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
        raise InvalidParameter(f"lang: expected one of {list(LANGS)}, got {lang!r}", param="lang")
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


def waterfall_figure(explanation: Any, i: int = 0, *, lang: str = "en", top: int = WATERFALL_TOP):
    """A waterfall of notice ``i``: base → largest factors → other factors → margin (Agg).

    Labels in ``figure_lang(lang)``: English when Japanese is asked for and no
    CJK font is installed.
    """
    lang = figure_lang(lang)
    d = explanation.data(i)
    factors = explanation.factors(i, lang=lang)
    shown, rest = factors[:top], factors[top:]
    steps = [(factor_label(f["feature"], f["value"], lang), f["contribution"]) for f in shown]
    other = sum(f["contribution"] for f in rest) + d["others"]
    if rest or abs(other) > 0:
        steps.append((_t("picture_others", lang, n=len(rest)), other))
    fig = agg_figure(8, 0.42 * (len(steps) + 2) + 1.2)
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
    ends = np.cumsum([d["base"]] + [c for _, c in steps])
    pad = 0.1 * (float(ends.max() - ends.min()) or 1.0)  # room for the end labels and the dots
    ax.set_xlim(float(ends.min()) - pad, float(ends.max()) + pad)
    ax.axvline(d["base"], color="grey", linestyle=":", linewidth=0.8)
    ax.axvline(d["margin"], color="black", linewidth=0.8)
    labels = [label for label, _ in steps] + [_t("picture_margin", lang), _t("picture_base", lang)]
    ax.set_yticks(list(ys) + [0, len(steps) + 1], labels, fontsize=8)
    ax.plot([d["base"]], [len(steps) + 1], "o", color="grey")
    ax.plot([d["margin"]], [0], "o", color="black")
    ax.set_xlabel(_t("picture_axis", lang))
    title = _t(
        "picture_title", lang, id=d["notice_id"] or i + 1, base=d["base"], margin=d["margin"]
    )
    ax.set_title(title, fontsize=9)
    notice = _wrap(DECISION_SUPPORT_NOTICE[lang], NOTICE_LINE[lang])
    fig.supxlabel(notice, fontsize=7, ha="left", x=0.01)
    return fig


def _wrap(text: str, width: int) -> str:
    """Lines of at most ``width`` characters: at spaces, or in Japanese after 。 and 、."""
    if " " in text:
        return textwrap.fill(text, width)
    lines, line = [], ""
    for phrase in filter(None, _PHRASE.findall(text)):
        if line and len(line) + len(phrase) > width:
            lines.append(line)
            line = ""
        line += phrase
        while len(line) > width:
            lines.append(line[:width])
            line = line[width:]
    return "\n".join([*lines, line] if line else lines)
