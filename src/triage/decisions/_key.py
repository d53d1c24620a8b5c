"""The store's secret keys, kept as files beside the database and never inside it.

- ``chain.key`` keys the decision chain (HMAC): someone who can edit the
  database but not read this file cannot recompute a hash after an edit, nor
  append a decision that verifies.
- ``worker.key`` keys the workers' pseudonyms in the research export.

Both are made with the store (0600). A missing or damaged key is an error that
names the file: a new key would silently break the chain's verification or the
pseudonyms' continuity, so one is never made in place of a lost one.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from triage.contract.errors import TriageError
from triage.decisions._private import create_private

CHAIN_KEY = "chain.key"
WORKER_KEY = "worker.key"
KEY_BYTES = 32

_PURPOSE = {
    CHAIN_KEY: "no decision can be recorded or verified",
    WORKER_KEY: "no export can give workers the pseudonyms of earlier exports",
}
MISSING_KEY = (
    "{name}: no key file at {path}; without it {purpose}. Restore it from the store's "
    "backup (a new key would not match what was made with the old one)"
)
UNREADABLE_KEY = "{name}: cannot read {path} ({reason})"
DAMAGED_KEY = (
    "{name}: expected {n} bytes in {path}, found {got}; restore it from the store's backup"
)


class KeyMissing(TriageError, FileNotFoundError):
    """A store key file is missing or damaged; ``path`` names it."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message, param=path.name)
        self.path = path


def create_keys(folder: Path) -> None:
    """Make the store's keys that do not exist yet (0600); an existing key is left as it is."""
    for name in (CHAIN_KEY, WORKER_KEY):
        create_private(folder / name, secrets.token_bytes(KEY_BYTES))


def read_key(folder: Path, name: str) -> bytes:
    """The key in ``folder/name``; :class:`KeyMissing` if it is not there or not a key."""
    path = folder / name
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        raise KeyMissing(
            MISSING_KEY.format(
                name=name, path=path, purpose=_PURPOSE.get(name, "the store cannot be used")
            ),
            path=path,
        ) from None
    except OSError as exc:
        raise KeyMissing(
            UNREADABLE_KEY.format(name=name, path=path, reason=exc.strerror or type(exc).__name__),
            path=path,
        ) from None
    if len(key) != KEY_BYTES:
        raise KeyMissing(
            DAMAGED_KEY.format(name=name, n=KEY_BYTES, path=path, got=len(key)), path=path
        )
    return key
