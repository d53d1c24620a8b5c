"""The keyed hash chain over decisions: any edit, insertion or deletion inside it is found.

``hash = HMAC-SHA256(key, canonical_json(record) + prev_hash)``, with
``prev_hash`` the previous decision's hash (``GENESIS`` for the first) and the
key in the store folder's ``chain.key``, never in the database. Without the key
an edited record cannot be given a matching hash, and an appended one cannot be
forged; recomputing the whole chain is no way around it either. Canonical
JSON: sorted keys, no spaces, UTF-8, so the same fields always give the same bytes.

Each row is also checked against its columns (``decision_id``, ``notice_id``)
and against the notice it decided on: the record keeps the notice's hash, and
the stored notice must still have it. The chain alone cannot show that its
*newest* decisions were removed; the anchor file (``_anchor.py``) and the head
printed by ``verify`` do that.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64

GAP = (
    "decision {id}: expected decision {expected} next (ids run 1, 2, 3… without gaps; "
    "a decision was removed or inserted)"
)
BROKEN_JSON = "decision {id}: the stored record is not a JSON object"
BROKEN_LINK = (
    "decision {id}: prev_hash does not match the hash of the decision before it "
    "(a decision was removed, inserted or re-chained)"
)
BROKEN_RECORD = (
    "decision {id}: its stored fields do not match its keyed hash "
    "(edited after it was recorded, or written without the store's key)"
)
BROKEN_ID = "decision {id}: record says decision_id {inner}, the row says {id}"
BROKEN_NOTICE_COLUMN = (
    "decision {id}: record is on notice {inner!r}, the row's notice_id column says {column!r}"
)
NOTICE_GONE = "decision {id}: its notice {notice!r} is no longer in the store"
NOTICE_REHASHED = (
    "decision {id}: notice {notice!r} is stored under another hash than the one decided on "
    "(its stored facts were changed)"
)
NOTICE_EDITED = (
    "decision {id}: notice {notice!r}'s stored facts do not match its hash "
    "(edited after it was imported)"
)


def canonical_json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_hash(key: bytes, record_json: str, prev_hash: str) -> str:
    """The keyed hash of one decision, linking it to the one before."""
    return hmac.new(key, (record_json + prev_hash).encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """What verification found: ``ok``, how many decisions, the head hash, the first problem.

    ``broken_id`` names the first decision at fault (None when the problem is
    the store's, such as a dropped trigger or a rewound anchor); ``notes`` are
    facts worth saying that are not tampering.
    """

    n: int
    head: str
    broken_id: int | None = None
    problem: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class ChainRows:
    """Decision rows in id order with the store's chain key (what :func:`verify_chain` needs).

    Each row: ``decision_id``, ``notice_id``, ``record`` (stored JSON text),
    ``prev_hash``, ``hash``, and the decided notice's stored ``notice_json`` and
    ``stored_notice_hash`` (None when the notice is gone).
    """

    rows: list[Mapping[str, Any]]
    key: bytes = field(repr=False)

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def verify_chain(
    rows: ChainRows | Iterable[Mapping[str, Any]], *, key: bytes | None = None
) -> ChainReport:
    """Walk decisions in id order; stop at the first one that is wrong in any way.

    ``key`` defaults to the one ``rows`` carries (:func:`chain_rows` gives both).
    """
    if key is None:
        if not isinstance(rows, ChainRows):
            raise TypeError("verify_chain: give key= or rows from chain_rows(conn)")
        key = rows.key
    prev = GENESIS
    n = 0
    notice_ok: dict[str, bool] = {}  # a notice decided on many times is hashed once
    for row in rows:
        did = int(row["decision_id"])
        problem = _row_problem(row, did, n + 1, prev, key, notice_ok)
        if problem is not None:
            return ChainReport(n, prev, did, problem)
        prev = row["hash"]
        n += 1
    return ChainReport(n, prev)


def _row_problem(
    row: Mapping[str, Any],
    did: int,
    expected: int,
    prev: str,
    key: bytes,
    notice_ok: dict[str, bool],
) -> str | None:
    if did != expected:
        return GAP.format(id=did, expected=expected)
    try:
        inner = json.loads(row["record"])
    except (json.JSONDecodeError, TypeError):
        inner = None
    if not isinstance(inner, dict):
        return BROKEN_JSON.format(id=did)
    if row["prev_hash"] != prev:
        return BROKEN_LINK.format(id=did)
    # Re-canonicalise: an edit that keeps the text valid JSON but changes a value
    # (or only its spacing) changes these bytes, and so the hash.
    text = canonical_json(inner)
    if row["record"] != text or not hmac.compare_digest(
        chain_hash(key, text, prev), str(row["hash"])
    ):
        return BROKEN_RECORD.format(id=did)
    if inner.get("decision_id") != did:
        return BROKEN_ID.format(id=did, inner=inner.get("decision_id"))
    notice = inner.get("notice_id")
    if notice != row["notice_id"]:
        return BROKEN_NOTICE_COLUMN.format(id=did, inner=notice, column=row["notice_id"])
    if row["notice_json"] is None:
        return NOTICE_GONE.format(id=did, notice=notice)
    if inner.get("notice_hash") != row["stored_notice_hash"]:
        return NOTICE_REHASHED.format(id=did, notice=notice)
    if notice not in notice_ok:
        notice_ok[notice] = sha256_text(row["notice_json"]) == row["stored_notice_hash"]
    if not notice_ok[notice]:
        return NOTICE_EDITED.format(id=did, notice=notice)
    return None
