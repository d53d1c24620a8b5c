"""``triage decisions verify`` and ``triage decisions export``: register with
``app.add_typer(decisions_app, name="decisions")``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from triage.cli.consoles import console, err_console
from triage.cli.errors import error_line
from triage.cli.options import StoreOption

decisions_app = typer.Typer(
    help="The record of people's decisions: check its hash chain, export it for research.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _open(store: Path | None):
    from triage.decisions import STORE_ENV, StoreNotFound, connect

    try:
        return connect(store, create=False)
    except StoreNotFound as exc:
        err_console.print(
            f"error: no intake store at {exc.path}: give --store or set {STORE_ENV} "
            "(triage serve creates one)",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(2) from None


@decisions_app.command()
def verify(store: StoreOption = None) -> None:
    """Recompute every decision's hash; exit 1 naming the first decision that was changed."""
    from triage.decisions import chain_rows, verify_chain

    conn = _open(store)
    report = verify_chain(chain_rows(conn))
    if not report.ok:
        err_console.print(f"BROKEN: {report.problem}", markup=False, highlight=False)
        err_console.print(
            f"the {report.n} decisions before decision {report.broken_id} are intact",
            markup=False,
        )
        raise typer.Exit(1)
    console.print(
        f"ok: {report.n} decisions, hash chain intact; head {report.head} "
        "(keep the head and count elsewhere: a chain cannot show that its last entries were removed)",
        markup=False,
        highlight=False,
    )


@decisions_app.command()
def export(
    out: Annotated[Path, typer.Option(help="Output file: .csv, .jsonl or .parquet.")],
    store: StoreOption = None,
    worker_ids: Annotated[
        bool,
        typer.Option(help="Export workers' logins instead of stable pseudonyms (W-...)."),
    ] = False,
) -> None:
    """Decisions for research, one row each; no free text beyond the override reason."""
    from triage.decisions import ExportError, export_rows, store_dir, write_export

    conn = _open(store)
    try:
        rows, report = export_rows(conn, store=store_dir(store), worker_ids=worker_ids)
        write_export(rows, out)
    except ExportError as exc:
        err_console.print(error_line(exc, {"out": "--out"}), markup=False, highlight=False)
        raise typer.Exit(1) from None
    console.print(
        f"wrote {len(rows)} decisions to {out} (chain intact, head {report.head})",
        markup=False,
        highlight=False,
    )
