"""Intake workers' logins: argon2id password hashes in the intake store.

A login identifies the worker on every decision. Users are added from the
command line (``triage users add NAME``), by someone with access to the
store folder; the web page has no sign-up. Logins are staff pseudonyms
(letters, digits, ``._-``), never a person's full name.
"""

from __future__ import annotations

import getpass
import re
import sqlite3
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from triage.contract.errors import TriageError
from triage.decisions.sessions import end_user_sessions

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$"
MIN_PASSWORD = 12

BAD_USERNAME = "username: expected 2–64 letters, digits, '.', '_' or '-' (a staff login, not a full name), got {got!r}"
SHORT_PASSWORD = "password: expected at least {n} characters"
USER_EXISTS = "username: {name!r} already exists"
NO_SUCH_USER = "username: no user {name!r}"

# argon2-cffi's defaults (RFC 9106 low-memory profile: argon2id, t=3, 64 MiB).
_hasher = PasswordHasher()
# A fixed hash to verify against when the user does not exist, so that a
# wrong name and a wrong password take the same time.
_DUMMY = _hasher.hash("not a password of anyone")


class UserError(TriageError, ValueError):
    """A user cannot be added or changed; the message names the field."""


def check_username(name: str) -> str:
    if not re.fullmatch(USERNAME_PATTERN, name):
        raise UserError(BAD_USERNAME.format(got=name))
    return name


def add_user(conn: sqlite3.Connection, name: str, password: str) -> None:
    check_username(name)
    if len(password) < MIN_PASSWORD:
        raise UserError(SHORT_PASSWORD.format(n=MIN_PASSWORD))
    try:
        conn.execute(
            "INSERT INTO users(username, password_hash, created_at, created_by) VALUES (?, ?, ?, ?)",
            (
                name,
                _hasher.hash(password),
                datetime.now(UTC).isoformat(timespec="seconds"),
                getpass.getuser(),
            ),
        )
    except sqlite3.IntegrityError:
        raise UserError(USER_EXISTS.format(name=name)) from None


def set_active(conn: sqlite3.Connection, name: str, active: bool) -> None:
    """Disable (or re-enable) a login; its past decisions keep naming it.

    Disabling also ends the login's web sessions: re-enabling it later must not
    bring an old (possibly copied) cookie back to life.
    """
    cur = conn.execute("UPDATE users SET active = ? WHERE username = ?", (int(active), name))
    if cur.rowcount == 0:
        raise UserError(NO_SUCH_USER.format(name=name))
    if not active:
        end_user_sessions(conn, name)


def authenticate(conn: sqlite3.Connection, name: str, password: str) -> bool:
    """True when ``name`` is an active user and ``password`` is theirs."""
    row = conn.execute(
        "SELECT password_hash FROM users WHERE username = ? AND active = 1", (name,)
    ).fetchone()
    stored = _DUMMY if row is None else row["password_hash"]
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    if row is None:
        return False
    if _hasher.check_needs_rehash(stored):
        conn.execute(
            "UPDATE users SET password_hash = ? WHERE username = ?", (_hasher.hash(password), name)
        )
    return True


def is_active(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT active FROM users WHERE username = ?", (name,)).fetchone()
    return row is not None and bool(row["active"])


def list_users(conn: sqlite3.Connection) -> list[dict[str, object]]:
    rows = conn.execute(
        "SELECT username, created_at, created_by, active FROM users ORDER BY username"
    ).fetchall()
    return [dict(r) for r in rows]
