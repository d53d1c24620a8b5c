"""Decisions: what a person decided on each notice, append-only and hash-chained.

- ``connect(store)``: the intake store (SQLite) with notices, cached scores,
  decisions and users (``_db.py``);
- ``record_decision(conn, DecisionInput(...), user=...)``: check a decision
  against the notice's current score and append it (``_record.py``);
- ``verify_chain(chain_rows(conn))``: the first decision whose record or link
  was changed (``_chain.py``);
- ``export_rows`` / ``write_export``: the research export (``_export.py``).

Layer: applications (below ``triage.web``). May import every layer below it; today it
needs only ``triage.contract``.
"""

from triage.decisions._chain import (
    GENESIS,
    ChainReport,
    canonical_json,
    chain_hash,
    sha256_text,
    verify_chain,
)
from triage.decisions._db import (
    DB_NAME,
    DEFAULT_STORE,
    STORE_ENV,
    StoreNotFound,
    connect,
    get_meta,
    set_meta,
    store_dir,
)
from triage.decisions._export import COLUMNS, ExportError, export_rows, write_export
from triage.decisions._record import (
    MAX_REASON,
    DecisionError,
    DecisionInput,
    chain_rows,
    decisions_for,
    identifier_in_text,
    latest_decisions,
    record_decision,
)

__all__ = [
    "COLUMNS",
    "DB_NAME",
    "DEFAULT_STORE",
    "GENESIS",
    "MAX_REASON",
    "STORE_ENV",
    "StoreNotFound",
    "ChainReport",
    "DecisionError",
    "DecisionInput",
    "ExportError",
    "canonical_json",
    "chain_hash",
    "chain_rows",
    "connect",
    "decisions_for",
    "export_rows",
    "get_meta",
    "identifier_in_text",
    "latest_decisions",
    "record_decision",
    "set_meta",
    "sha256_text",
    "store_dir",
    "verify_chain",
    "write_export",
]
