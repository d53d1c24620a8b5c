"""Model cards: one self-contained report per run, for reviewers who never open a notebook.

``build_card`` reads a run's logged results (nothing is recomputed, nothing
row-level is read); ``write_card`` writes ``model_card.html`` (self-contained),
``model_card.md`` and ``model_card.json`` (valid against ``card.schema.json``);
``log_card`` logs the three files back to the run under ``report/``.

The run is read in ``reader`` (the only module here that talks to MLflow), the
sections are built in ``sections/``, put together in ``card`` and rendered in
``render``. Errors are ``TriageError``s naming parameters (``errors``); the
``triage report`` command lives in ``triage.cli.report``.

Layer: report, above experiment and scoring (a card is built from a finished run). May
import every layer below it.
"""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.report.card import CARD_VERSION, Card, assemble_card
from triage.report.errors import NotAModelRun, RunNotFound, check_lang
from triage.report.reader import open_client, read_card_inputs
from triage.report.render import render_html, render_markdown
from triage.report.sections.common import drawing_ahead

if TYPE_CHECKING:
    from mlflow import MlflowClient

__all__ = [
    "CARD_VERSION",
    "FILES",
    "NotAModelRun",
    "RunNotFound",
    "build_card",
    "card_schema",
    "draw_card_figures_ahead",
    "log_card",
    "validate_card",
    "write_card",
]

FILES: tuple[str, ...] = ("model_card.html", "model_card.md", "model_card.json")


@cache
def card_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        Path(__file__).with_name("card.schema.json").read_text("utf-8")
    )
    return schema


@cache
def _card_validator() -> Any:
    # Built once: ``jsonschema.validate`` checks the schema itself on every call (37 ms).
    import jsonschema

    schema = card_schema()
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    return validator(schema)


def validate_card(card: Card) -> None:
    """Raise ``jsonschema.ValidationError`` when the card does not follow the schema."""
    import jsonschema

    error = jsonschema.exceptions.best_match(_card_validator().iter_errors(card))
    if error is not None:
        raise error


def build_card(run_id: str, *, lang: str = "ja", client: MlflowClient | None = None) -> Card:
    """The card's data for one run, from the tracking store (``MLFLOW_TRACKING_URI`` or ./mlflow.db).

    ``InvalidParameter`` for a language other than ja or en, ``RunNotFound`` for an
    unknown run, ``NotAModelRun`` for a run without evaluation metrics.
    """
    check_lang(lang)  # before opening the store: a bad language touches nothing
    if client is None:
        client, _ = open_client()
    card = assemble_card(read_card_inputs(client, run_id), lang)
    validate_card(card)
    return card


def draw_card_figures_ahead(
    run_id: str, *, lang: str = "ja", client: MlflowClient | None = None
) -> None:
    """Draw now, in this thread, the figures a card of the run would draw from what the run
    has logged so far; the run's next card embeds them (``drawing_ahead``). A pipeline
    calls it in idle time while its last step runs, so that its card draws less after."""
    with drawing_ahead():
        build_card(run_id, lang=lang, client=client)


def write_card(card: Card, out_dir: Path) -> list[Path]:
    """Write the card as HTML, Markdown and JSON into ``out_dir``; returns the three paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    html, md, js = (out_dir / name for name in FILES)
    html.write_text(render_html(card), encoding="utf-8")
    md.write_text(render_markdown(card), encoding="utf-8")
    js.write_text(json.dumps(card, ensure_ascii=False, indent=2), encoding="utf-8")
    return [html, md, js]


def log_card(
    run_id: str,
    lang: str = "ja",
    *,
    client: MlflowClient | None = None,
    keep: Path | None = None,
) -> list[str]:
    """Build the card and log its three files to the run under ``report/`` (and to ``keep``)."""
    if client is None:
        client, _ = open_client()
    card = build_card(run_id, lang=lang, client=client)
    if keep is not None:
        write_card(card, Path(keep))
    with tempfile.TemporaryDirectory(prefix="triage-report-") as tmp:
        paths = write_card(card, Path(tmp))
        for p in paths:
            client.log_artifact(run_id, str(p), "report")
    return [f"report/{p.name}" for p in paths]
