"""``triage users ...`` and the body of ``triage serve``; registered in ``triage.cli``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from triage.cli.consoles import console, err_console
from triage.cli.errors import SCORING_FLAGS, flag_message
from triage.cli.options import StoreOption

users_app = typer.Typer(
    help="Logins of the intake page (argon2id password hashes in the intake store).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err_console.print(f"error: {message}", markup=False, highlight=False)
    return typer.Exit(code)


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Staff login (letters, digits, . _ -).")],
    store: StoreOption = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin (scripts).")
    ] = False,
) -> None:
    """Add a login; the password is asked twice without echo (or read from stdin)."""
    from triage.decisions import connect
    from triage.decisions.users import UserError, add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    conn = connect(store)
    try:
        add_user(conn, username, password)
    except UserError as exc:
        raise _fail(str(exc)) from None
    finally:
        conn.close()
    console.print(f"added user {username}", markup=False)


@users_app.command("disable")
def disable(username: Annotated[str, typer.Argument()], store: StoreOption = None) -> None:
    """Disable a login at once (its sessions stop working; its decisions keep its name)."""
    from triage.decisions import connect
    from triage.decisions.users import UserError, set_active

    conn = connect(store)
    try:
        set_active(conn, username, False)
    except UserError as exc:
        raise _fail(str(exc)) from None
    finally:
        conn.close()
    console.print(f"disabled user {username}", markup=False)


@users_app.command("list")
def list_(store: StoreOption = None) -> None:
    """Logins, when and by whom they were added, and whether they are active."""
    from triage.decisions import connect
    from triage.decisions.users import list_users

    conn = connect(store)
    try:
        for u in list_users(conn):
            state = "active" if u["active"] else "disabled"
            typer.echo(f"{u['username']}\t{state}\tadded {u['created_at']} by {u['created_by']}")
    finally:
        conn.close()


def serve_command(
    *,
    host: str,
    port: int,
    store: Path | None,
    model: str,
    routing_model: str,
    rules: Path | None,
    config: Path,
    as_of: str | None,
    notices: Path | None,
    https_cookies: bool,
) -> int:
    from triage.decisions import store_dir
    from triage.experiment.config import ConfigError
    from triage.rules import RuleConfigError
    from triage.scoring import parse_as_of
    from triage.web.serve import serve
    from triage.web.state import WebSettings

    if as_of is not None:
        try:
            parse_as_of(as_of)
        except ValueError as exc:
            raise typer.BadParameter(
                flag_message(exc, SCORING_FLAGS), param_hint="--as-of"
            ) from None
    settings = WebSettings(
        store=store_dir(store),
        model=model,
        routing_model=routing_model or None,
        rules=rules,
        config=config,
        as_of=as_of,
        notices=notices,
        https_cookies=https_cookies,
    )
    try:
        serve(
            settings,
            host=host,
            port=port,
            log=lambda m: err_console.print(m, markup=False, highlight=False),
        )
    except (ConfigError, RuleConfigError, FileNotFoundError, ValueError) as exc:
        raise _fail(flag_message(exc, SCORING_FLAGS)) from None
    return 0
