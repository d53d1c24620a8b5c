"""A person's decision on a notice, recorded append-only with what they were shown.

The record keeps the score the worker saw (its hash, model version, tier,
rule floor, rules that fired, DV route), the notice version it was made on
(``notice_version``; absent in records made before versions, meaning 1) and
that version's hash (never a copy of the notice), who decided (the login) and what: the tier and the DV route, an
override being any difference from the suggestion. An override needs a
reason; the reason is the only free text kept: it must have visible text and
no control characters (``_reason_text.py``), and text that looks like an
identifier (e-mail, phone or individual number, postal code) is refused
(``_identifiers.py``).

Appending takes the chain lock, chains the record with the store's key and
rewrites the anchor (``_anchor.py``) before letting the next writer in.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from triage.contract import DV_ROUTES, TIERS
from triage.contract.errors import TriageError
from triage.decisions._anchor import chain_lock, write_anchor
from triage.decisions._chain import GENESIS, ChainRows, canonical_json, chain_hash
from triage.decisions._db import has_table, store_folder
from triage.decisions._identifiers import identifier_in_text
from triage.decisions._key import CHAIN_KEY, read_key
from triage.decisions._reason_text import check_reason_text
from triage.decisions.notice_versions import LATEST_NOTICES_SQL

RECORD_SCHEMA = "decision/1"
MAX_REASON = 1000

REASON_REQUIRED = "override_reason: an override of the suggested {what} needs a reason"
REASON_ONLY_FOR_OVERRIDE = (
    "override_reason: give a reason only when overriding the suggestion "
    "(the reason is the only free text kept)"
)
REASON_IDENTIFIER = (
    "override_reason: looks like it holds {what}; give the reason without names, "
    "contact details or numbers that identify a person"
)
ROUTE_REQUIRED = (
    "decided_dv_route: required for a DV-witness notice (one of {routes}; suggested: {suggested})"
)
ROUTE_NOT_DV = "decided_dv_route: only DV-witness notices have a route; expected null, got {got!r}"
STALE_SCORE = (
    "shown_score_hash: the suggestion for {notice_id} changed since it was shown "
    "(re-scored); reopen the notice and decide on what it shows now"
)
UNKNOWN_NOTICE = "notice_id: no notice {notice_id!r} in the store"
NOT_SCORED = "notice_id: notice {notice_id!r} has no suggestion yet (no model loaded)"

_log = logging.getLogger(__name__)


class DecisionError(TriageError, ValueError):
    """A decision that cannot be recorded; ``field`` names the input and ``kind`` the HTTP meaning."""

    def __init__(self, message: str, *, field: str, code: str, kind: str = "invalid") -> None:
        super().__init__(message, param=field)
        self.field = field
        self.code = code  # which rule was broken, for the page's translated message
        self.kind = kind  # "invalid" (422), "not_found" (404), "conflict" (409)

    @property
    def status(self) -> int:
        """The HTTP status that answers this error."""
        return {"not_found": 404, "conflict": 409}.get(self.kind, 422)


class DecisionInput(BaseModel):
    """What the worker decided on one notice (form or ``POST /api/decisions``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    notice_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    decided_tier: Literal["immediate", "urgent", "standard"]
    decided_dv_route: Literal["cgc", "municipality"] | None = None
    override_reason: str | None = Field(default=None, max_length=MAX_REASON)
    shown_score_hash: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="score_hash of the suggestion the worker was shown; a newer score is a 409",
    )

    @field_validator("notice_id", mode="before")
    @classmethod
    def _id_as_sent(cls, value: Any) -> Any:
        # Checked before whitespace is stripped: "N-1\n" is not "N-1", and stripping it
        # would record the decision on another notice.
        if isinstance(value, str) and value != value.strip():
            raise ValueError("a notice id has no surrounding whitespace or line break")
        return value

    @field_validator("override_reason")
    @classmethod
    def _reason_is_text(cls, value: str | None) -> str | None:
        # After stripping: "" is no reason at all (the form sends one when none is needed).
        return check_reason_text(value) if value else value


