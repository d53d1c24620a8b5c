"""``triage report``: a run's model card written to a folder, errors said as the command's flags.

``triage.report`` (pandas, scikit-learn) is imported inside the command so that
``triage --help`` starts fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from triage.cli.errors import error_line
from triage.contract.errors import TriageError

DEFAULT_OUT = Path("reports")
REPORT_FLAGS = {"lang": "--lang"}


def report(
    run_id: Annotated[str, typer.Argument(help="MLflow run id to report on.")],
    lang: Annotated[str, typer.Option(help="Language of the card: ja or en.")] = "ja",
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for model_card.html/.md/.json (default reports/<RUN_ID>/)."),
    ] = None,
) -> None:
    """A self-contained model card (HTML, Markdown, JSON) for one run. Aggregates only."""
    raise typer.Exit(report_command(run_id, lang, out))


def report_command(run_id: str, lang: str, out: Path | None) -> int:
    """``triage report RUN_ID [--lang ja|en] [--out DIR]``: 0 written, 2 usage error."""
    from triage.report import RunNotFound, build_card, write_card

    try:
        card = build_card(run_id, lang=lang)
    except RunNotFound as exc:
        print(f"error: no run {exc.run_id!r} in the tracking store {exc.uri}", file=sys.stderr)
        return 2
    # A ValueError from a malformed artefact has always been a usage error here, not a crash.
    except (TriageError, ValueError) as exc:
        print(error_line(exc, REPORT_FLAGS), file=sys.stderr)
        return 2
    for p in write_card(card, out if out is not None else DEFAULT_OUT / run_id):
        print(p)
    return 0
