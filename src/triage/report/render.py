"""Card data → HTML (self-contained: inline CSS, figures as data URIs) and Markdown.

Rendering only formats what the card holds; it reads no run and computes no figure.
"""

from __future__ import annotations

from html import escape

from triage.report._text import TEXT, t

CSS = """
body{font-family:"Noto Sans CJK JP","Noto Sans JP","Hiragino Sans","Yu Gothic",
"Meiryo",system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;
color:#1a1a1a;line-height:1.5}
h1{border-bottom:3px solid #333;padding-bottom:.3rem}
h2{margin-top:2.2rem;border-bottom:1px solid #999}
.banner{background:#fff4e5;border-left:6px solid #d97706;padding:.6rem 1rem;font-weight:bold}
.missing{background:#f3f4f6;border-left:6px solid #6b7280;padding:.4rem 1rem}
table{border-collapse:collapse;margin:.8rem 0;font-size:.9rem}
th,td{border:1px solid #bbb;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#eef2f7}
caption{caption-side:top;text-align:left;font-weight:bold;padding:.3rem 0}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}
dl.facts dt{font-weight:bold}
figure{margin:1rem 0}
figure img{max-width:100%;border:1px solid #ddd}
.signoff td{min-width:18rem;height:2rem}
@media print{body{max-width:none}}
"""


def _table_html(table: dict) -> str:
    head = "".join(f"<th>{escape(str(c))}</th>" for c in table["columns"])
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>"
        for row in table["rows"]
    )
    return (
        f"<table><caption>{escape(table.get('caption', ''))}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def section_html(section: dict, figures: dict) -> str:
    """One card section as HTML (also a sweep report's sections, which have the same shape)."""
    parts = [f'<section id="{escape(section["id"])}"><h2>{escape(section["title"])}</h2>']
    cls = "missing" if not section["available"] else "note"
    parts += [f'<p class="{cls}">{escape(n)}</p>' for n in section["notes"]]
    if section["facts"]:
        parts.append(
            '<dl class="facts">'
            + "".join(
                f"<dt>{escape(f['label'])}</dt><dd>{escape(f['value'])}</dd>"
                for f in section["facts"]
            )
            + "</dl>"
        )
    for lst in section["lists"]:
        parts.append(f"<h3>{escape(lst['title'])}</h3><ul>")
        parts += [f"<li>{escape(i)}</li>" for i in lst["items"]]
        parts.append("</ul>")
    parts += [_table_html(tb) for tb in section["tables"]]
    for fig in section["figures"]:
        f = figures.get(fig["key"])
        if f:
            parts.append(
                f'<figure><img alt="{escape(fig["caption"])}" '
                f'src="data:{f["media_type"]};base64,{f["base64"]}">'
                f"<figcaption>{escape(fig['caption'])}</figcaption></figure>"
            )
    if section["id"] == "sign_off":
        rows = "".join(
            f"<tr><th>{escape(label)}</th><td></td></tr>"
            for label in section["data"]["fields"].values()
        )
        parts.append(f'<table class="signoff"><tbody>{rows}</tbody></table>')
    parts.append("</section>")
    return "\n".join(parts)


def render_html(card: dict) -> str:
    sections = "\n".join(section_html(s, card["figures"]) for s in card["sections"])
    return f"""<!DOCTYPE html>
<html lang="{escape(card["lang"])}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(card["title"])}</title>
<style>{CSS}</style>
</head>
<body>
<h1>{escape(card["title"])}</h1>
<p class="banner">{escape(card["decision_support_only"])}</p>
<p>{escape(_header(card, "header", generated=card["generated_at"]))}</p>
{sections}
</body>
</html>
"""


def _md_cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def table_md(table: dict) -> list[str]:
    """One table as Markdown lines, its caption first in bold."""
    out = []
    if table.get("caption"):
        out += [f"**{_md_cell(table['caption'])}**", ""]
    out.append("| " + " | ".join(_md_cell(c) for c in table["columns"]) + " |")
    out.append("|" + "---|" * len(table["columns"]))
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table["rows"]]
    return out + [""]


def _header(card: dict, key: str, **more: str) -> str:
    """The line under the title: run, experiment, start, card version, in the card's language."""
    run = card["run"]
    return t(
        TEXT,
        key,
        card["lang"],
        run=run["run_id"],
        experiment=run["experiment_id"],
        start=run["start_time"],
        version=card["card_version"],
        **more,
    )


def render_markdown(card: dict) -> str:
    lines = [
        f"# {card['title']}",
        "",
        f"> **{card['decision_support_only']}**",
        "",
        _header(card, "header_md"),
        "",
    ]
    for s in card["sections"]:
        lines += [f"## {s['title']}", ""]
        for n in s["notes"]:
            lines += [f"> {n}" if not s["available"] else n, ""]
        if s["facts"]:
            lines += [f"- **{f['label']}**: {f['value']}" for f in s["facts"]] + [""]
        for lst in s["lists"]:
            lines += [f"### {lst['title']}", ""] + [f"- {i}" for i in lst["items"]] + [""]
        for tb in s["tables"]:
            lines += table_md(tb)
        for fig in s["figures"]:
            f = card["figures"].get(fig["key"])
            if f:
                lines += [f"*{t(TEXT, 'embedded', card['lang'], caption=fig['caption'])}*", ""]
        if s["id"] == "sign_off":
            lines += [
                f"- **{label}**: ______________________" for label in s["data"]["fields"].values()
            ]
            lines.append("")
    return "\n".join(lines)
