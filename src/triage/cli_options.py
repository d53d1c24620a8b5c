"""What several command groups share: the intake store option and the consoles."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

StoreOption = Annotated[
    Path | None,
    typer.Option(help="Intake store folder (default $TRIAGE_INTAKE_STORE or ./intake)."),
]

# Piped output keeps long lines whole instead of wrapping at the terminal's width.
console = Console(width=None if sys.stdout.isatty() else 150)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 150)
