"""Options several command groups share."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

StoreOption = Annotated[
    Path | None,
    typer.Option(help="Intake store folder (default $TRIAGE_INTAKE_STORE or ./intake)."),
]
