"""Library errors as the command line says them: flag names, one line, ``error:`` first.

The library names parameters (``as_of: expected ...``); only here do they become
the flags a user typed (``--as-of: expected ...``).
"""

from __future__ import annotations

from collections.abc import Mapping


def flag_message(exc: BaseException, flags: Mapping[str, str]) -> str:
    """``str(exc)`` with a leading ``param:`` (or ``a, b:``) turned into the command's flags."""
    message = str(exc)
    head, sep, rest = message.partition(": ")
    names = [name.strip() for name in head.split(",")]
    if sep and all(name in flags for name in names):
        return ", ".join(flags[name] for name in names) + sep + rest
    return message


def error_line(exc: BaseException, flags: Mapping[str, str] | None = None) -> str:
    """``error: <message>`` on one line, parameters named as flags."""
    return "error: " + " ".join(flag_message(exc, flags or {}).splitlines())


# The scoring commands' flags for the parameters of ``triage.scoring``.
SCORING_FLAGS = {
    "model": "--model",
    "routing_model": "--routing-model",
    "as_of": "--as-of",
    "lang": "--lang",
}
