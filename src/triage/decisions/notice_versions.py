"""Notice versions: a stored notice never changes; facts learned later are a new version.

Version 1 is the ``notices`` row as first stored (imported from a file, entered
on the page, pushed through the API); versions 2.. are amendments in
``notice_versions``, each the whole record: the latest one updated with what
changed, validated as any notice is. Both tables are append-only (triggers in
``_db.py``), like decisions: a decision names the version it was made on and
keeps that version's hash, so ``verify`` checks the facts decided on are still
the ones stored. The queue, the notice page and scoring read the latest version.

Storing a version drops the notice's cached score (``scores``) in the same
transaction, so the next refresh scores the facts as they now stand.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from triage.contract.errors import TriageError
from triage.decisions._chain import canonical_json, sha256_text
from triage.decisions._db import has_table
from triage.notices import validate_notices, write_notices

NOTICE_CHANGED = (
    "notice_id: {id} is already in the store with other contents; a stored notice never "
    "changes (decisions hash it): import the new facts under a new notice_id"
)
UNKNOWN_NOTICE = "notice_id: no notice with this id in the store"
ID_FIXED = "notice_id: an amendment cannot change the notice's id (it names the notice)"
RECEIVED_FIXED = (
    "received_at: an amendment cannot change when the notice was received "
    "(its 48-hour deadline runs from it)"
)
NOT_AN_OBJECT = "body: expected the changed facts as a JSON object of notice fields"

ID_PREFIX = "E-"
ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base 32: no I, L, O or U, so an id read out on the phone is not misheard."""
ID_LENGTH = 8

LATEST_NOTICES_SQL = """
SELECT n.seq, n.notice_id, COALESCE(v.version, 1) AS version,
       COALESCE(v.notice_json, n.notice_json) AS notice_json,
       COALESCE(v.notice_hash, n.notice_hash) AS notice_hash
FROM notices n LEFT JOIN notice_versions v ON v.notice_id = n.notice_id
 AND v.version = (SELECT MAX(w.version) FROM notice_versions w WHERE w.notice_id = n.notice_id)
"""
"""Every notice's newest version (``seq``, ``notice_id``, ``version``, ``notice_json``,
``notice_hash``), to select FROM in place of ``notices``."""

_AMEND_TRIES = 3


@dataclass(frozen=True)
class NoticeVersion:
    """One stored version of a notice; a stored version never changes."""

    notice_id: str
    version: int
    """1 = the notice as first stored (the ``notices`` row); 2.. amendments."""
    record: dict[str, Any]
    """The canonical notice record (contract fields) of this version."""
    notice_hash: str
    """sha256 of the record's canonical JSON (``notices.notice_hash`` for version 1)."""
    entered_by: str | None
    """The login that entered it (page or API); None for a file import."""
    entered_at: str
    """ISO 8601, UTC."""
    source: str
    """``"page"``, ``"api"``, or the imported file's name."""


@dataclass(frozen=True)
class NoticeOutcome:
    """What storing one valid notice did: ``stored``, ``unchanged`` or ``refused``."""

    notice_id: str
    status: Literal["stored", "unchanged", "refused"]
    version: NoticeVersion | None
    """The version now latest (None when refused)."""
    problem: str | None = None
    """Why it was refused, in one line naming the field."""


class NoticeEntryError(TriageError, ValueError):
    """A notice or amendment that cannot be stored; ``errors`` lists (field, one-line message).

    The message is the first error's, with a count of the rest. ``kind`` is the
    HTTP meaning: ``invalid`` (422), ``not_found`` (404) or ``conflict`` (409).
    """

    def __init__(self, errors: list[tuple[str, str]], *, kind: str = "invalid") -> None:
        more = len(errors) - 1
        message = errors[0][1] + (
            f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        )
        super().__init__(message, param=errors[0][0])
        self.errors = errors
        self.kind = kind

    @property
    def status(self) -> int:
        return {"not_found": 404, "conflict": 409}.get(self.kind, 422)


def canonical_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Valid notices as the JSON objects ``write_notices`` writes: one form whatever the input was."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "n.jsonl"
        write_notices(frame, path)
        return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]


