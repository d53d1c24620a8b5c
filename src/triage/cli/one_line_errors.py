"""The ``triage`` command group that says every user mistake in one ``error:`` line, exit 2.

Each command already reports the mistakes it expects (a missing notices file, a
run id that is not a run). This group is the backstop for the rest, so that no
command can fall back on another shape: click's usage errors (a bad option
value, a missing option, an unknown command) would print four lines with
``Error:``; a :class:`TriageError` or a file error a command did not catch would
print a traceback. A bug (any other exception) still shows its traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import typer

# Typer 0.29 carries its own copy of click: its usage errors are these classes, not
# the click package's. (The base classes of typer.BadParameter, which typer exports.)
from typer._click.exceptions import ClickException, UsageError
from typer.core import TyperGroup

from triage.cli.errors import error_line
from triage.contract.errors import TriageError

USAGE_EXIT = 2


def usage_error_line(exc: UsageError) -> str:
    """``error: <click's message> (<command> --help lists the options)``, one line."""
    message = " ".join(exc.format_message().split())
    where = exc.ctx.command_path if exc.ctx is not None else "triage"
    return f"error: {message} ({where} --help lists the options)"


def file_error_line(exc: OSError) -> str:
    """``error: <path>: <reason>`` for an operating-system error about a path."""
    reason = exc.strerror or type(exc).__name__
    return f"error: {exc.filename}: {reason}"


class OneLineErrorGroup(TyperGroup):
    """A Typer group whose user mistakes all end in one ``error:`` line on stderr, exit 2."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:  # the caller handles errors itself
            return super().main(
                args, prog_name, complete_var, standalone_mode, windows_expand_args, **extra
            )
        try:
            code = super().main(
                args, prog_name, complete_var, False, windows_expand_args, **extra
            )
        except UsageError as exc:
            _exit_with(usage_error_line(exc))
        except ClickException as exc:  # not a usage error: click's own shape and code
            exc.show()
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("Aborted!", err=True)
            sys.exit(1)
        except TriageError as exc:
            _exit_with(error_line(exc))
        except OSError as exc:
            if exc.filename is None:  # not about a path the user gave: a bug to see whole
                raise
            _exit_with(file_error_line(exc))
        # Without standalone mode click returns the command's exit code (typer.Exit), or
        # the command's return value, which no triage command uses.
        sys.exit(code if isinstance(code, int) else 0)


def _exit_with(line: str) -> NoReturn:
    typer.echo(line, err=True)
    sys.exit(USAGE_EXIT)
