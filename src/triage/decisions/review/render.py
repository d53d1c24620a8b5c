"""The review as files: self-contained HTML, Markdown and JSON, drawn like the model card.

Sections are drawn by the model card's renderer (``section_html``, ``table_md``,
its inline CSS); the JSON holds the same sections and every number behind them
(non-finite numbers, such as a ratio to a share of 0, as null).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from triage.labels import DECISION_SUPPORT_NOTICE
from triage.report.render import CSS, section_html, table_md

from .errors import OUT_UNWRITABLE, ReviewError
from .sections import review_sections
from .words import ReviewWords

FILES: tuple[str, ...] = ("decisions.html", "decisions.md", "decisions.json")


def review_document(results: dict[str, Any], lang: str) -> dict[str, Any]:
    """The report in ``lang``: title, header, the sections and the numbers (``results``)."""
    w = ReviewWords(lang)
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    return {
        "review_version": results["review_version"],
        "lang": lang,
        "title": w("title"),
        "decision_support_only": DECISION_SUPPORT_NOTICE[lang],
        "header": w("header", n=results["decisions"], generated=generated),
        "generated_at": generated,
        "sections": review_sections(results, lang),
        "results": _finite(results),
    }


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def body_html(document: dict[str, Any]) -> str:
    """The sections as HTML without a page around them (the reviewers' page embeds this)."""
    return "\n".join(section_html(s, {}) for s in document["sections"])


def render_html(document: dict[str, Any]) -> str:
    head = (
        f'<!DOCTYPE html>\n<html lang="{escape(document["lang"])}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(document['title'])}</title>\n<style>{CSS}</style>\n</head>\n"
    )
    top = (
        f"<h1>{escape(document['title'])}</h1>\n"
        f'<p class="banner">{escape(document["decision_support_only"])}</p>\n'
        f"<p>{escape(document['header'])}</p>\n"
    )
    return f"{head}<body>\n{top}{body_html(document)}\n</body>\n</html>\n"


def render_markdown(document: dict[str, Any]) -> str:
    out = [
        f"# {document['title']}",
        f"> **{document['decision_support_only']}**",
        document["header"],
    ]
    for s in document["sections"]:
        out.append(f"## {s['title']}")
        out += list(s["notes"])
        if s["facts"]:
            out.append("\n".join(f"- **{f['label']}**: {f['value']}" for f in s["facts"]))
        out += ["\n".join(table_md(t)).rstrip("\n") for t in s["tables"]]
    return "\n\n".join(out) + "\n"


def write_review(document: dict[str, Any], out: Path) -> list[Path]:
    """Write ``decisions.html``, ``.md`` and ``.json`` into ``out``; returns their paths."""
    texts = (
        render_html(document),
        render_markdown(document),
        json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False),
    )
    paths = [Path(out) / name for name in FILES]
    try:
        Path(out).mkdir(parents=True, exist_ok=True)
        for path, text in zip(paths, texts, strict=True):
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)  # never a half-written report under the asked name
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise ReviewError(OUT_UNWRITABLE.format(path=out, why=why), param="out") from None
    return paths
