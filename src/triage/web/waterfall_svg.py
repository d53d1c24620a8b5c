"""The waterfall of one notice's factors as SVG geometry, for the page to draw inline.

It reads the score record's explanation (``base``, ``factors``,
``other_factors``, ``margin``), the same data `triage score` prints and
``triage.explain.waterfall`` draws with matplotlib; nothing is recomputed.
Inline SVG needs no script and no picture file, so the page stays within
its Content-Security-Policy; colours come from the stylesheet (classes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from triage.labels import factor_label

TOP = 10
ROW = 24
LABEL_W = 300
PLOT_W = 360
PAD = 12


@dataclass(frozen=True)
class Bar:
    y: float
    x: float
    width: float
    css: str  # "up" | "down" | "end"
    label: str
    value: str
    value_x: float
    anchor: str  # "start" | "end"


@dataclass(frozen=True)
class Waterfall:
    width: int
    height: int
    bars: list[Bar]
    base_x: float
    margin_x: float
    label_x: int
    row_h: int


def waterfall(
    score: dict[str, Any], *, lang: str, base_label: str, margin_label: str, others_label: str
) -> Waterfall | None:
    """Base → the ``TOP`` largest factors → the rest together → this notice's margin."""
    if "base" not in score or not score.get("factors"):
        return None
    factors = score["factors"]
    shown, rest = factors[:TOP], factors[TOP:]
    steps = [(factor_label(f["feature"], f["value"], lang), f["contribution"]) for f in shown]
    other = sum(f["contribution"] for f in rest) + float(score.get("other_factors") or 0.0)
    if rest or other:
        steps.append((others_label.format(n=len(rest)), other))
    base, margin = float(score["base"]), float(score["margin"])
    points = [base]
    for _, c in steps:
        points.append(points[-1] + c)
    lo, hi = min(points), max(points)
    span = (hi - lo) or 1.0
    lo, hi = lo - 0.08 * span, hi + 0.08 * span

    def x(v: float) -> float:
        return LABEL_W + PAD + (v - lo) / (hi - lo) * PLOT_W

    bars = [Bar(0, x(base) - 2, 4, "end", base_label, f"{base:+.2f}", x(base) + 6, "start")]
    start = base
    for i, (label, c) in enumerate(steps, start=1):
        a, b = x(start), x(start + c)
        up = c > 0
        bars.append(
            Bar(
                y=i * ROW,
                x=min(a, b),
                width=max(abs(b - a), 1.0),
                css="up" if up else "down",
                label=label,
                value=f"{c:+.2f}",
                value_x=(max(a, b) + 4) if up else (min(a, b) - 4),
                anchor="start" if up else "end",
            )
        )
        start += c
    n = len(steps) + 1
    bars.append(
        Bar(
            n * ROW, x(margin) - 2, 4, "end", margin_label, f"{margin:+.2f}", x(margin) + 6, "start"
        )
    )
    return Waterfall(
        width=LABEL_W + PLOT_W + 2 * PAD + 60,
        height=(n + 1) * ROW + PAD,
        bars=bars,
        base_x=x(base),
        margin_x=x(margin),
        label_x=LABEL_W,
        row_h=ROW,
    )
