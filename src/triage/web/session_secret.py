"""The key that signs the session cookie: strong, or the server does not start.

The cookie carries only a random session id (the session itself lives in the
store), but the signature still stops anyone from probing ids with made-up
cookies, and a guessable key (``changeme``) would let them sign their own. So
``$TRIAGE_SESSION_SECRET`` must be at least 32 bytes of varied characters;
without it, a random key is made once and kept in the store folder (mode 600).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from triage.contract.errors import TriageError

SECRET_ENV = "TRIAGE_SESSION_SECRET"
SECRET_FILE = "session.key"
MIN_BYTES = 32
MIN_DISTINCT = 10
HOW_TO_MAKE = 'make one with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
WEAK = (
    "{where}: the session secret is too weak ({why}); expected at least {n} bytes of "
    "varied random characters; {how}"
)


class WeakSessionSecret(TriageError, ValueError):
    """The session secret could be guessed; the message says how to make a good one."""


def weakness(secret: str) -> str | None:
    """Why ``secret`` is too weak to sign sessions, or None. Never says the secret itself."""
    size = len(secret.encode("utf-8"))
    if size < MIN_BYTES:
        return f"{size} bytes"
    if len(set(secret)) < MIN_DISTINCT:
        return f"only {len(set(secret))} different characters"
    for period in range(1, len(secret) // 2 + 1):
        if secret == (secret[:period] * (len(secret) // period + 1))[: len(secret)]:
            return "a short text repeated"
    return None


def _check(secret: str, where: str) -> str:
    why = weakness(secret)
    if why is not None:
        raise WeakSessionSecret(
            WEAK.format(where=where, why=why, n=MIN_BYTES, how=HOW_TO_MAKE), param="session_secret"
        )
    return secret


def _new_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL with mode 600: never readable by others, not even for a moment.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(48))


def session_secret(store: Path) -> str:
    """``$TRIAGE_SESSION_SECRET``, else the key kept in ``store/session.key`` (made if missing).

    Raises :class:`WeakSessionSecret` when either is too weak.
    """
    env = os.environ.get(SECRET_ENV)
    if env:
        return _check(env, SECRET_ENV)
    path = store / SECRET_FILE
    if not path.is_file():
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            _new_key_file(path)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)  # a copied or restored key file may have come back group-readable
    return _check(path.read_text().strip(), str(path))
