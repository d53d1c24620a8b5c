"""The hash chain over decisions: any edit, insertion or deletion inside the chain is found.

``hash = sha256(canonical_json(record) + prev_hash)``, with ``prev_hash`` the
previous decision's hash (``GENESIS`` for the first). Canonical JSON: sorted
keys, no spaces, UTF-8, so the same fields always give the same bytes.

A chain cannot show that its *last* decisions were removed; ``verify`` prints
the head hash and the count so they can be kept elsewhere (the export carries
them too) and compared later.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64

BROKEN_RECORD = (
    "decision {id}: its stored fields do not match its hash (edited after it was recorded)"
)
BROKEN_LINK = (
    "decision {id}: prev_hash does not match the hash of the decision before it "
    "(a decision was removed, inserted or re-chained)"
)
BROKEN_JSON = "decision {id}: the stored record is not valid JSON"
BROKEN_ID = "decision {id}: record says decision_id {inner}, the row says {id}"


def canonical_json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_hash(record_json: str, prev_hash: str) -> str:
    return sha256_text(record_json + prev_hash)


@dataclass(frozen=True)
class ChainReport:
    """What verification found: ``ok``, how many decisions, the head hash, the first break."""

    n: int
    head: str
    broken_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify_chain(rows: Iterable[Mapping[str, Any]]) -> ChainReport:
    """Walk decisions in id order; stop at the first one whose record or link is wrong.

    Each row: ``decision_id``, ``record`` (the stored JSON text), ``prev_hash``, ``hash``.
    """
    prev = GENESIS
    n = 0
    for row in rows:
        did = int(row["decision_id"])
        try:
            inner = json.loads(row["record"])
        except json.JSONDecodeError:
            return ChainReport(n, prev, did, BROKEN_JSON.format(id=did))
        if row["prev_hash"] != prev:
            return ChainReport(n, prev, did, BROKEN_LINK.format(id=did))
        # Re-canonicalise: an edit that keeps the text valid JSON but changes a value
        # changes these bytes, and so the hash.
        if chain_hash(canonical_json(inner), prev) != row["hash"] or row[
            "record"
        ] != canonical_json(inner):
            return ChainReport(n, prev, did, BROKEN_RECORD.format(id=did))
        if inner.get("decision_id") != did:
            return ChainReport(
                n, prev, did, BROKEN_ID.format(id=did, inner=inner.get("decision_id"))
            )
        prev = row["hash"]
        n += 1
    return ChainReport(n, prev)
