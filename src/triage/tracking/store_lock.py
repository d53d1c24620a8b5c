"""One process at a time creates or migrates a SQLite tracking store.

MLflow builds a fresh SQLite store's tables with alembic migrations when a
client first opens it; two processes doing so at once crash each other half
way ("table already exists"), and two creating the same experiment collide on
its unique name. A lock file beside the database serialises that first
contact. ``fcntl.flock`` is used because ``filelock`` is not a dependency; the
kernel drops the lock when its holder dies, so a killed run never leaves the
store locked.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from triage.contract.errors import TriageError

SQLITE_PREFIX = "sqlite:///"
LOCK_WAIT_SECONDS = 120.0


class StoreBusy(TriageError, TimeoutError):
    """Another process held the store's lock for longer than the wait."""


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI; None for any other store."""
    if not uri.startswith(SQLITE_PREFIX):
        return None
    rest = uri[len(SQLITE_PREFIX) :].split("?", 1)[0]
    if not rest or rest == ":memory:":
        return None
    return Path(rest)


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextmanager
def store_lock(database: Path, *, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold the exclusive lock of ``database`` (a file beside it, ``<name>.lock``)."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): MLflow's own behaviour, unserialised
        yield
        return
    path = lock_path(database)
    if not path.parent.is_dir():  # no folder, no store: MLflow itself will say so
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        f"tracking store {database}: another process held {path.name} "
                        f"for more than {wait:.0f} s; try again when it has finished"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
