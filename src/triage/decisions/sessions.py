"""Web sessions kept in the intake store, so that logging out really ends one.

The browser's cookie carries only a random session id; the store keeps a
SHA-256 of it (a copied database does not hand out live cookies) with the
login, the session's CSRF token and language, and when it was opened and last
used. A session ends when it is deleted (logout, the login disabled) or when
it has been idle, or open, for too long; both limits are checked on every
lookup, so an expired row is refused even before it is swept away.

Times are seconds since the epoch (``time.time()``): plain numbers compare
cheaply in SQL and survive a restart.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from dataclasses import dataclass

_SCHEMA = """
CREATE TABLE IF NOT EXISTS web_sessions (
    id_hash    TEXT PRIMARY KEY,     -- sha256 of the id in the cookie, never the id itself
    username   TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    lang       TEXT,
    created_at REAL NOT NULL,
    last_seen  REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS web_sessions_user ON web_sessions(username);
"""


@dataclass(frozen=True)
class SessionLimits:
    """How long a session lives: ``idle`` seconds without a request, ``absolute`` in all."""

    idle: float = 30 * 60.0
    absolute: float = 8 * 3600.0


@dataclass(frozen=True)
class StoredSession:
    session_id: str  # as in the cookie (the store holds only its hash)
    user: str
    csrf: str
    lang: str | None
    created_at: float
    last_seen: float


def ensure_sessions_table(conn: sqlite3.Connection) -> None:
    # Checked before creating: CREATE ... IF NOT EXISTS still takes the write lock.
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'web_sessions'"
    ).fetchone()
    if exists is None:
        conn.executescript(_SCHEMA)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def open_session(
    conn: sqlite3.Connection, user: str, *, lang: str | None = None, now: float | None = None
) -> StoredSession:
    """A new session for ``user`` with a fresh id and CSRF token (both 256 random bits)."""
    ensure_sessions_table(conn)
    now = time.time() if now is None else now
    session = StoredSession(
        session_id=secrets.token_urlsafe(32),
        user=user,
        csrf=secrets.token_urlsafe(32),
        lang=lang,
        created_at=now,
        last_seen=now,
    )
    conn.execute(
        "INSERT INTO web_sessions(id_hash, username, csrf, lang, created_at, last_seen) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (_digest(session.session_id), user, session.csrf, lang, now, now),
    )
    return session


def find_session(
    conn: sqlite3.Connection, session_id: str, limits: SessionLimits, *, now: float | None = None
) -> StoredSession | None:
    """The live session with this id, or None (unknown, ended, idle or open too long)."""
    ensure_sessions_table(conn)
    now = time.time() if now is None else now
    row = conn.execute(
        "SELECT username, csrf, lang, created_at, last_seen FROM web_sessions "
        "WHERE id_hash = ? AND last_seen > ? AND created_at > ?",
        (_digest(session_id), now - limits.idle, now - limits.absolute),
    ).fetchone()
    if row is None:
        return None
    return StoredSession(
        session_id=session_id,
        user=row[0],
        csrf=row[1],
        lang=row[2],
        created_at=row[3],
        last_seen=row[4],
    )


def touch_session(conn: sqlite3.Connection, session_id: str, *, now: float | None = None) -> None:
    """Mark the session used now (restarts its idle clock)."""
    now = time.time() if now is None else now
    conn.execute(
        "UPDATE web_sessions SET last_seen = ? WHERE id_hash = ?", (now, _digest(session_id))
    )


def set_session_lang(conn: sqlite3.Connection, session_id: str, lang: str) -> None:
    conn.execute("UPDATE web_sessions SET lang = ? WHERE id_hash = ?", (lang, _digest(session_id)))


def end_session(conn: sqlite3.Connection, session_id: str) -> None:
    """Logout: the row goes, so the cookie (or any copy of it) stops working at once."""
    ensure_sessions_table(conn)
    conn.execute("DELETE FROM web_sessions WHERE id_hash = ?", (_digest(session_id),))


def end_user_sessions(conn: sqlite3.Connection, user: str) -> int:
    """End every session of ``user`` (the login was disabled); returns how many ended."""
    ensure_sessions_table(conn)
    return conn.execute("DELETE FROM web_sessions WHERE username = ?", (user,)).rowcount


def sweep_sessions(
    conn: sqlite3.Connection, limits: SessionLimits, *, now: float | None = None
) -> int:
    """Delete expired sessions (they are refused anyway; this keeps the table small)."""
    ensure_sessions_table(conn)
    now = time.time() if now is None else now
    return conn.execute(
        "DELETE FROM web_sessions WHERE last_seen <= ? OR created_at <= ?",
        (now - limits.idle, now - limits.absolute),
    ).rowcount


def count_sessions(conn: sqlite3.Connection, user: str | None = None) -> int:
    ensure_sessions_table(conn)
    if user is None:
        return conn.execute("SELECT COUNT(*) FROM web_sessions").fetchone()[0]
    return conn.execute("SELECT COUNT(*) FROM web_sessions WHERE username = ?", (user,)).fetchone()[
        0
    ]
