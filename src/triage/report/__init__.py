"""Model cards: one self-contained report per run, for reviewers who never open a notebook.

``build_card`` reads a run's logged results (nothing is recomputed, nothing
row-level is read); ``write_card`` writes ``model_card.html`` (self-contained),
``model_card.md`` and ``model_card.json`` (valid against ``card.schema.json``);
``log_card`` logs the three files back to the run under ``report/``.

Layer: report, above experiment and scoring (a card is built from a finished run). May
import every layer below it.
"""

from __future__ import annotations

import json
import sys
import tempfile
from functools import cache
from pathlib import Path

from triage.report.card import CARD_VERSION, card_from_client
from triage.report.render import render_html, render_markdown

__all__ = [
    "CARD_VERSION",
    "FILES",
    "build_card",
    "card_schema",
    "log_card",
    "report_command",
    "validate_card",
    "write_card",
]

FILES: tuple[str, ...] = ("model_card.html", "model_card.md", "model_card.json")
DEFAULT_OUT = Path("reports")
ERRORS = {
    "lang": "error: --lang: expected ja or en, got {lang!r}",
    "run": "error: no run {run_id!r} in the tracking store {uri}",
}


def _client():
    from mlflow import MlflowClient

    from triage.tracking import tracking_uri

    uri = tracking_uri()
    return MlflowClient(tracking_uri=uri, registry_uri=uri), uri


@cache
def card_schema() -> dict:
    return json.loads((Path(__file__).with_name("card.schema.json")).read_text("utf-8"))


def validate_card(card: dict) -> None:
    """Raise ``jsonschema.ValidationError`` when the card does not follow the schema."""
    import jsonschema

    jsonschema.validate(card, card_schema())


def build_card(run_id: str, *, lang: str = "ja", client=None) -> dict:
    """The card's data for one run, from the tracking store (``MLFLOW_TRACKING_URI`` or ./mlruns)."""
    if client is None:
        client, _ = _client()
    card = card_from_client(client, run_id, lang=lang)
    validate_card(card)
    return card


def write_card(card: dict, out_dir: Path) -> list[Path]:
    """Write the card as HTML, Markdown and JSON into ``out_dir``; returns the three paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    html, md, js = (out_dir / name for name in FILES)
    html.write_text(render_html(card), encoding="utf-8")
    md.write_text(render_markdown(card), encoding="utf-8")
    js.write_text(json.dumps(card, ensure_ascii=False, indent=2), encoding="utf-8")
    return [html, md, js]


def log_card(run_id: str, lang: str = "ja", *, client=None, keep: Path | None = None) -> list[str]:
    """Build the card and log its three files to the run under ``report/`` (and to ``keep``)."""
    if client is None:
        client, _ = _client()
    card = build_card(run_id, lang=lang, client=client)
    if keep is not None:
        write_card(card, Path(keep))
    with tempfile.TemporaryDirectory(prefix="triage-report-") as tmp:
        paths = write_card(card, Path(tmp))
        for p in paths:
            client.log_artifact(run_id, str(p), "report")
    return [f"report/{p.name}" for p in paths]


def report_command(run_id: str, lang: str, out: Path | None) -> int:
    """``triage report RUN_ID [--lang ja|en] [--out DIR]``: 0 written, 2 usage error."""
    if lang not in ("ja", "en"):
        print(ERRORS["lang"].format(lang=lang), file=sys.stderr)
        return 2
    client, uri = _client()
    try:
        client.get_run(run_id)
    except Exception:  # noqa: BLE001 - MLflow raises its own exception for an unknown run
        print(ERRORS["run"].format(run_id=run_id, uri=uri), file=sys.stderr)
        return 2
    try:
        card = build_card(run_id, lang=lang, client=client)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for p in write_card(card, out if out is not None else DEFAULT_OUT / run_id):
        print(p)
    return 0
