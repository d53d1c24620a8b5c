"""The intake store: one SQLite file holding notices, their cached scores, decisions and users.

Local and embedded, like the MLflow store: ``./intake/intake.db`` unless
``--store`` or ``TRIAGE_INTAKE_STORE`` names another folder. The folder also
keeps the web session secret (``session.key``), the chain and pseudonym keys
(``_key.py``) and the chain's anchor (``_anchor.py``); it is never committed.
Everything in it is the owner's alone: files 0600 in a 0700 folder.

Decisions are append-only: triggers refuse UPDATE and DELETE, and each row is
chained to the previous one by a keyed hash (``_chain.py``), so an edit that
goes around the triggers is still found by ``triage decisions verify``. Notice
amendments (``notice_versions``) and who entered a notice (``notice_authors``)
are append-only the same way (``notice_versions.py``).

Readers that must not change anything (``verify``, ``export``) use
``read_snapshot`` (``_readonly.py``); where the store is and what its format
is, with the errors for one that cannot be used, is ``_store_format.py``.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from triage.contract.errors import TriageError
from triage.decisions._anchor import create_anchor
from triage.decisions._key import CHAIN_KEY, create_keys, read_key
from triage.decisions._private import create_private, private_dir, tighten
from triage.decisions._readonly import open_readonly
from triage.decisions._store_format import (
    DB_NAME,
    FOREIGN,
    NEWER,
    SCHEMA_VERSION,
    SQLITE_CORRUPT,
    SQLITE_NOTADB,
    UNKEYED,
    UNKEYED_VERSION,
    StoreUnusable,
    existing_db,
    has_decisions,
    schema_version,
    sqlite_code,
    store_dir,
    unusable,
)

APPEND_ONLY_TRIGGERS = {
    name: f"CREATE TRIGGER {name} BEFORE {verb} ON decisions\n"
    "BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END"
    for name, verb in (("decisions_no_update", "UPDATE"), ("decisions_no_delete", "DELETE"))
}
"""The triggers that keep decisions append-only, each as ``sqlite_master.sql`` keeps it."""

VERSION_TRIGGERS = {
    f"{table}_no_{verb.lower()}": f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} "
    f"ON {table}\nBEGIN SELECT RAISE(ABORT, '{table} are append-only'); END"
    for table in ("notice_versions", "notice_authors")
    for verb in ("UPDATE", "DELETE")
}
"""The triggers that keep notice versions (and who entered each notice) append-only."""


def _if_not_exists(triggers: dict[str, str]) -> str:
    return "\n".join(
        sql.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1) + ";"
        for sql in triggers.values()
    )


_VERSIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS notice_authors (
    notice_id  TEXT PRIMARY KEY REFERENCES notices(notice_id),
    entered_by TEXT NOT NULL         -- the login that entered version 1 (none for a file import)
);
CREATE TABLE IF NOT EXISTS notice_versions (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,  -- storing order: a refresh sees a new one
    notice_id   TEXT NOT NULL REFERENCES notices(notice_id),
    version     INTEGER NOT NULL CHECK (version >= 2),  -- version 1 is the notices row
    notice_json TEXT NOT NULL,       -- the whole canonical record of this version
    notice_hash TEXT NOT NULL,       -- sha256 of notice_json
    entered_by  TEXT NOT NULL,
    entered_at  TEXT NOT NULL,
    source      TEXT NOT NULL,       -- "page" or "api"
    UNIQUE (notice_id, version)
);
""" + _if_not_exists(VERSION_TRIGGERS)
"""Amendments (versions 2..) and who entered a notice: added to stores made before them too."""

