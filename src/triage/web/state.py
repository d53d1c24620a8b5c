"""What the running app holds: settings, the scorer (or why there is none), the clock, capacity.

Model choice, as a careful team would have it: suggestions come from the
promoted ``@champion``. Without one, the app still starts (the login, the
notices and their decisions remain reachable) but shows no suggestion and a
banner saying how to promote a version; it never falls back to an unpromoted
model by itself. The queue then holds what the national rules alone say of
each notice (``rule_floors.py``): floor, rules, actions, the 48-hour deadline.
No decision is recorded meanwhile: a decision records the model version and
the score it was shown, and there is none. ``--model
models:/intake-urgency@candidate`` (or a version) runs an unpromoted model on
purpose, with a warning on every page.

The notices: ``--notices FILE`` adds that file's valid notices, so a new store
holds exactly those; only an empty store given no notices is seeded with the
committed synthetic sample's last days (``demo_sample.py``: the notices of the
``SAMPLE_DAYS`` before the sample's clock, as known at that clock). A file that
gives the store nothing (unreadable, or every notice invalid or already stored
under its id with other contents) stops the start with one message; importing
the same file again is harmless.

The clock: ``--as-of`` pins it; a store seeded with the synthetic sample pins
it to 09:00 the morning after the sample's last notice (so the sample looks
like a working morning); otherwise (notices of one's own) it is the real time.
The page, its queue and ``/api/score`` without ``as_of`` all use this one
clock (``WebState.now``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import logging
import math
import sqlite3
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from triage.decisions import DecisionError, connect, get_meta, set_meta
from triage.decisions.sessions import (
    SessionLimits,
    StoredSession,
    end_session,
    ensure_sessions_table,
    find_session,
    open_session,
    set_session_lang,
    sweep_sessions,
    touch_session,
)
from triage.decisions.users import authenticate, is_active
from triage.notices import epoch_micro, refuse_as_of_long_before
from triage.scoring import DEFAULT_MODEL, DEFAULT_ROUTING_MODEL, parse_as_of
from triage.scoring.queue import DayCapacity
from triage.web.demo_sample import SAMPLE, SAMPLE_DAYS, morning_sample
from triage.web.intake import import_notice_file, import_notices, refresh_scores, stored_notice
from triage.web.queue import (
    QueueFilters,
    QueuePage,
    QueueRows,
    ordered_rows,
    queue_page,
    queue_rows,
)
from triage.web.queue_cache import QueueCache
from triage.web.rule_floors import RuleVerdicts, judge_store, queue_records

NO_MODEL_NO_DECISION = (
    "notice_id: {notice_id} has no suggestion to decide on: no model is loaded, and a "
    "decision records the model version and the score it was shown; promote a model first"
)
TOUCH_EVERY = 60.0
"""Seconds between writes of a session's last use (the idle clock is that coarse)."""

log = logging.getLogger("triage.web")


@dataclass(frozen=True)
class WebSettings:
    store: Path = Path("intake")
    model: str = DEFAULT_MODEL
    routing_model: str | None = DEFAULT_ROUTING_MODEL
    rules: Path | None = None  # extra rules; default configs/rules.yaml if present
    config: Path = Path("configs/intake_urgency.yaml")  # tiers.capacity: the day's capacity
    as_of: str | None = None
    notices: Path | None = None  # notices to import at start
    load_sample: bool = True
    behind_tls_proxy: bool = False
    """Mark the session cookie Secure even when a request arrives over plain HTTP (a TLS
    proxy in front); requests that arrive over HTTPS get a Secure cookie anyway. Also: the
    client's address is taken from the proxy's X-Forwarded-For (see ``serve.py``)."""
    trusted_proxy: str = "127.0.0.1"
    """The TLS proxy's address(es), comma-separated: the only senders of X-Forwarded-For
    believed, and only with ``behind_tls_proxy``."""
    session_hours: float = 8.0  # a session ends this long after login, however busy
    session_idle_minutes: float = 30.0  # ... or after this long without a request
    busy_timeout_seconds: float = 2.0
    """How long a web request waits for another writer's lock before answering 503."""


def session_limits(settings: WebSettings) -> SessionLimits:
    return SessionLimits(
        idle=settings.session_idle_minutes * 60, absolute=settings.session_hours * 3600
    )


