"""``triage serve`` (the intake page) and ``triage users ...`` (its logins); registered in
``triage.cli.app``. The web app (FastAPI, the models) is imported inside the command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from triage.cli.consoles import console, err_console
from triage.cli.errors import SCORING_FLAGS, flag_message
from triage.cli.options import StoreOption
from triage.contract.names import DEFAULT_MODEL, DEFAULT_ROUTING_MODEL

if TYPE_CHECKING:
    import sqlite3

users_app = typer.Typer(
    help="Logins of the intake page (argon2id password hashes in the intake store).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


SERVE_FLAGS = {**SCORING_FLAGS, "notices": "--notices"}


def _fail(message: str, code: int = 2) -> typer.Exit:
    # soft_wrap: one line however long (rich would wrap at the console's width).
    err_console.print(
        "error: " + " ".join(message.splitlines()), markup=False, highlight=False, soft_wrap=True
    )
    return typer.Exit(code)


def _open_store(store: Path | None, *, create: bool = True) -> sqlite3.Connection:
    """The intake store, or one ``error:`` line (a foreign file, a missing key: exit 2).

    ``create=False`` for the commands that only make sense on a store that exists
    (listing or disabling logins): a mistyped --store is said, never made a new store.
    """
    from triage.contract.errors import TriageError
    from triage.decisions import DB_NAME, STORE_ENV, connect, store_dir

    folder = store_dir(store)
    if not create and not (folder / DB_NAME).is_file():
        raise _fail(
            f"no intake store at {folder / DB_NAME}: give --store or set {STORE_ENV} "
            "(triage users add or triage serve creates one)"
        )
    try:
        return connect(store)
    except TriageError as exc:
        raise _fail(str(exc)) from None


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Staff login (letters, digits, . _ -).")],
    store: StoreOption = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin (scripts).")
    ] = False,
) -> None:
    """Add a login; the password is asked twice without echo (or read from stdin)."""
    from triage.decisions.users import UserError, add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    conn = _open_store(store)
    try:
        add_user(conn, username, password)
    except UserError as exc:
        raise _fail(str(exc)) from None
    finally:
        conn.close()
    console.print(f"added user {username}", markup=False)


@users_app.command("disable")
def disable(username: Annotated[str, typer.Argument()], store: StoreOption = None) -> None:
    """Disable a login at once (its sessions end; its decisions keep its name)."""
    from triage.decisions.users import UserError, set_active

    conn = _open_store(store, create=False)
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
    from triage.decisions.users import list_users

    conn = _open_store(store, create=False)
    try:
        for u in list_users(conn):
            state = "active" if u["active"] else "disabled"
            typer.echo(f"{u['username']}\t{state}\tadded {u['created_at']} by {u['created_by']}")
    finally:
        conn.close()


def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind; loopback unless you mean otherwise.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    store: Annotated[
        Path | None,
        typer.Option(help="Intake store folder (default $TRIAGE_INTAKE_STORE or ./intake)."),
    ] = None,
    model: Annotated[
        str,
        typer.Option(help="Urgency model URI (anything but @champion is flagged on every page)."),
    ] = DEFAULT_MODEL,
    routing_model: Annotated[
        str, typer.Option(help="DV-witness routing model URI ('' for none).")
    ] = DEFAULT_ROUTING_MODEL,
    rules: Annotated[
        Path | None, typer.Option(help="Extra rules (default: configs/rules.yaml if present).")
    ] = None,
    config: Annotated[
        Path, typer.Option(help="Experiment config whose tiers.capacity gives the day's capacity.")
    ] = Path("configs/intake_urgency.yaml"),
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Pin the page's clock, ISO 8601 with offset (default: now)."),
    ] = None,
    notices: Annotated[
        Path | None,
        typer.Option(
            help="Notices (.jsonl/.parquet) to add to the store at start (a new store then "
            "holds just these; the sample seeds only an empty store given none)."
        ),
    ] = None,
    behind_tls_proxy: Annotated[
        bool,
        typer.Option(
            "--behind-tls-proxy",
            "--https-cookies",
            help="A TLS proxy sits in front: mark the session cookie Secure on every response "
            "(requests that reach uvicorn over HTTPS get a Secure cookie anyway).",
        ),
    ] = False,
    trusted_proxy: Annotated[
        str,
        typer.Option(
            help="With --behind-tls-proxy: the proxy's address (or comma-separated addresses). "
            "Only a request from it may name the client's address in X-Forwarded-For (the "
            "login limiter counts tries per client address); without --behind-tls-proxy the "
            "header is never trusted."
        ),
    ] = "127.0.0.1",
    session_idle_minutes: Annotated[
        float,
        typer.Option(min=1, help="A session ends after this many minutes without a request."),
    ] = 30.0,
) -> None:
    """The intake team's page and JSON API: queue, explanations, rules, decisions. Login required."""
    raise typer.Exit(
        serve_command(
            host=host,
            port=port,
            store=store,
            model=model,
            routing_model=routing_model,
            rules=rules,
            config=config,
            as_of=as_of,
            notices=notices,
            behind_tls_proxy=behind_tls_proxy,
            trusted_proxy=trusted_proxy,
            session_idle_minutes=session_idle_minutes,
        )
    )


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
    behind_tls_proxy: bool,
    trusted_proxy: str = "127.0.0.1",
    session_idle_minutes: float = 30.0,
) -> int:
    from triage.contract.errors import TriageError
    from triage.decisions import store_dir
    from triage.experiment.config import ConfigError
    from triage.rules import RuleConfigError
    from triage.scoring import parse_as_of
    from triage.web.intake import NoticeImportError
    from triage.web.serve import serve as serve_web
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
        behind_tls_proxy=behind_tls_proxy,
        trusted_proxy=trusted_proxy,
        session_idle_minutes=session_idle_minutes,
    )
    try:
        serve_web(
            settings,
            host=host,
            port=port,
            log=lambda m: err_console.print(m, markup=False, highlight=False, soft_wrap=True),
        )
    except (
        ConfigError,
        RuleConfigError,
        NoticeImportError,
        TriageError,
        FileNotFoundError,
        ValueError,
    ) as exc:
        raise _fail(flag_message(exc, SERVE_FLAGS)) from None
    return 0
