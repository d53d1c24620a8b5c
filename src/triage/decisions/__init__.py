"""Decisions: what a person decided on each notice, append-only and chained with a key.

- ``connect(store)``: the intake store (SQLite) with notices, cached scores,
  decisions and users; a new store also gets its keys and anchor, all 0600 in
  a 0700 folder (``_db.py``, ``_key.py``, ``_anchor.py``, ``_private.py``);
- ``read_snapshot(store, read)``: a read-only look that creates and changes
  nothing (``_readonly.py``); ``_store_format.py`` says what a store is on disk;
- ``record_decision(conn, DecisionInput(...), user=...)``: check a decision
  against the notice's current score and append it (``_record.py``);
- ``verify_store(conn)``: everything ``triage decisions verify`` checks: the
  keyed chain, each record's columns and notice, the triggers, the ids, the
  anchor (``_verify.py``); ``verify_chain(chain_rows(conn))`` is the chain alone;
- ``export_rows`` / ``write_export``: the research export (``_export.py``);
- ``add_notice`` / ``amend_notice`` / ``latest_version`` / ``notice_versions`` /
  ``latest_versions``: a stored notice never changes, facts learned later are a
  new version (``notice_versions.py``).

Layer: applications (below ``triage.web``). May import every layer below it; today it
needs ``triage.contract`` and ``triage.notices`` (validating a notice entered or amended).
"""

from triage.decisions._anchor import ANCHOR, AnchorProblem
from triage.decisions._chain import (
    GENESIS,
    ChainReport,
    ChainRows,
    canonical_json,
    chain_hash,
    sha256_text,
    verify_chain,
)
from triage.decisions._db import connect, get_meta, set_meta, store_folder
from triage.decisions._export import COLUMNS, ExportError, export_rows, write_export
from triage.decisions._identifiers import identifier_in_text
from triage.decisions._key import CHAIN_KEY, WORKER_KEY, KeyMissing
from triage.decisions._readonly import read_snapshot
from triage.decisions._record import (
    MAX_REASON,
    DecisionError,
    DecisionInput,
    chain_rows,
    decisions_for,
    latest_decisions,
    record_decision,
)
from triage.decisions._store_format import (
    DB_NAME,
    DEFAULT_STORE,
    STORE_ENV,
    StoreNotFound,
    StoreUnusable,
    store_dir,
)
from triage.decisions._verify import verify_store
from triage.decisions.notice_versions import (
    NoticeEntryError,
    NoticeOutcome,
    NoticeVersion,
    add_notice,
    amend_notice,
    latest_version,
    latest_versions,
    new_notice_id,
    notice_versions,
    store_amendment,
    store_checked_notices,
)

__all__ = [
    "ANCHOR",
    "CHAIN_KEY",
    "COLUMNS",
    "DB_NAME",
    "DEFAULT_STORE",
    "GENESIS",
    "MAX_REASON",
    "STORE_ENV",
    "WORKER_KEY",
    "AnchorProblem",
    "ChainReport",
    "ChainRows",
    "DecisionError",
    "DecisionInput",
    "ExportError",
    "KeyMissing",
    "NoticeEntryError",
    "NoticeOutcome",
    "NoticeVersion",
    "StoreNotFound",
    "StoreUnusable",
    "add_notice",
    "amend_notice",
    "canonical_json",
    "chain_hash",
    "chain_rows",
    "connect",
    "decisions_for",
    "export_rows",
    "get_meta",
    "identifier_in_text",
    "latest_decisions",
    "latest_version",
    "latest_versions",
    "new_notice_id",
    "notice_versions",
    "read_snapshot",
    "record_decision",
    "set_meta",
    "sha256_text",
    "store_amendment",
    "store_checked_notices",
    "store_dir",
    "store_folder",
    "verify_chain",
    "verify_store",
    "write_export",
]
