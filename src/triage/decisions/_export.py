"""Decisions for research: one row per decision, no free text beyond the override reason.

The export is refused while ``verify`` finds anything wrong (a tampered record
is not research data). Workers appear under a stable pseudonym keyed by the
store's ``worker.key``, unless ``worker_ids=True`` asks for the logins; a
missing key is an error, never a new key (pseudonyms must stay the same from
one export to the next).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import sqlite3
from pathlib import Path
from typing import Any

from triage.contract.errors import TriageError
from triage.decisions._chain import ChainReport
from triage.decisions._db import store_folder
from triage.decisions._key import WORKER_KEY, read_key
from triage.decisions._record import chain_rows
from triage.decisions._verify import verify_store

EXPORT_SUFFIXES = (".csv", ".jsonl", ".parquet")
COLUMNS: tuple[str, ...] = (
    "decision_id",
    "notice_id",
    "notice_hash",
    "notice_version",
    "decided_at",
    "worker",
    "model",
    "routing_model",
    "score_hash",
    "score_as_of",
    "risk",
    "model_tier",
    "rule_floor",
    "rules",
    "suggested_tier",
    "suggested_dv_route",
    "decided_tier",
    "decided_dv_route",
    "tier_overridden",
    "dv_route_overridden",
    "below_rule_floor",
    "override_reason",
    "prev_hash",
    "hash",
)
"""Exported columns, in order: the record's fields (``decided_by`` as ``worker``), then the chain."""

BAD_SUFFIX = "out: expected a file ending in {suffixes}, got {name!r}"
CANNOT_WRITE = "out: cannot write {path} ({why})"
BROKEN = "refusing to export: {problem}. Run `triage decisions verify` and restore the store"


class ExportError(TriageError, ValueError):
    """The export cannot be written; the message says why."""


def worker_pseudonym(key: bytes, user: str) -> str:
    return "W-" + hmac.new(key, user.encode("utf-8"), hashlib.sha256).hexdigest()[:12]


def export_rows(
    conn: sqlite3.Connection, *, store: Path | None = None, worker_ids: bool = False
) -> tuple[list[dict[str, Any]], ChainReport]:
    """Rows of the export, after checking the store (raises :class:`ExportError` if broken).

    ``store`` is the folder holding ``worker.key`` (default: the one ``conn`` is open on).
    Read in one transaction (:func:`read_snapshot` opens one), the rows are the ones verified.
    """
    report = verify_store(conn)
    if not report.ok:
        raise ExportError(BROKEN.format(problem=report.problem))
    key = None if worker_ids else read_key(store or store_folder(conn), WORKER_KEY)
    out = []
    for row in chain_rows(conn).rows[: report.n]:
        rec = json.loads(row["record"])
        user = rec["decided_by"]
        rec["worker"] = user if key is None else worker_pseudonym(key, user)
        rec["prev_hash"], rec["hash"] = row["prev_hash"], row["hash"]
        rec.setdefault("notice_version", 1)  # recorded before notices had versions
        out.append({c: rec.get(c) for c in COLUMNS})
    return out, report


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula (OWASP: CSV injection)."""


def _inert(value: Any) -> Any:
    """A text cell a spreadsheet will show, never run: a leading ``'`` before a formula start."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_export(rows: list[dict[str, Any]], out: Path) -> Path:
    suffix = out.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise ExportError(
            BAD_SUFFIX.format(suffixes=", ".join(EXPORT_SUFFIXES), name=out.name), param="out"
        )
    try:
        return _write(rows, out, suffix)
    except OSError as exc:
        raise ExportError(
            CANNOT_WRITE.format(path=out, why=exc.strerror or type(exc).__name__), param="out"
        ) from None


def _write(rows: list[dict[str, Any]], out: Path, suffix: str) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    if suffix == ".csv":
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            for r in rows:
                cells = {k: _inert(v) for k, v in r.items()}
                writer.writerow({**cells, "rules": " ".join(r["rules"])})
    elif suffix == ".jsonl":
        with tmp.open("w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = {c: [r[c] for r in rows] for c in COLUMNS}
        types = {
            "decision_id": pa.int64(),
            "notice_version": pa.int64(),
            "risk": pa.float64(),
            "rules": pa.list_(pa.string()),
            "tier_overridden": pa.bool_(),
            "dv_route_overridden": pa.bool_(),
            "below_rule_floor": pa.bool_(),
        }
        table = pa.table(
            {c: pa.array(v, type=types.get(c, pa.string())) for c, v in columns.items()}
        )
        pq.write_table(table, tmp)
    tmp.replace(out)  # a half-written export is never left under the asked name
    return out
