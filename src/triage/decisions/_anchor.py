"""The chain's anchor: its count and head hash, kept in a file outside the database.

A hash chain cannot show that its newest decisions were removed: the shorter
chain is still a valid chain. ``anchor.json`` in the store folder records how
many decisions there were and the newest one's hash, MAC'd with the chain key
so that it cannot be rewound without the key; it is replaced atomically after
every decision. ``verify`` compares the chain with it, and prints the head so a
copy can be kept further away (an old anchor file put back together with the
rows it covered is found only by such a copy).

Appends and anchor writes are serialised by a lock file (``chain.lock``), so
the anchor never moves backwards. A crash between a commit and its anchor
write leaves the anchor one decision behind; that is reported, not an error,
and the next decision moves it forward.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from triage.contract.errors import TriageError
from triage.decisions._chain import GENESIS, canonical_json
from triage.decisions._private import create_private, replace_private

ANCHOR = "anchor.json"
LOCK = "chain.lock"
ANCHOR_FORMAT = "anchor/1"

MISSING = "{name}: no anchor file at {path} (it is written with the store and on every decision)"
UNREADABLE = "{name}: {path} is not an anchor file ({why})"
FORGED = "{name}: its MAC does not match the chain key (written or rewound without the key)"


class AnchorProblem(TriageError, ValueError):
    """The anchor file is missing, unreadable or not made with the store's key."""


@dataclass(frozen=True)
class Anchor:
    count: int
    head: str
    written_at: str


def _mac(key: bytes, anchor: Anchor) -> str:
    body = canonical_json(
        {
            "format": ANCHOR_FORMAT,
            "count": anchor.count,
            "head": anchor.head,
            "written_at": anchor.written_at,
        }
    )
    return hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()


def _text(key: bytes, anchor: Anchor) -> bytes:
    fields = {
        "format": ANCHOR_FORMAT,
        "count": anchor.count,
        "head": anchor.head,
        "written_at": anchor.written_at,
        "mac": _mac(key, anchor),
    }
    return (json.dumps(fields, indent=1) + "\n").encode("utf-8")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def create_anchor(folder: Path, key: bytes) -> None:
    """The empty chain's anchor, written with a new store (an existing anchor is kept)."""
    create_private(folder / ANCHOR, _text(key, Anchor(0, GENESIS, _now())))


def write_anchor(folder: Path, key: bytes, count: int, head: str) -> None:
    """Replace the anchor with ``count`` and ``head`` (call with :func:`chain_lock` held).

    Called once the decision's commit is on disk. The folder is not fsynced: a
    power loss may bring back the previous anchor, one behind (reported, not an
    error), but never one ahead of the decisions, which would look like removal.
    """
    replace_private(folder / ANCHOR, _text(key, Anchor(count, head, _now())), sync_folder=False)


def read_anchor(folder: Path, key: bytes) -> Anchor:
    """The anchor, its MAC checked; :class:`AnchorProblem` if missing, unreadable or forged."""
    path = folder / ANCHOR
    try:
        fields = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise AnchorProblem(MISSING.format(name=ANCHOR, path=path), param=ANCHOR) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        why = getattr(exc, "strerror", None) or "not JSON"
        raise AnchorProblem(
            UNREADABLE.format(name=ANCHOR, path=path, why=why), param=ANCHOR
        ) from None
    try:
        anchor = Anchor(count=fields["count"], head=fields["head"], written_at=fields["written_at"])
        mac = fields["mac"]
    except (KeyError, TypeError):
        why = "expected count, head, written_at and mac"
        raise AnchorProblem(
            UNREADABLE.format(name=ANCHOR, path=path, why=why), param=ANCHOR
        ) from None
    if not (isinstance(mac, str) and hmac.compare_digest(mac, _mac(key, anchor))):
        raise AnchorProblem(FORGED.format(name=ANCHOR), param=ANCHOR)
    if not (isinstance(anchor.count, int) and anchor.count >= 0 and isinstance(anchor.head, str)):
        why = "count must be a number and head a hash"
        raise AnchorProblem(UNREADABLE.format(name=ANCHOR, path=path, why=why), param=ANCHOR)
    return anchor


@contextmanager
def chain_lock(folder: Path) -> Iterator[None]:
    """Held while a decision is appended and the anchor rewritten: one writer at a time.

    ``flock`` on a file of its own: it excludes other processes and other
    threads (each call opens the file anew), and is independent of SQLite's locks.
    """
    path = folder / LOCK
    create_private(path)
    with path.open("rb") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