@dataclass
class WebState:
    settings: WebSettings
    scorer: Any | None
    model_problem: str | None
    capacity: DayCapacity
    fixed_clock: pd.Timestamp | None
    scorer_key: str
    synthetic: bool
    rules_by_id: dict[str, Any]
    rule_set: Any = None
    """The rules the page judges without a model (None: the built-in ones)."""
    rule_verdicts: RuleVerdicts | None = None
    """Without a model: the rules' verdict on every notice at the clock (``refresh``)."""
    score_lock: threading.Lock = field(default_factory=threading.Lock)
    login_limiter: Any = None  # LoginLimiter, set by create_app
    password_checks: Any = None  # PasswordChecks, set by create_app
    queue_cache: QueueCache = field(default_factory=QueueCache)
    scores_version: int = 0
    """How many times ``refresh`` rewrote scores: the queue rows built before are stale."""
    _refresh_due: tuple[tuple[int | None, int | None], float] | None = None
    """(newest notice and amendment seq, earliest valid_until_us) at the last refresh; see
    ``refresh``."""
    _local: threading.local = field(default_factory=threading.local, repr=False)

    # ------------------------------------------------------------ clock and store

    def now(self) -> pd.Timestamp:
        return self.fixed_clock if self.fixed_clock is not None else parse_as_of(None)

    def connect(self) -> sqlite3.Connection:
        conn = connect(self.settings.store)
        # sqlite3's own wait is 10 s; a web request answers 503 sooner instead.
        conn.execute(f"PRAGMA busy_timeout = {int(self.settings.busy_timeout_seconds * 1000)}")
        return conn

    def _thread_conn(self) -> sqlite3.Connection:
        """Each server thread keeps one connection for the checks made on every request."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self.connect()
        return conn

    def record_decision(self, decision: Any, user: Any) -> dict:
        """Append the worker's decision to the store (raises ``DecisionError``)."""
        from triage.decisions import record_decision

        routing = self.scorer.routing if self.scorer else None
        conn = self.connect()
        try:
            if self.scorer is None and _has_notice(conn, decision.notice_id):
                # A score cached under an earlier model is not what the page shows now.
                raise DecisionError(
                    NO_MODEL_NO_DECISION.format(notice_id=decision.notice_id),
                    field="notice_id",
                    code="not_scored",
                    kind="conflict",
                )
            if self.scorer is not None:
                # An amendment drops the notice's score: the decision is checked against
                # the score of the version now latest, never refused as unscored.
                self.refresh(conn)
            return record_decision(
                conn, decision, user=user, routing_model=routing.uri if routing else None
            )
        finally:
            conn.close()

    # ------------------------------------------------------------ logins and sessions

    @property
    def session_limits(self) -> SessionLimits:
        return session_limits(self.settings)

    def check_password(self, user: str, password: str) -> bool:
        return authenticate(self._thread_conn(), user, password)

    def open_session(self, user: str, lang: str | None) -> StoredSession:
        conn = self._thread_conn()
        sweep_sessions(conn, self.session_limits)
        return open_session(conn, user, lang=lang)

    def find_session(self, session_id: str) -> StoredSession | None:
        """The live session of an active user with this id, or None; checked on every request."""
        conn = self._thread_conn()
        found = find_session(conn, session_id, self.session_limits)
        if found is None:
            return None
        if not is_active(conn, found.user):
            self._best_effort(conn, end_session, session_id)
            return None
        touch_every = min(TOUCH_EVERY, self.session_limits.idle / 4)
        if time.time() - found.last_seen > touch_every:
            self._best_effort(conn, touch_session, session_id)
        return found

    def end_session(self, session_id: str) -> None:
        end_session(self._thread_conn(), session_id)

    def set_session_lang(self, session_id: str, lang: str) -> None:
        set_session_lang(self._thread_conn(), session_id, lang)

    def _best_effort(self, conn: sqlite3.Connection, write, *args: Any) -> None:
        """A bookkeeping write that must not hold up the request: skipped if the store is busy."""
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            write(conn, *args)
        except sqlite3.OperationalError as exc:
            log.warning("session bookkeeping skipped: %s", exc)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(self.settings.busy_timeout_seconds * 1000)}")

    def refresh(self, conn) -> int:
        """Re-score what the clock or a model change made stale (see ``intake.py``); without
        a model, judge every notice by the rules again (``rule_floors.py``).

        Called on every queue and notice request, so it first checks, in a few
        index look-ups, whether anything can be stale: no notice was added or
        amended since the last refresh and the clock has not reached the
        earliest ``valid_until_us`` then stored (the model cannot change while
        the server runs).
        """
        now = self.now()
        now_us = epoch_micro(now)
        newest = _newest_entry(conn)
        due = self._refresh_due
        if due is not None and due[0] == newest and now_us < due[1]:
            return 0
        with self.score_lock:
            if self.scorer is None:
                verdicts = judge_store(conn, rule_set=self.rule_set, as_of=now)
                self.rule_verdicts = verdicts
                self.scores_version += 1
                self._refresh_due = (newest, verdicts.valid_until_us)
                return len(verdicts.by_id)
            n = refresh_scores(conn, self.scorer, as_of=now, scorer_key=self.scorer_key)
            earliest = conn.execute("SELECT MIN(valid_until_us) FROM scores").fetchone()[0]
            if n:
                self.scores_version += 1
            self._refresh_due = (newest, math.inf if earliest is None else earliest)
        return n

    def _rule_rows(self, conn: sqlite3.Connection) -> QueueRows:
        verdicts = self.rule_verdicts
        records = [] if verdicts is None else queue_records(verdicts)
        return ordered_rows(conn, records, rules_only=True)

    def stored_notice(self, conn: sqlite3.Connection, notice_id: str) -> dict[str, Any] | None:
        """The notice and what the page shows of it: its cached score, or without a model the
        rules' verdict (``rules_verdict``; a score cached under an earlier model is not shown)."""
        stored = stored_notice(conn, notice_id)
        if stored is None or self.scorer is not None:
            return stored
        verdicts = self.rule_verdicts
        verdict = verdicts.by_id.get(notice_id) if verdicts is not None else None
        if verdicts is not None and verdict is not None:
            verdict = {**verdict, "as_of": verdicts.as_of.isoformat()}
        return {
            **stored,
            "score": None,
            "score_hash": None,
            "score_as_of": None,
            "rules_verdict": verdict,
        }

    def queue_page(self, filters: QueueFilters) -> QueuePage:
        """The queue as it stands now (scores refreshed first), one page of it."""
        conn = self.connect()
        try:
            self.refresh(conn)
            build = queue_rows if self.scorer is not None else self._rule_rows
            rows = self.queue_cache.rows(conn, self.scores_version, build)
        finally:
            conn.close()
        return queue_page(rows, as_of=self.now(), capacity=self.capacity, filters=filters)

    def score(self, notices: pd.DataFrame | Mapping[str, Any], **kw) -> list[dict[str, Any]]:
        # One scorer shared by all request threads: LightGBM and the explainer
        # are not documented as thread-safe, and on two cores a lock costs nothing.
        assert self.scorer is not None  # callers answer 503 first when no model is loaded
        with self.score_lock:
            return self.scorer.score(notices, **kw)

    @property
    def not_champion(self) -> str | None:
        """The model's URI when it was chosen explicitly instead of the champion."""
        if self.scorer is None or self.settings.model.endswith("@champion"):
            return None
        return self.scorer.urgency.uri

    @property
    def routing_missing(self) -> bool:
        return (
            self.scorer is not None
            and bool(self.settings.routing_model)
            and self.scorer.routing is None
        )


