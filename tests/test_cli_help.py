"""Every command's --help shows its defaults whole on an 80-column terminal."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from triage.cli import app


def _commands(group: typer.core.TyperGroup, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, command in group.commands.items():
        if isinstance(command, typer.core.TyperGroup):
            out += _commands(command, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


COMMANDS = _commands(typer.main.get_group(app))


def test_every_command_is_listed():
    assert {("score",), ("run",), ("decisions", "export"), ("aggregates", "release")} <= set(
        COMMANDS
    )


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_at_80_columns_cuts_nothing(command):
    res = CliRunner().invoke(app, [*command, "--help"], terminal_width=80)
    assert res.exit_code == 0, res.output
    assert "…" not in res.output
    assert max(len(line) for line in res.output.splitlines()) <= 80


def test_a_long_default_is_shown_whole():
    res = CliRunner().invoke(app, ["score", "--help"], terminal_width=80)
    joined = re.sub(r"-?\n\s+", lambda m: m.group(0)[0] if m.group(0)[0] == "-" else " ", res.output)
    assert "models:/intake-urgency@champion" in joined
    assert "models:/dv-witness-routing@champion" in joined
