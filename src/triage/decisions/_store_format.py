"""What an intake store is on disk: its folder, its database file and format version.

Also the two errors for a store that cannot be used: :class:`StoreNotFound`
(nothing there) and :class:`StoreUnusable` (empty, damaged, foreign, or of
another format), each said in one line naming the file.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from triage.contract.errors import TriageError


class StoreNotFound(TriageError, FileNotFoundError):
    """The intake store a read-only command needs does not exist; ``path`` is where it looked."""

    def __init__(self, message: str, *, param: str, path: Path) -> None:
        super().__init__(message, param=param)
        self.path = path


class StoreUnusable(TriageError, ValueError):
    """The store's database is damaged, foreign or of another format; ``path`` names it."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message, param="store")
        self.path = path


STORE_ENV = "TRIAGE_INTAKE_STORE"
DEFAULT_STORE = Path("intake")
DB_NAME = "intake.db"
SCHEMA_VERSION = 2
"""2: decisions chained with a key (``chain.key``) and anchored (``anchor.json``)."""
UNKEYED_VERSION = 1

NOT_SQLITE = "store: {path} is not an intake store (not a SQLite database)"
EMPTY = "store: {path} is empty, not an intake store"
FOREIGN = "store: {path} is not an intake store (no {table} table)"
DAMAGED = "store: {path} is damaged ({why}); restore it from a backup"
UNREADABLE = "store: cannot read {path} ({why})"
UNKEYED = (
    "store: {path} holds decisions chained without a key (store format 1, before keyed "
    "chains); keep it as it is for the record and start a new store folder"
)
NEWER = "store: {path} has store format {got}; this triage reads format {expected}"

SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26


def store_dir(store: str | os.PathLike[str] | None = None) -> Path:
    """The store folder: ``store`` if given, else ``$TRIAGE_INTAKE_STORE``, else ``./intake``."""
    if store is not None:
        return Path(store)
    env = os.environ.get(STORE_ENV)
    return Path(env) if env else DEFAULT_STORE


def existing_db(folder: Path) -> Path:
    path = folder / DB_NAME
    if not path.is_file():
        raise StoreNotFound(
            f"store: no intake store at {path}; set {STORE_ENV} or name another folder "
            "(triage serve creates one)",
            param="store",
            path=path,
        )
    return path


def sqlite_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def schema_version(conn: sqlite3.Connection) -> int | None:
    """The store format, None before the tables exist."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.OperationalError as exc:  # no meta table yet
        if "no such table" in str(exc):
            return None
        raise
    if row is None:
        return None
    try:
        return int(row[0])
    except (TypeError, ValueError):
        return -1


def has_decisions(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM decisions LIMIT 1").fetchone() is not None


def unusable(path: Path, exc: sqlite3.DatabaseError) -> StoreUnusable:
    """One line for what SQLite said about a file that is not a usable store."""
    why = str(exc)
    code = sqlite_code(exc)
    if code == SQLITE_NOTADB or "not a database" in why:
        return StoreUnusable(NOT_SQLITE.format(path=path), path=path)
    if code == SQLITE_CORRUPT or "malformed" in why:
        return StoreUnusable(DAMAGED.format(path=path, why=why), path=path)
    return StoreUnusable(UNREADABLE.format(path=path, why=why), path=path)