def _rules_file(settings: WebSettings) -> Path | None:
    """The extra rules: ``--rules``, else ``configs/rules.yaml`` when there is one."""
    if settings.rules is not None:
        return settings.rules
    from triage.experiment.data import resolve_path

    default = resolve_path("configs/rules.yaml")
    return default if default.exists() else None


def _load_scorer(settings: WebSettings) -> tuple[Any | None, str | None]:
    from triage.scoring import ModelUnavailable, Scorer

    try:
        scorer = Scorer.load(
            settings.model, routing_model=settings.routing_model, rules=_rules_file(settings)
        )
    except ModelUnavailable as exc:
        return None, str(exc)
    return scorer, None


def _capacity(config: Path) -> DayCapacity:
    from triage.experiment.config import load_config
    from triage.experiment.data import resolve_path

    cap = load_config(resolve_path(str(config))).tiers.capacity
    return DayCapacity(per_day=cap.per_day, immediate=cap.per_day * cap.immediate_share)


def _scorer_key(scorer: Any | None, settings: WebSettings, clock: pd.Timestamp | None) -> str:
    if scorer is None:
        return ""
    rules = scorer.rule_set.rules if scorer.rule_set is not None else ()
    parts = [
        scorer.urgency.uri,
        scorer.routing.uri if scorer.routing else "-",
        md.version("urgency-triage"),
        "|".join(f"{r.id}:{r.source}:{r.floor}:{r.actions}" for r in rules),
        "clock:" + ("now" if clock is None else clock.isoformat()),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _newest_entry(conn: sqlite3.Connection) -> tuple[int | None, int | None]:
    """The newest notice's and the newest amendment's seq: either changes when one is stored."""
    row = conn.execute(
        "SELECT (SELECT MAX(seq) FROM notices), (SELECT MAX(seq) FROM notice_versions)"
    ).fetchone()
    return row[0], row[1]


def _is_empty(conn) -> bool:
    return conn.execute("SELECT COUNT(*) FROM notices").fetchone()[0] == 0


def _has_notice(conn: sqlite3.Connection, notice_id: str) -> bool:
    row = conn.execute("SELECT 1 FROM notices WHERE notice_id = ?", (notice_id,)).fetchone()
    return row is not None


def _log_stderr(message: str) -> None:
    """Start-up messages go where a server's log goes, never into stdout."""
    print(message, file=sys.stderr, flush=True)


def _received_times(conn: sqlite3.Connection) -> pd.Series:
    """Every stored notice's ``received_at`` (stored as ISO 8601 with offset), in UTC."""
    rows = conn.execute("SELECT json_extract(notice_json, '$.received_at') FROM notices")
    return pd.to_datetime(
        pd.Series([r[0] for r in rows], dtype=object), utc=True, errors="coerce", format="ISO8601"
    )


def open_state(settings: WebSettings, *, log=_log_stderr) -> WebState:
    """Import the notices (or seed an empty store with the sample), load the models, score
    what needs it: the app's start-up. Raises ``NoticeImportError`` when ``settings.notices``
    gives the store nothing."""
    from triage.experiment.data import resolve_path

    fixed = parse_as_of(settings.as_of) if settings.as_of else None
    capacity = _capacity(settings.config)
    conn = connect(settings.store)
    try:
        ensure_sessions_table(conn)
        sweep_sessions(conn, session_limits(settings))
        # The notices first: a file that gives the store nothing stops the start
        # before the models load. The sample seeds only an empty store that was
        # given no notices of its own, so --notices serves exactly that file.
        if settings.notices is not None:
            import_notice_file(
                conn,
                settings.notices,
                sample_in_store=get_meta(conn, "synthetic_sample") == "1",
                log=log,
            )
        elif settings.load_sample and _is_empty(conn):
            sample = resolve_path(SAMPLE)
            morning, clock = morning_sample(sample)
            result = import_notices(conn, morning, source_name=sample.name)
            set_meta(conn, "synthetic_sample", "1")
            set_meta(conn, "sample_clock", clock.isoformat())
            log(
                f"empty store: loaded {result.added} synthetic sample notices from {sample} "
                f"(those of the {SAMPLE_DAYS} days before the clock, {clock.isoformat()})"
            )
        if fixed is not None:
            # A pinned clock typed with a wrong year would put every notice in the future:
            # no hours elapsed, no 48-hour deadline passed. Refused before the models load.
            refuse_as_of_long_before(fixed, _received_times(conn))
        scorer, problem = _load_scorer(settings)
        if problem:
            log(f"warning: no suggestions will be shown: {problem}")
        synthetic = get_meta(conn, "synthetic_sample") == "1"
        if fixed is None and synthetic and get_meta(conn, "sample_clock"):
            fixed = parse_as_of(get_meta(conn, "sample_clock"))
        rule_set = scorer.rule_set if scorer is not None else None
        if rule_set is None:
            from triage.rules import load_rule_set

            rule_set = load_rule_set(_rules_file(settings))
        state = WebState(
            settings=settings,
            scorer=scorer,
            model_problem=problem,
            capacity=capacity,
            fixed_clock=fixed,
            scorer_key=_scorer_key(scorer, settings, fixed),
            synthetic=synthetic,
            rules_by_id={r.id: r for r in rule_set.rules},
            rule_set=rule_set,
        )
        n = state.refresh(conn)
        if n and scorer is None:
            log(
                f"no model: {n} notices judged by the national rules alone at {state.now().isoformat()}"
            )
        elif n:
            log(f"scored {n} notices at {state.now().isoformat()}")
    finally:
        conn.close()
    return state
