"""Reading a store without changing it: what ``verify`` and ``export`` use.

The file is opened read-only (``mode=ro``) and its format checked first, so an
empty, damaged or foreign file is one line (:class:`StoreUnusable`), never a
traceback and never written to. When no writer is active (no ``-wal`` file)
it is opened immutable, so that SQLite creates no ``-wal``/``-shm`` files
either; a writer that starts meanwhile is noticed and the read done again.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from triage.decisions._store_format import (
    DB_NAME,
    EMPTY,
    FOREIGN,
    NEWER,
    SCHEMA_VERSION,
    UNKEYED,
    UNKEYED_VERSION,
    UNREADABLE,
    StoreUnusable,
    existing_db,
    has_decisions,
    schema_version,
    store_dir,
    unusable,
)

T = TypeVar("T")


def open_readonly(path: Path, *, immutable: bool) -> sqlite3.Connection:
    """``path`` read-only, its format checked; ``immutable`` also skips SQLite's locking files."""
    query = "?mode=ro&immutable=1" if immutable else "?mode=ro"
    try:
        conn = sqlite3.connect(
            path.resolve().as_uri() + query,
            uri=True,
            timeout=10,
            isolation_level=None,
            check_same_thread=False,
        )
    except sqlite3.DatabaseError as exc:
        raise unusable(path, exc) from None
    conn.row_factory = sqlite3.Row
    try:
        _check_format(conn, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise unusable(path, exc) from None
    except OSError as exc:
        conn.close()
        raise StoreUnusable(
            UNREADABLE.format(path=path, why=exc.strerror or type(exc).__name__), path=path
        ) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _check_format(conn: sqlite3.Connection, path: Path) -> None:
    if path.stat().st_size == 0:
        raise StoreUnusable(EMPTY.format(path=path), path=path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in ("meta", "notices", "decisions"):
        if table not in tables:
            raise StoreUnusable(FOREIGN.format(path=path, table=table), path=path)
    version = schema_version(conn)
    if version is None:
        raise StoreUnusable(
            FOREIGN.format(path=path, table="schema_version in its meta"), path=path
        )
    if version == UNKEYED_VERSION and has_decisions(conn):
        raise StoreUnusable(UNKEYED.format(path=path), path=path)
    if version != SCHEMA_VERSION and version != UNKEYED_VERSION:
        raise StoreUnusable(
            NEWER.format(path=path, got=version, expected=SCHEMA_VERSION), path=path
        )


def _fingerprint(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def read_snapshot(
    store: str | os.PathLike[str] | None, read: Callable[[sqlite3.Connection], T]
) -> T:
    """``read(conn)`` on the store opened read-only; nothing in the folder is created or changed.

    With no writer active (no ``-wal`` file) the database is opened immutable,
    so SQLite makes no ``-wal``/``-shm`` files either; if a writer appeared
    meanwhile (the file changed, or a ``-wal`` came), the read is done again
    with ordinary read-only locking. A damaged or foreign file raises
    :class:`StoreUnusable`, a missing one :class:`StoreNotFound`.
    """
    path = existing_db(store_dir(store))
    wal = path.with_name(DB_NAME + "-wal")
    before = _fingerprint(path)
    if wal.exists():
        return _read(path, read, immutable=False)

    def overtaken() -> bool:
        return wal.exists() or _fingerprint(path) != before

    try:
        result = _read(path, read, immutable=True)
    except StoreUnusable:
        if not overtaken():
            raise
        return _read(path, read, immutable=False)  # a torn read, not a damaged file
    return _read(path, read, immutable=False) if overtaken() else result


def _read(path: Path, read: Callable[[sqlite3.Connection], T], *, immutable: bool) -> T:
    conn = open_readonly(path, immutable=immutable)
    try:
        conn.execute("BEGIN")  # one snapshot for every query of the read
        return read(conn)
    except sqlite3.DatabaseError as exc:
        raise unusable(path, exc) from None
    finally:
        conn.close()
