"""The intake store: one SQLite file holding notices, their cached scores, decisions and users.

Local and embedded, like the MLflow store: ``./intake/intake.db`` unless
``--store`` or ``TRIAGE_INTAKE_STORE`` names another folder. The folder also
keeps the web session secret (``session.key``); it is never committed.

Decisions are append-only: triggers refuse UPDATE and DELETE, and each row is
chained to the previous one by hash (``_chain.py``), so an edit that goes
around the triggers is still found by ``triage decisions verify``.
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


STORE_ENV = "TRIAGE_INTAKE_STORE"
DEFAULT_STORE = Path("intake")
DB_NAME = "intake.db"
SCHEMA_VERSION = 1

_SCHEMA = """
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
CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TABLE IF NOT EXISTS users (
    username      TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,     -- argon2id, with its parameters and salt
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1
);
"""


def store_dir(store: str | os.PathLike[str] | None = None) -> Path:
    """The store folder: ``store`` if given, else ``$TRIAGE_INTAKE_STORE``, else ``./intake``."""
    if store is not None:
        return Path(store)
    env = os.environ.get(STORE_ENV)
    return Path(env) if env else DEFAULT_STORE


def connect(
    store: str | os.PathLike[str] | None = None, *, create: bool = True
) -> sqlite3.Connection:
    """A connection to the store's database, its tables created on first use.

    ``create=False`` refuses a store that does not exist yet (the read-only
    commands, ``verify`` and ``export``, never create one as a side effect).
    """
    folder = store_dir(store)
    path = folder / DB_NAME
    if not create and not path.is_file():
        raise StoreNotFound(
            f"store: no intake store at {path}; set {STORE_ENV} or name another folder "
            "(triage serve creates one)",
            param="store",
            path=path,
        )
    folder.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE when appending).
    conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")  # readers never wait for the one writer
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    if create and not _has_schema(conn):
        conn.executescript(_SCHEMA)
        conn.execute(
            "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )
    return conn


def _has_schema(conn: sqlite3.Connection) -> bool:
    """True once the tables exist: later connections only read (no write lock per request)."""
    try:
        return (
            conn.execute("SELECT 1 FROM meta WHERE key = 'schema_version'").fetchone() is not None
        )
    except sqlite3.OperationalError:  # no meta table yet
        return False


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row["value"]


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