def new_notice_id(conn: sqlite3.Connection) -> str:
    """A fresh pseudonymous id not in the store, e.g. ``E-7Q2K9XWM`` (random, never a count)."""
    while True:
        candidate = ID_PREFIX + "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))
        if (
            conn.execute("SELECT 1 FROM notices WHERE notice_id = ?", (candidate,)).fetchone()
            is None
        ):
            return candidate


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _checked(record: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical form of one notice, or :class:`NoticeEntryError` naming each bad field."""
    result = validate_notices([dict(record)])
    if result.errors:
        raise NoticeEntryError([(e.field or "notice", e.message) for e in result.errors])
    return canonical_records(result.valid)[0]


def add_notice(
    conn: sqlite3.Connection,
    record: Mapping[str, Any],
    *,
    entered_by: str,
    source: str,
    keep_id: bool = False,
) -> NoticeVersion:
    """Validate one notice and store it as version 1 of a notice.

    ``keep_id=False`` (the page) gives it a new id, whatever ``record`` holds;
    ``keep_id=True`` (a case-management system) keeps its id: the same notice
    again returns the stored latest version, other facts under a known id are
    refused (:class:`NoticeEntryError`, kind ``conflict``), as on import.
    """
    draft = dict(record)
    if not keep_id:
        draft["notice_id"] = new_notice_id(conn)  # a valid placeholder; fixed when stored
    outcome = store_checked_notices(
        conn, [_checked(draft)], entered_by=entered_by, source=source, keep_id=keep_id
    )[0]
    if outcome.version is None:
        raise NoticeEntryError([("notice_id", outcome.problem or "")], kind="conflict")
    return outcome.version


def store_checked_notices(
    conn: sqlite3.Connection,
    records: Iterable[Mapping[str, Any]],
    *,
    entered_by: str | None,
    source: str,
    keep_id: bool = True,
) -> list[NoticeOutcome]:
    """Store notices already validated and canonical (:func:`canonical_records`), in one transaction.

    With ``keep_id`` a notice whose id is stored is ``unchanged`` when its facts
    are those of its first or latest version, else ``refused`` (a stored notice
    never changes: new facts are an amendment). Without it each gets a new id.
    """
    when = _now()
    out: list[NoticeOutcome] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for given in records:
            rec = dict(given)
            if not keep_id:
                rec["notice_id"] = new_notice_id(conn)
            out.append(_store_one(conn, rec, entered_by=entered_by, source=source, when=when))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return out


def _store_one(
    conn: sqlite3.Connection,
    rec: dict[str, Any],
    *,
    entered_by: str | None,
    source: str,
    when: str,
) -> NoticeOutcome:
    notice_id = rec["notice_id"]
    text = canonical_json(rec)
    digest = sha256_text(text)
    latest = latest_version(conn, notice_id)
    if latest is None:
        conn.execute(
            "INSERT INTO notices(notice_id, notice_json, notice_hash, source, imported_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (notice_id, text, digest, source, when),
        )
        if entered_by is not None:
            conn.execute(
                "INSERT INTO notice_authors(notice_id, entered_by) VALUES (?, ?)",
                (notice_id, entered_by),
            )
        version = NoticeVersion(notice_id, 1, rec, digest, entered_by, when, source)
        return NoticeOutcome(notice_id, "stored", version)
    if digest in (latest.notice_hash, _first_hash(conn, notice_id)):
        return NoticeOutcome(notice_id, "unchanged", latest)
    return NoticeOutcome(notice_id, "refused", None, NOTICE_CHANGED.format(id=notice_id))


def _first_hash(conn: sqlite3.Connection, notice_id: str) -> str:
    row = conn.execute(
        "SELECT notice_hash FROM notices WHERE notice_id = ?", (notice_id,)
    ).fetchone()
    return row["notice_hash"]


def amend_notice(
    conn: sqlite3.Connection,
    notice_id: str,
    changes: Mapping[str, Any],
    *,
    entered_by: str,
    source: str,
) -> NoticeVersion:
    """Store the next version: the latest record updated with ``changes``, validated.

    A change to ``notice_id`` or ``received_at`` is refused; a value of None
    makes a fact unknown again. Changes that leave the record as it is store
    nothing and return the latest version. Raises :class:`NoticeEntryError`
    (kind ``not_found`` for an unknown notice).
    """
    outcome = store_amendment(conn, notice_id, changes, entered_by=entered_by, source=source)
    assert outcome.version is not None  # an amendment is stored, unchanged, or raises
    return outcome.version


def store_amendment(
    conn: sqlite3.Connection,
    notice_id: str,
    changes: Mapping[str, Any],
    *,
    entered_by: str,
    source: str,
) -> NoticeOutcome:
    """:func:`amend_notice`, saying whether a version was ``stored`` or all was ``unchanged``."""
    if not isinstance(changes, Mapping):
        raise NoticeEntryError([("body", NOT_AN_OBJECT)])
    if "notice_id" in changes and changes["notice_id"] != notice_id:
        raise NoticeEntryError([("notice_id", ID_FIXED)])
    for _ in range(_AMEND_TRIES):
        latest = latest_version(conn, notice_id)
        if latest is None:
            raise NoticeEntryError([("notice_id", UNKNOWN_NOTICE)], kind="not_found")
        rec = _checked({**latest.record, **changes})
        if rec["received_at"] != latest.record["received_at"]:
            raise NoticeEntryError([("received_at", RECEIVED_FIXED)])
        text = canonical_json(rec)
        if text == canonical_json(latest.record):
            return NoticeOutcome(notice_id, "unchanged", latest)
        stored = _append_version(conn, latest, rec, text, entered_by=entered_by, source=source)
        if stored is not None:
            return NoticeOutcome(notice_id, "stored", stored)
    # Only when others amend the same notice faster than it can be validated.
    raise NoticeEntryError(
        [("notice_id", "notice_id: amended by others meanwhile; read it again and resend")],
        kind="conflict",
    )


def _append_version(
    conn: sqlite3.Connection,
    based_on: NoticeVersion,
    rec: dict[str, Any],
    text: str,
    *,
    entered_by: str,
    source: str,
) -> NoticeVersion | None:
    """Append ``rec`` after ``based_on``; None when another version was stored meanwhile."""
    when = _now()
    number = based_on.version + 1
    digest = sha256_text(text)
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Validation ran outside the write lock: the amendment is applied only to
        # the version it was built on, never silently over a newer one.
        if _latest_number(conn, based_on.notice_id) != based_on.version:
            conn.execute("ROLLBACK")
            return None
        conn.execute(
            "INSERT INTO notice_versions(notice_id, version, notice_json, notice_hash, "
            "entered_by, entered_at, source) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (based_on.notice_id, number, text, digest, entered_by, when, source),
        )
        conn.execute("DELETE FROM scores WHERE notice_id = ?", (based_on.notice_id,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return NoticeVersion(based_on.notice_id, number, rec, digest, entered_by, when, source)


def _latest_number(conn: sqlite3.Connection, notice_id: str) -> int:
    row = conn.execute(
        "SELECT MAX(version) FROM notice_versions WHERE notice_id = ?", (notice_id,)
    ).fetchone()
    return 1 if row[0] is None else int(row[0])


_AMENDED_SQL = (
    "SELECT notice_id, version, notice_json, notice_hash, entered_by, entered_at, source "
    "FROM notice_versions"
)


def _first_sql(conn: sqlite3.Connection) -> str:
    """Version 1 of notices, with who entered it when the store records that."""
    if has_table(conn, "notice_authors"):
        author, join = "a.entered_by", "LEFT JOIN notice_authors a ON a.notice_id = n.notice_id"
    else:  # a read-only look at a store made before notice versions
        author, join = "NULL", ""
    return (
        f"SELECT n.notice_id, 1 AS version, n.notice_json, n.notice_hash, {author} AS entered_by, "
        f"n.imported_at AS entered_at, n.source FROM notices n {join}"
    )


def _version(row: Mapping[str, Any]) -> NoticeVersion:
    return NoticeVersion(
        notice_id=row["notice_id"],
        version=int(row["version"]),
        record=json.loads(row["notice_json"]),
        notice_hash=row["notice_hash"],
        entered_by=row["entered_by"],
        entered_at=row["entered_at"],
        source=row["source"],
    )


def _amendments(conn: sqlite3.Connection, where: str, args: tuple[Any, ...]) -> list[NoticeVersion]:
    if not has_table(conn, "notice_versions"):
        return []
    rows = conn.execute(f"{_AMENDED_SQL} WHERE {where} ORDER BY seq", args).fetchall()
    return [_version(r) for r in rows]


def notice_versions(conn: sqlite3.Connection, notice_id: str) -> list[NoticeVersion]:
    """Every version of one notice, oldest first (empty for an unknown id)."""
    first = conn.execute(f"{_first_sql(conn)} WHERE n.notice_id = ?", (notice_id,)).fetchone()
    if first is None:
        return []
    return [_version(first), *_amendments(conn, "notice_id = ?", (notice_id,))]


def latest_version(conn: sqlite3.Connection, notice_id: str) -> NoticeVersion | None:
    """The notice's newest version, or None for an unknown id."""
    newest = _amendments(
        conn,
        "seq = (SELECT MAX(seq) FROM notice_versions WHERE notice_id = ?)",
        (notice_id,),
    )
    if newest:
        return newest[0]
    first = conn.execute(f"{_first_sql(conn)} WHERE n.notice_id = ?", (notice_id,)).fetchone()
    return None if first is None else _version(first)


def latest_versions(conn: sqlite3.Connection) -> dict[str, NoticeVersion]:
    """Every notice's newest version, by notice_id, in the order the notices were stored."""
    rows = conn.execute(f"{_first_sql(conn)} ORDER BY n.seq").fetchall()
    out = {r["notice_id"]: _version(r) for r in rows}
    newest = "seq IN (SELECT MAX(seq) FROM notice_versions GROUP BY notice_id)"
    for amended in _amendments(conn, newest, ()):
        out[amended.notice_id] = amended
    return out
