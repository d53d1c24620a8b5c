"""The release report: what an aggregates release published, and how it was protected.

Made from the release's ``manifest.json`` alone (it reads no record), in
Markdown and self-contained HTML, Japanese or English: the method and its
level, the privacy budget OpenDP reported, and per table its cells and the
suppressed share. Written beside the tables so the agency's reviewer signs off
on exactly what leaves.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from triage.report.errors import check_lang
from triage.report.render import CSS

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("集計表の公表報告", "Aggregates release report"),
    "lead": (
        "個票は一件も含まれない。以下の集計表だけが機関の外に出る。",
        "No record is included: only the tables below leave the agency.",
    ),
    "what": ("公表したもの", "What was released"),
    "method": ("保護の方法", "Protection"),
    "sdc": (
        "小さいセルの秘匿 (k = {k}): 1〜{k1} の度数を秘匿し、差し引きで復元できないよう補完秘匿",
        "small-cell suppression (k = {k}): every count from 1 to {k1} suppressed, with "
        "complementary suppression so that none can be worked out by subtraction",
    ),
    "dp": (
        "差分プライバシー (ε = {epsilon}, δ = {delta}), OpenDP で測定",
        "differential privacy (ε = {epsilon}, δ = {delta}), measured with OpenDP",
    ),
    "budget": ("プライバシー予算 (OpenDP の会計)", "Privacy budget (OpenDP's accounting)"),
    "no_budget": (
        "なし (秘匿は形式的なプライバシー保証ではない)",
        "none (suppression gives no formal privacy guarantee)",
    ),
    "records": ("集計した記録数", "Records tabulated"),
    "tables_n": ("集計表の数", "Tables"),
    "cells": ("セル数 (うち秘匿)", "Cells (suppressed)"),
    "spec": ("公表仕様のダイジェスト", "Release spec digest"),
    "contract": ("通告の契約のバージョン", "Notice contract version"),
    "toolkit": ("ツールキットのバージョン", "Toolkit version"),
    "limits": ("粒度の上限", "Limits of detail"),
    "limits_text": (
        "受理時期は月単位まで、地域は都市度まで。notice_id は含まない。",
        "Receipt time no finer than the month, region no finer than urbanity; no notice_id.",
    ),
    "per_table": ("集計表ごとの秘匿の割合", "Suppressed share of each table"),
    "col_table": ("集計表", "table"),
    "col_attrs": ("属性", "attributes"),
    "col_cells": ("セル", "cells"),
    "col_supp": ("秘匿", "suppressed"),
    "col_share": ("割合", "share"),
    "check": ("確認: triage aggregates check {folder}", "Check: triage aggregates check {folder}"),
}


def _t(key: str, lang: str, **fmt: object) -> str:
    ja, en = _TEXT[key]
    return (ja if lang == "ja" else en).format(**fmt)


def release_facts(manifest: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """(label, value) pairs of the report's first section."""
    check_lang(lang)
    params = manifest.get("parameters") or {}
    if manifest.get("method") == "sdc":
        method = _t("sdc", lang, k=params.get("k"), k1=int(params.get("k", 2)) - 1)
    else:
        method = _t("dp", lang, epsilon=params.get("epsilon"), delta=params.get("delta"))
    tables = manifest.get("tables") or []
    cells = sum(int(t.get("cells", 0)) for t in tables)
    suppressed = sum(int(t.get("suppressed", 0)) for t in tables)
    budget = manifest.get("budget")
    budget_text = (
        ", ".join(f"{k} = {v}" for k, v in budget.items() if not isinstance(v, dict | list))
        if budget
        else _t("no_budget", lang)
    )
    return [
        (_t("method", lang), method),
        (_t("budget", lang), budget_text),
        (_t("records", lang), _number(manifest.get("records"))),
        (_t("tables_n", lang), f"{len(tables)}"),
        (_t("cells", lang), f"{cells:,} ({suppressed:,})"),
        (_t("limits", lang), _t("limits_text", lang)),
        (_t("spec", lang), str(manifest.get("spec_digest", ""))),
        (_t("contract", lang), str(manifest.get("contract_version", ""))),
        (_t("toolkit", lang), str(manifest.get("toolkit_version", ""))),
    ]


def _number(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else "?"


def table_rows(manifest: dict[str, Any]) -> list[tuple[str, str, int, int, str]]:
    rows = []
    for t in manifest.get("tables") or []:
        cells, supp = int(t.get("cells", 0)), int(t.get("suppressed", 0))
        share = f"{supp / cells:.1%}" if cells else "-"
        rows.append((str(t["name"]), " × ".join(t.get("attributes", [])), cells, supp, share))
    return rows


def _columns(lang: str) -> list[str]:
    return [_t(k, lang) for k in ("col_table", "col_attrs", "col_cells", "col_supp", "col_share")]


def render_release_markdown(manifest: dict[str, Any], *, lang: str, folder: str) -> str:
    lines = [
        f"# {_t('title', lang)}",
        "",
        f"> **{_t('lead', lang)}**",
        "",
        f"## {_t('what', lang)}",
        "",
    ]
    lines += [f"- **{label}**: {value}" for label, value in release_facts(manifest, lang)]
    lines += ["", f"## {_t('per_table', lang)}", ""]
    cols = _columns(lang)
    lines += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += [
        "| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |"
        for row in table_rows(manifest)
    ]
    lines += ["", f"`{_t('check', lang, folder=folder)}`", ""]
    return "\n".join(lines)


def render_release_html(manifest: dict[str, Any], *, lang: str, folder: str) -> str:
    facts = "".join(
        f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>"
        for label, value in release_facts(manifest, lang)
    )
    head = "".join(f"<th>{escape(c)}</th>" for c in _columns(lang))
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>"
        for row in table_rows(manifest)
    )
    return f"""<!DOCTYPE html>
<html lang="{escape(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(_t("title", lang))}</title>
<style>{CSS}</style>
</head>
<body>
<h1>{escape(_t("title", lang))}</h1>
<p class="banner">{escape(_t("lead", lang))}</p>
<section id="what"><h2>{escape(_t("what", lang))}</h2><dl class="facts">{facts}</dl></section>
<section id="tables"><h2>{escape(_t("per_table", lang))}</h2>
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>
<p><code>{escape(_t("check", lang, folder=folder))}</code></p>
</body>
</html>
"""


def write_release_report(manifest: dict[str, Any], folder: Path) -> list[Path]:
    """``report.<lang>.md`` and ``report.<lang>.html`` for ja and en, beside the tables."""
    written = []
    for lang in ("ja", "en"):
        md = folder / f"report.{lang}.md"
        md.write_text(render_release_markdown(manifest, lang=lang, folder=str(folder)), "utf-8")
        html = folder / f"report.{lang}.html"
        html.write_text(render_release_html(manifest, lang=lang, folder=str(folder)), "utf-8")
        written += [md, html]
    return written