def _check(decision: DecisionInput, score: dict[str, Any]) -> tuple[bool, bool, str | None]:
    suggested_route = score["dv_route"]
    if suggested_route is None and decision.decided_dv_route is not None:
        raise DecisionError(
            ROUTE_NOT_DV.format(got=decision.decided_dv_route),
            field="decided_dv_route",
            code="route_not_dv",
        )
    if suggested_route is not None and decision.decided_dv_route is None:
        raise DecisionError(
            ROUTE_REQUIRED.format(routes=", ".join(DV_ROUTES), suggested=suggested_route),
            field="decided_dv_route",
            code="route_required",
        )
    tier_over = decision.decided_tier != score["suggested_tier"]
    route_over = suggested_route is not None and decision.decided_dv_route != suggested_route
    reason = decision.override_reason or None
    if (tier_over or route_over) and not reason:
        what = "tier" if tier_over else "DV route"
        if tier_over and route_over:
            what = "tier and DV route"
        raise DecisionError(
            REASON_REQUIRED.format(what=what), field="override_reason", code="reason_required"
        )
    if reason and not (tier_over or route_over):
        raise DecisionError(REASON_ONLY_FOR_OVERRIDE, field="override_reason", code="reason_only")
    if reason and (kind := identifier_in_text(reason)):
        raise DecisionError(
            REASON_IDENTIFIER.format(what=kind), field="override_reason", code="reason_identifier"
        )
    return tier_over, route_over, reason


