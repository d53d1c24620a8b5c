"""The sweep report: the sweep's question, its cells, the headline metrics with their
intervals across seeds, a figure per swept key and the failed cells, in Japanese and
English (self-contained HTML and Markdown) and as one JSON document.

The sections have the model card's shape and are rendered by the card's own HTML and
Markdown code (``triage.report.render``): one look, one escaping, figures inline as
data URIs so the HTML fetches nothing.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from triage.labels import LANGS
from triage.report.render import CSS, section_html, table_md
from triage.sweep.cell_table import CellTable
from triage.sweep.figures import key_figure
from triage.sweep.sweep_runs import FAILED, FINISHED, SweepRuns
from triage.sweep.text import metric_label, sweep_text

SUMMARY_JSON = "sweep_summary.json"


def report_html(lang: str) -> str:
    return f"sweep_report.{lang}.html"


def report_markdown(lang: str) -> str:
    return f"sweep_report.{lang}.md"


def figure_file(index: int, lang: str) -> str:
    return f"figure_{index + 1}.{lang}.png"


@dataclass(frozen=True)
class SweepReport:
    sweep: SweepRuns
    table: CellTable
    generated_at: str

    def sections(self, lang: str, figures: list[str]) -> list[dict[str, Any]]:
        """The card-shaped sections; ``figures``: the figure keys, one per swept key."""
        audit = [self._audit(lang)] if any(c.audit for c in self.table.cells) else []
        return [
            self._cells(lang),
            self._metrics(lang),
            *audit,
            self._figures(lang, figures),
            self._failed(lang),
        ]

    def _section(self, sid: str, lang: str, **content: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"id": sid, "title": sweep_text(sid, lang), "available": True}
        out.update({"notes": [], "facts": [], "tables": [], "figures": [], "lists": []})
        out.update(content)
        return out

    def _cells(self, lang: str) -> dict[str, Any]:
        runs = self.sweep.runs
        finished = sum(r.status == FINISHED for r in runs)
        failed = sum(r.status in FAILED for r in runs)
        note = sweep_text(
            "cells_note", lang, total=len(runs), finished=finished, failed=failed,
            other=len(runs) - finished - failed,
        )  # fmt: skip
        table = {
            "caption": "",
            "columns": [
                sweep_text(k, lang) for k in ("col_settings", "col_finished", "col_failed")
            ],
            "rows": [[self.table.label(c), c.finished, c.failed] for c in self.table.cells],
        }
        facts = [{"key": k, "label": k, "value": str(v)} for k, v in self.table.fixed.items()]
        if facts:
            note += " " + sweep_text("fixed_note", lang)
        return self._section("cells", lang, notes=[note], facts=facts, tables=[table])

    def _metrics(self, lang: str) -> dict[str, Any]:
        if not self.table.headlines:
            return self._section(
                "metrics", lang, available=False, notes=[sweep_text("nothing_finished", lang)]
            )
        tables = []
        for h in self.table.headlines:
            rows = []
            for cell in self.table.cells:
                shown = [self.table.estimate(cell, h, c) for c in self.table.candidates]
                rows.append([self.table.label(cell), *[s.text() if s else "—" for s in shown]])
            tables.append(
                {
                    "caption": metric_label(h.outcome, h.metric, lang),
                    "columns": [sweep_text("col_settings", lang), *self.table.candidates],
                    "rows": rows,
                }
            )
        note = sweep_text("interval_note", lang, level=self.table.level)
        return self._section("metrics", lang, notes=[note], tables=tables)

    def _audit(self, lang: str) -> dict[str, Any]:
        """Per audit part, a table of cells × (all features, each feature): mean flags."""
        keys = sorted({k for c in self.table.cells for k in c.audit})
        parts = list(dict.fromkeys(k.split(".")[1] for k in keys))
        order = {p: i for i, p in enumerate(("recorded", "true", "labels", "audit"))}
        tables = []
        for part in sorted(parts, key=lambda p: order.get(p, len(order))):
            total = f"audit.{part}.flags"
            features = sorted(k for k in keys if k.startswith(total + "."))
            columns = [sweep_text("col_settings", lang), sweep_text("col_all_flags", lang)]
            columns += [k[len(total) + 1 :] for k in features]
            rows = []
            for cell in self.table.cells:
                shown = [cell.audit.get(k) for k in (total, *features)]
                rows.append([self.table.label(cell), *[e.text() if e else "—" for e in shown]])
            tables.append({"caption": sweep_text(f"audit_{part}", lang), "columns": columns,
                           "rows": rows})  # fmt: skip
        experiment = self.sweep.audit_experiment or "—"
        note = sweep_text("audit_note", lang, experiment=experiment, level=self.table.level)
        return self._section("audit", lang, notes=[note], tables=tables)

    def _figures(self, lang: str, figures: list[str]) -> dict[str, Any]:
        notes = [sweep_text("pooled_note", lang)] if len(self.table.varied) > 1 else []
        shown = [
            {
                "key": fig,
                "caption": sweep_text("figure_caption", lang, key=key, level=self.table.level),
            }
            for fig, key in zip(figures, self.table.varied, strict=True)
        ]
        return self._section("figures", lang, notes=notes, figures=shown)

    def _failed(self, lang: str) -> dict[str, Any]:
        failed = [r for r in self.sweep.runs if r.status in FAILED]
        if not failed:
            return self._section("failed", lang, notes=[sweep_text("no_failed", lang)])
        columns = [sweep_text(k, lang) for k in ("col_cell", "col_seed", "col_error", "col_run")]
        rows = [[r.cell_id, r.seed, r.error or r.status, r.run_id] for r in failed]
        return self._section(
            "failed", lang, tables=[{"caption": "", "columns": columns, "rows": rows}]
        )

    def data(self) -> dict[str, Any]:
        """The summary as JSON: every cell's runs and headline intervals, language-free."""
        return {
            "sweep": self.sweep.name,
            "question": self.sweep.question,
            "parent_run_id": self.sweep.parent_run_id,
            "pipeline": self.sweep.pipeline,
            "keys": self.table.varied,
            "fixed": self.table.fixed,
            "level": self.table.level,
            "generated_at": self.generated_at,
            "candidates": self.table.candidates,
            "cells": [
                {
                    "overrides": cell.overrides,
                    "finished": cell.finished,
                    "failed": cell.failed,
                    "runs": [
                        {
                            "cell": r.cell_id,
                            "seed": r.seed,
                            "run_id": r.run_id,
                            "status": r.status,
                            "error": r.error,
                        }  # fmt: skip
                        for r in cell.runs
                    ],
                    "metrics": {
                        f"{outcome}.{cand}.{metric}": est.as_dict()
                        for (outcome, cand, metric), est in cell.estimates.items()
                    },
                    "audit": {key: est.as_dict() for key, est in cell.audit.items()},
                }
                for cell in self.table.cells
            ],
        }


