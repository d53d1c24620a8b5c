"""The command line: every Typer command and every rich printer.

Owns ``app`` (the ``triage`` command), the consoles (``consoles``), the shared
options (``options``) and the printers that turn library results into tables.
Library errors (``triage.contract.errors.TriageError``) become flag names,
one-line ``error:`` messages and exit codes here and nowhere else.

Layer: applications, the top one. May import every package.
"""

from triage.cli.app import app, main

__all__ = ["app", "main"]
