"""``triage validate``: a notice file (counts, refused columns, a table of errors) or a config.

``triage.notices`` and pyarrow are imported inside the command so that
``triage --help`` starts fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from triage.cli.consoles import console as default_console
from triage.cli.consoles import err_console as default_err_console
from triage.cli.errors import error_line

if TYPE_CHECKING:
    from rich.console import Console

MAX_PRINTED_ERRORS = 50


def validate(
    path: Annotated[
        Path, typer.Argument(help="Notices (.jsonl or .parquet) or an experiment config (.yaml).")
    ],
    rejects: Annotated[
        Path | None,
        typer.Option(help="Write the rejected notices to this file (.jsonl or .parquet)."),
    ] = None,
) -> None:
    """Check notices against the contract (every bad row: row, field, what was expected) or check a config."""
    if path.suffix.lower() in (".yaml", ".yml"):
        raise typer.Exit(
            run_validate_config(path, console=default_console, err_console=default_err_console)
        )
    raise typer.Exit(
        run_validate_notices(
            path, rejects=rejects, console=default_console, err_console=default_err_console
        )
    )


def run_validate_notices(
    path: str | os.PathLike[str],
    *,
    rejects: Path | None,
    console: Console,
    err_console: Console | None = None,
) -> int:
    """Validate a notice file for the CLI; exit code 0 all valid, 1 rows rejected or
    columns refused, 2 file missing or unreadable (one ``error:`` line, never a traceback).

    The rejects file holds each rejected row's number, its problems and the
    values that passed; a value at fault is never written, nor printed."""
    import pyarrow as pa
    from rich.table import Table
    from rich.text import Text

    from triage.contract.errors import TriageError
    from triage.notices import refused_column_message, validate_notices, write_records

    path = Path(path)
    errors = err_console or console  # `error:` lines: stderr on the command line
    if rejects is not None and Path(rejects).suffix.lower() not in (".jsonl", ".parquet"):
        errors.print(
            Text(f"error: rejects file must end in .jsonl or .parquet: {rejects}"), soft_wrap=True
        )
        return 2
    try:
        result = validate_notices(path)
    except TriageError as exc:  # the file as a whole: missing, a folder, damaged, not UTF-8
        errors.print(Text(error_line(exc), style="red"), soft_wrap=True)
        return 2
    except (OSError, ValueError, pa.ArrowException) as exc:  # a backstop: the reader says why
        errors.print(Text(f"error: cannot read {path}: {_cut(exc)}", style="red"), soft_wrap=True)
        return 2

    console.print(
        Text(f"{path}: {result.n_rows} rows, {result.n_valid} valid, {result.n_rejected} rejected")
    )
    for column, reason in result.refused_columns.items():
        console.print(Text(refused_column_message(column, reason), style="red"))
    if result.errors:
        # Text cells, not markup: a notice's own text must never be read as rich markup.
        table = Table(title="Errors", show_lines=False)
        for header in ("row", "notice_id", "field", "message"):
            table.add_column(header)
        for error in result.errors[:MAX_PRINTED_ERRORS]:
            table.add_row(
                str(error.row),
                Text(error.notice_id or ""),
                Text(error.field or ""),
                Text(error.message),
            )
        console.print(table)
        more = len(result.errors) - MAX_PRINTED_ERRORS
        if more > 0:
            console.print(Text(f"… and {more} more"))
    if rejects is not None:
        try:
            write_records(result.rejected, rejects)
        except OSError as exc:
            errors.print(
                Text(f"error: cannot write {rejects}: {_cut(exc)}", style="red"), soft_wrap=True
            )
            return 2
        console.print(Text(f"wrote {result.n_rejected} rejected rows to {rejects}"))
    return 0 if result.ok else 1


def _cut(exc: BaseException) -> str:
    # One line, long enough for a reader's own advice; a hostile file's bytes in a
    # parser's message are still cut.
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return reason if len(reason) <= 300 else reason[:299] + "…"


def run_validate_config(path: Path, *, console: Console, err_console: Console) -> int:
    """``triage validate CONFIG.yaml``: 0 and a one-line summary when valid, 1 and every
    problem when not, 2 when there is no such file."""
    from triage.cli.run import config_exit_code
    from triage.experiment.config import ConfigError, load_config

    try:
        cfg = load_config(path)
    except ConfigError as exc:  # as `triage run` says it: `error:`, every problem on its line
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        return config_exit_code(exc)
    enabled = ", ".join(cfg.enabled_candidates())
    console.print(
        f"{path}: valid (config_version {cfg.config_version}, pipeline {cfg.pipeline}, candidates: {enabled})"
    )
    return 0