def write_sweep_report(sweep: SweepRuns, table: CellTable, folder: Path) -> list[Path]:
    """The report's files in ``folder`` (HTML and Markdown per language, figures, JSON)."""
    folder.mkdir(parents=True, exist_ok=True)
    report = SweepReport(sweep, table, datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    written = []
    for lang in LANGS:
        pngs = [key_figure(table, key, lang=lang) for key in table.varied] if table.headlines else []
        names = [figure_file(i, lang) for i in range(len(pngs))]
        for name, data in zip(names, pngs, strict=True):
            written.append(_write(folder / name, data))
        sections = report.sections(lang, names)
        html = _html(
            report, sections, {n: _inline(d) for n, d in zip(names, pngs, strict=True)}, lang
        )
        written.append(_write(folder / report_html(lang), html.encode("utf-8")))
        markdown = _markdown(report, sections, lang)
        written.append(_write(folder / report_markdown(lang), markdown.encode("utf-8")))
    text = json.dumps(report.data(), ensure_ascii=False, indent=2)
    written.append(_write(folder / SUMMARY_JSON, text.encode("utf-8")))
    return written


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _inline(data: bytes) -> dict[str, str]:
    return {"media_type": "image/png", "base64": base64.b64encode(data).decode("ascii")}


def _header(report: SweepReport, lang: str) -> str:
    sweep = report.sweep
    return sweep_text(
        "header", lang, run=sweep.parent_run_id, pipeline=sweep.pipeline or "—",
        keys=", ".join(report.table.varied) or "—", generated=report.generated_at,
    )  # fmt: skip


def _html(report: SweepReport, sections: list[dict], figures: dict, lang: str) -> str:
    title = sweep_text("title", lang, name=report.sweep.name)
    body = "\n".join(section_html(s, figures) for s in sections)
    return f"""<!DOCTYPE html>
<html lang="{escape(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<h1>{escape(title)}</h1>
<p class="banner">{escape(sweep_text("question", lang))}: {escape(report.sweep.question)}</p>
<p>{escape(_header(report, lang))}</p>
{body}
</body>
</html>
"""


def _markdown(report: SweepReport, sections: list[dict], lang: str) -> str:
    lines = [
        f"# {sweep_text('title', lang, name=report.sweep.name)}",
        "",
        f"> **{sweep_text('question', lang)}**: {report.sweep.question}",
        "",
        _header(report, lang),
        "",
    ]
    for s in sections:
        lines += [f"## {s['title']}", ""]
        for note in s["notes"]:
            lines += [note, ""]
        for table in s["tables"]:
            lines += table_md(table)
        for fig in s["figures"]:
            lines += [f"![{fig['caption']}]({fig['key']})", ""]
    return "\n".join(lines)
