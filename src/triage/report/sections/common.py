"""What every section is made of: the section and fact shapes, number formats, labels, figures.

Sections are plain dicts because they go into the card's JSON as they are
(``card.schema.json`` is their contract).
"""

from __future__ import annotations

import base64
import hashlib
import math
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from triage import labels
from triage.contract.threads import thread_budget
from triage.explain.figures import figure_lang, png
from triage.report._text import FACTS, METRICS, TEXT, TITLES, WORDS, t
from triage.report.reader import RunRecord

Section = dict[str, Any]
Table = dict[str, Any]
Figure = dict[str, str]
Figures = dict[str, Figure | Future[Figure]]
"""The card's figures by key, each a PNG as base64 (``drawn`` waits for those still being
drawn); sections refer to them by key."""

OUTCOMES: tuple[str, ...] = ("true", "recorded")


def section(sid: str, lang: str, *, available: bool = True, **content: Any) -> Section:
    out: Section = {"id": sid, "title": t(TITLES, sid, lang), "available": available}
    out.update({"notes": [], "facts": [], "tables": [], "figures": [], "lists": [], "data": {}})
    out.update(content)
    return out


def fact(key: str, value: Any, lang: str) -> dict[str, str]:
    return {"key": key, "label": t(FACTS, key, lang), "value": "" if value is None else str(value)}


def fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def count(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def num(x: str | None) -> float | None:
    """A logged CSV cell as a number; empty, malformed and non-finite cells are ``None``."""
    if x is None:
        return None
    try:
        v = float(x)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def cell(metrics: dict[str, float], key: str) -> dict[str, Any] | None:
    """A metric with its interval (``key_low``, ``key_high``), or ``None`` if not logged."""
    if key not in metrics:
        return None
    return {
        "key": key,
        "estimate": metrics[key],
        "low": metrics.get(f"{key}_low"),
        "high": metrics.get(f"{key}_high"),
    }


def interval(c: dict[str, Any] | None) -> str:
    if not c:
        return "—"
    if c.get("low") is None or c.get("high") is None:
        return fmt(c["estimate"])
    return f"{fmt(c['estimate'])} [{fmt(c['low'])}, {fmt(c['high'])}]"


def metric_table(
    caption: str, rows: list[dict[str, Any]], metrics: Sequence[str], lang: str
) -> Table:
    """Candidates (rows of ``{"candidate", "metrics": {name: cell}}``) by metric, each with its
    interval. A metric no candidate has would be a column of "—" only (under-triage of a
    routing run, which has no tiers; the figures of an outcome judged by AUC alone): it is
    left out."""
    shown = [n for n in metrics if any(n in r["metrics"] for r in rows)]
    return {
        "caption": caption,
        "columns": [t(WORDS, "candidate", lang)] + [t(METRICS, n, lang) for n in shown],
        "rows": [[r["candidate"]] + [interval(r["metrics"].get(n)) for n in shown] for r in rows],
    }


# Labels fall back to the raw name: a run may log a field or value this version has no words for.


def field_label(field: str, lang: str) -> str:
    try:
        return labels.field_label(field, lang)
    except (KeyError, ValueError):
        return field


def group_label(feature: str, group: str, lang: str) -> str:
    try:
        return labels.value_label(feature, group, lang)
    except (KeyError, ValueError):
        return group


def tier_name(tier: str, lang: str) -> str:
    try:
        return labels.tier_label(tier, lang)
    except ValueError:
        return tier


def audit_metric_label(metric: str, lang: str, decision: str | None = None) -> str:
    """An audit metric's words for the decision audited (a route's misses: under-routing)."""
    from triage.audit.report import audit_metric_label as words

    return words(metric, lang, decision)


Draw = Callable[[str], Any]
"""Draws a figure in the language given (``en``/``ja``) from data the run logged; a Figure."""


def embed_figure(
    run: RunRecord,
    path: str,
    figures: Figures,
    lang: str,
    *,
    draw: tuple[str, Draw] | None = None,
) -> tuple[str | None, list[str]]:
    """Add the figure the run logged at ``path`` to ``figures``, in the card's language.

    ``draw`` = (the artefact holding the figure's data, the figure's drawing), when the
    run logged that data. The run's own PNG is English (drawn at run time by the same
    drawing): an English card embeds it as it is, and draws only when it is missing. A
    Japanese card draws the figure in Japanese; without a CJK font it is English and a
    note says so. Without the data (a run logged before cards drew their figures) the
    run's PNG is embedded with a note that it is in English. Returns the figure's key
    (``None`` when there is no figure) and the notes for the section.
    """
    key = path.replace("/", "_").rsplit(".", 1)[0]
    logged = run.file(path) if lang == "en" or draw is None else None
    if logged is not None:
        figures[key] = _png_entry(path, logged)
        return key, [] if lang == "en" else [t(TEXT, "figure_in_english", lang)]
    if draw is None:
        return None, []
    source, drawing = draw
    drawn_in = figure_lang(lang)
    figures[key] = _figure_of(run, path, source, drawn_in, drawing)
    return key, [] if drawn_in == lang else [t(TEXT, "figure_no_cjk_font", lang)]


def _figure_of(
    run: RunRecord, path: str, source: str, lang: str, drawing: Draw
) -> Figure | Future[Figure]:
    drawing_ahead_now = _ahead.get()
    if not drawing_ahead_now and not _drawn_ahead:
        return _drawn_in_pool(source, lang, drawing)  # nothing kept: the source is not read
    # The same run, figure, language and data: the same drawing.
    data = run.file(source)
    ahead = (run.run_id, path, lang, hashlib.sha256(data or b"").hexdigest())
    with _ahead_lock:
        kept = _drawn_ahead.pop(ahead, None)
    if kept is not None:
        return kept
    if not drawing_ahead_now:
        return _drawn_in_pool(source, lang, drawing)
    # Ahead of the card, in the caller's thread: at its priority (idle time), not the pool's.
    figure = _png_entry(source, png(drawing(lang)))
    with _ahead_lock:
        _drawn_ahead[ahead] = figure
        while len(_drawn_ahead) > AHEAD_KEPT:  # a run that never built its card
            _drawn_ahead.pop(next(iter(_drawn_ahead)))
    return figure


def _drawn_in_pool(source: str, lang: str, drawing: Draw) -> Future[Figure]:
    # Drawn in a pool while the other sections are built: a card draws up to six
    # figures, 0.1-0.35 s each on one core (matplotlib keys its fonts by thread).
    return _drawing_pool().submit(lambda: _png_entry(source, png(drawing(lang))))


AHEAD_KEPT = 32
"""Figures drawn ahead kept at most (oldest dropped): a card draws up to six."""

_ahead: ContextVar[bool] = ContextVar("drawing_ahead", default=False)
_drawn_ahead: dict[tuple[str, str, str, str], Figure] = {}
_ahead_lock = threading.Lock()


@contextmanager
def drawing_ahead() -> Iterator[None]:
    """Figures a card draws inside are drawn in the caller's thread and kept for the same
    run's next card, which embeds them instead of drawing them again when their data
    have not changed (each kept figure is used once)."""
    token = _ahead.set(True)
    try:
        yield
    finally:
        _ahead.reset(token)


def drawn(figures: Figures) -> dict[str, Figure]:
    """``figures`` with every drawing finished (its error, if one failed)."""
    return {key: f.result() if isinstance(f, Future) else f for key, f in figures.items()}


_pool: tuple[int, ThreadPoolExecutor] | None = None  # with the process it belongs to
_pool_lock = threading.Lock()


def _drawing_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():  # a forked child has none of its threads
            _pool = (
                os.getpid(),
                ThreadPoolExecutor(thread_budget(), thread_name_prefix="card-figure"),
            )
        return _pool[1]


def _png_entry(artifact: str, data: bytes) -> Figure:
    return {
        "artifact": artifact,
        "media_type": "image/png",
        "base64": base64.b64encode(data).decode("ascii"),
    }
