"""The ``triage`` command line: the Typer app, assembled from the command modules.

Each command is a thin shell over library functions and lives in its own module
(``synth``, ``validate``, ``run`` with ``promote``, ``sweep``, ``score`` with ``queue``,
``explain``, ``report``, ``audit``, ``serve`` with ``users``, ``decisions``).
They are registered here in the order ``triage --help`` lists them. Heavy
libraries are imported inside the commands so that ``triage --help`` and quick
checks start fast.
"""

from __future__ import annotations

import typer

from triage.cli.aggregates import aggregates_app
from triage.cli.audit import audit_app
from triage.cli.decisions import decisions_app
from triage.cli.explain import explain
from triage.cli.one_line_errors import OneLineErrorGroup
from triage.cli.report import report
from triage.cli.run import promote, run
from triage.cli.score import queue, score
from triage.cli.serve import serve, users_app
from triage.cli.sweep import sweep
from triage.cli.synth import synth
from triage.cli.validate import validate

app = typer.Typer(
    name="triage",
    help="Research toolkit for urgency triage of child-abuse intake notices. Decision support only: a person decides every case.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help (click's formatter): it wraps long defaults such as
    # models:/intake-urgency@champion, where rich's panels cut them at 80 columns.
    rich_markup_mode=None,
    # Every user mistake, click's usage errors included, as one `error:` line, exit 2.
    cls=OneLineErrorGroup,
)

app.command()(synth)
app.command()(validate)
app.command()(run)
app.command()(promote)
app.command()(sweep)
app.command()(score)
app.command()(queue)
app.command()(explain)
app.command()(report)
app.add_typer(audit_app, name="audit")
app.add_typer(aggregates_app, name="aggregates")
app.command()(serve)
app.add_typer(users_app, name="users")
app.add_typer(decisions_app, name="decisions")


def main() -> None:  # pragma: no cover - entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
