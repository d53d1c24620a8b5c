"""The one base of every error the library raises on purpose.

A ``TriageError`` carries a one-line message that names the parameter, row or
field at fault and what was expected (``as_of: expected ... got ...``), and the
parameter's name in ``param``. The library never names a command-line flag:
only ``triage.cli`` turns ``param`` into ``--as-of``, prints ``error: ...`` and
chooses the exit code.
"""

from __future__ import annotations


class TriageError(Exception):
    """Bad input or a missing resource, said in one line; ``param`` names the parameter."""

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class InvalidParameter(TriageError, ValueError):
    """A parameter's value is not one the function accepts; ``param`` names it."""