_SCHEMA_TEMPLATE = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notices (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    notice_id   TEXT NOT NULL UNIQUE,
    notice_json TEXT NOT NULL,       -- canonical notice record (contract fields only)
    notice_hash TEXT NOT NULL,       -- sha256 of notice_json
    source      TEXT NOT NULL,       -- where it was imported from (file name)
    imported_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scores (
    notice_id      TEXT PRIMARY KEY REFERENCES notices(notice_id),
    line           TEXT NOT NULL,    -- the score record exactly as `triage score` prints it
    score_hash     TEXT NOT NULL,    -- sha256 of line: names the score a worker was shown
    model          TEXT NOT NULL,
    scorer_key     TEXT NOT NULL,    -- models + rules that made it: another key means re-score
    as_of          TEXT NOT NULL,
    valid_until_us INTEGER,          -- when the clock makes a rule change its verdict (NULL: never)
    suggested_tier TEXT NOT NULL,
    rules          TEXT NOT NULL,    -- JSON list, for the queue without parsing the line
    rule_floor     TEXT,
    safety_deadline TEXT NOT NULL,
    dv_route       TEXT
);
CREATE TABLE IF NOT EXISTS decisions (
    decision_id INTEGER PRIMARY KEY,
    notice_id   TEXT NOT NULL,
    record      TEXT NOT NULL,       -- canonical JSON of the decision fields
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS decisions_notice ON decisions(notice_id);
{triggers}
CREATE TABLE IF NOT EXISTS users (
    username      TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,     -- argon2id, with its parameters and salt
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1
);
"""
_SCHEMA = _SCHEMA_TEMPLATE.format(triggers=_if_not_exists(APPEND_ONLY_TRIGGERS))


def connect(
    store: str | os.PathLike[str] | None = None, *, create: bool = True
) -> sqlite3.Connection:
    """A connection to the store's database; a new store gets its tables, keys and anchor.

    ``create=False`` is for readers: it refuses a store that does not exist yet
    and opens the file read-only (``verify`` and ``export`` never create or
    write anything; they use :func:`read_snapshot`).
    """
    folder = store_dir(store)
    if not create:
        return open_readonly(existing_db(folder), immutable=False)
    path = folder / DB_NAME
    if not path.exists():
        private_dir(folder)
        create_private(path)  # an empty 0600 file: SQLite makes it a database
    # SQLite gives -wal and -shm the database file's mode, so the database is
    # made private before WAL mode creates them; older stores are tightened here.
    for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm"):
        tighten(folder / name)
    # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE when appending).
    conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")  # readers never wait for the one writer
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        _set_up(conn, folder, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        # Only a file that is not a store is said here; a passing fault (a held
        # lock, a full disk) stays SQLite's error for the caller to answer (503).
        if sqlite_code(exc) in (SQLITE_CORRUPT, SQLITE_NOTADB):
            raise unusable(path, exc) from None
        raise
    except BaseException:
        conn.close()
        raise
    return conn


def _set_up(conn: sqlite3.Connection, folder: Path, path: Path) -> None:
    """Tables, keys and anchor for a new store; an existing one is only checked."""
    version = schema_version(conn)
    if version == SCHEMA_VERSION:
        # Later connections only read (no write lock per request); a store made
        # before notice versions gets their tables once.
        if not has_table(conn, "notice_versions"):
            conn.executescript(_VERSIONS_SCHEMA)
        return
    if version is None:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "meta" not in tables:  # another program's database: leave it alone
            raise StoreUnusable(FOREIGN.format(path=path, table="meta"), path=path)
        conn.executescript(_SCHEMA)
    elif version == UNKEYED_VERSION and not has_decisions(conn):
        pass  # nothing was chained without a key yet: the store just gets its keys
    elif version == UNKEYED_VERSION:
        raise StoreUnusable(UNKEYED.format(path=path), path=path)
    else:
        raise StoreUnusable(
            NEWER.format(path=path, got=version, expected=SCHEMA_VERSION), path=path
        )
    conn.executescript(_VERSIONS_SCHEMA)
    # Keys before the version: a store is format 2 only once it has them. An
    # existing key is kept (create_keys never replaces one).
    create_keys(folder)
    create_anchor(folder, read_key(folder, CHAIN_KEY))
    conn.execute(
        "INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (str(SCHEMA_VERSION),),
    )


def store_folder(conn: sqlite3.Connection) -> Path:
    """The folder of the store ``conn`` is open on (where its keys and anchor are)."""
    for row in conn.execute("PRAGMA database_list").fetchall():
        if row[1] == "main" and row[2]:
            return Path(row[2]).parent
    raise TriageError("store: the connection is not to a store file (in-memory database)")


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    """Whether the store has this table (a read-only look at an older store may not)."""
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return row is not None


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row["value"]


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