def record_decision(
    conn: sqlite3.Connection,
    decision: DecisionInput,
    *,
    user: str,
    routing_model: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Check ``decision`` against the notice's current score and append it to the chain.

    Returns the stored record with its ``hash`` and ``prev_hash``. Raises
    :class:`DecisionError` (``kind`` not_found / conflict / invalid).
    """
    # One statement, one snapshot: the cached score is always of the version read
    # with it (storing a version drops the notice's score in the same transaction).
    notice = conn.execute(
        f"SELECT n.notice_hash, n.version, s.line, s.score_hash, s.as_of "
        f"FROM ({LATEST_NOTICES_SQL}) n "
        "LEFT JOIN scores s ON s.notice_id = n.notice_id WHERE n.notice_id = ?",
        (decision.notice_id,),
    ).fetchone()
    if notice is None:
        raise DecisionError(
            UNKNOWN_NOTICE.format(notice_id=decision.notice_id),
            field="notice_id",
            code="unknown_notice",
            kind="not_found",
        )
    if notice["line"] is None:
        raise DecisionError(
            NOT_SCORED.format(notice_id=decision.notice_id),
            field="notice_id",
            code="not_scored",
            kind="conflict",
        )
    if decision.shown_score_hash and decision.shown_score_hash != notice["score_hash"]:
        raise DecisionError(
            STALE_SCORE.format(notice_id=decision.notice_id),
            field="shown_score_hash",
            code="stale_score",
            kind="conflict",
        )
    score = json.loads(notice["line"])
    tier_over, route_over, reason = _check(decision, score)
    floor = score["rule_floor"]
    below_floor = floor is not None and TIERS.index(decision.decided_tier) > TIERS.index(floor)
    when = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")
    fields: dict[str, Any] = {
        "schema": RECORD_SCHEMA,
        "notice_id": decision.notice_id,
        "notice_hash": notice["notice_hash"],
        "notice_version": notice["version"],
        "decided_at": when,
        "decided_by": user,
        "model": score["model"],
        "routing_model": routing_model,
        "score_hash": notice["score_hash"],
        "score_as_of": notice["as_of"],
        "risk": score["risk"],
        "model_tier": score["model_tier"],
        "rule_floor": floor,
        "rules": list(score["rules"]),
        "suggested_tier": score["suggested_tier"],
        "suggested_dv_route": score["dv_route"],
        "decided_tier": decision.decided_tier,
        "decided_dv_route": decision.decided_dv_route,
        "tier_overridden": tier_over,
        "dv_route_overridden": route_over,
        "below_rule_floor": below_floor,
        "override_reason": reason,
    }
    folder = store_folder(conn)
    key = read_key(folder, CHAIN_KEY)
    # The chain lock spans the append and the anchor write, so anchors are written
    # in chain order; BEGIN IMMEDIATE takes SQLite's write lock before the head is
    # read, so no other writer of the database chains onto the same hash either.
    with chain_lock(folder), _durable(conn):
        conn.execute("BEGIN IMMEDIATE")
        try:
            head = conn.execute(
                "SELECT decision_id, hash FROM decisions ORDER BY decision_id DESC LIMIT 1"
            ).fetchone()
            prev = GENESIS if head is None else head["hash"]
            fields["decision_id"] = 1 if head is None else head["decision_id"] + 1
            text = canonical_json(fields)
            digest = chain_hash(key, text, prev)
            conn.execute(
                "INSERT INTO decisions(decision_id, notice_id, record, prev_hash, hash) "
                "VALUES (?, ?, ?, ?, ?)",
                (fields["decision_id"], decision.notice_id, text, prev, digest),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        try:
            write_anchor(folder, key, fields["decision_id"], digest)
        except OSError as exc:
            # The decision is committed: failing now would have it sent again. The
            # anchor stays one behind, which verify reports and the next decision mends.
            _log.warning("anchor not rewritten after decision %s: %s", fields["decision_id"], exc)
    return {**fields, "prev_hash": prev, "hash": digest}


@contextmanager
def _durable(conn: sqlite3.Connection) -> Iterator[None]:
    """Commits synced to disk before returning: a decision is acknowledged, then anchored.

    The store's NORMAL setting may lose the newest commits on power loss (never on
    a crash of the process); an anchor synced ahead of a lost decision would then
    look like a removed one. FULL costs one fsync per decision.
    """
    conn.execute("PRAGMA synchronous=FULL")
    try:
        yield
    finally:
        conn.execute("PRAGMA synchronous=NORMAL")


def _rows_to_records(rows) -> list[dict[str, Any]]:
    return [
        {**json.loads(r["record"]), "prev_hash": r["prev_hash"], "hash": r["hash"]} for r in rows
    ]


def decisions_for(conn: sqlite3.Connection, notice_id: str) -> list[dict[str, Any]]:
    """Every decision on one notice, oldest first (the latest is the one that counts)."""
    rows = conn.execute(
        "SELECT record, prev_hash, hash FROM decisions WHERE notice_id = ? ORDER BY decision_id",
        (notice_id,),
    ).fetchall()
    return _rows_to_records(rows)


def latest_decisions(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """notice_id → its latest decision."""
    rows = conn.execute(
        "SELECT record, prev_hash, hash FROM decisions WHERE decision_id IN "
        "(SELECT MAX(decision_id) FROM decisions GROUP BY notice_id)"
    ).fetchall()
    return {r["notice_id"]: r for r in _rows_to_records(rows)}


_DECIDED_VERSION = "COALESCE(CASE WHEN json_valid(d.record) THEN json_extract(d.record, '$.notice_version') END, 1)"
"""The notice version a decision names: 1 for decisions made before versions (and for a
record that is no JSON at all, which the chain reports)."""


def chain_rows(conn: sqlite3.Connection) -> ChainRows:
    """Decision rows in chain order with the notice version each decided on and the store's
    key, for :func:`verify_chain`."""
    if has_table(conn, "notice_versions"):
        notice = (
            f"CASE WHEN {_DECIDED_VERSION} = 1 THEN n.notice_json ELSE v.notice_json END "
            "AS notice_json, "
            f"CASE WHEN {_DECIDED_VERSION} = 1 THEN n.notice_hash ELSE v.notice_hash END "
            "AS stored_notice_hash "
            "FROM decisions d LEFT JOIN notices n ON n.notice_id = d.notice_id "
            "LEFT JOIN notice_versions v ON v.notice_id = d.notice_id "
            f"AND v.version = {_DECIDED_VERSION} "
        )
    else:  # a read-only look at a store made before notice versions
        notice = (
            "n.notice_json, n.notice_hash AS stored_notice_hash "
            "FROM decisions d LEFT JOIN notices n ON n.notice_id = d.notice_id "
        )
    rows = conn.execute(
        "SELECT d.decision_id, d.notice_id, d.record, d.prev_hash, d.hash, "
        + notice
        + "ORDER BY d.decision_id"
    ).fetchall()
    return ChainRows(rows=rows, key=read_key(store_folder(conn), CHAIN_KEY))
