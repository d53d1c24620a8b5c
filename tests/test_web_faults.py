"""Faults answered in one line: 503 with Retry-After for a busy or full store, headers on every
response, and refused values never repeated back.

Issue 16, finding 11 (a held lock or a full disk gave a bare 500 after 10 s,
without the security headers) and the web side of finding 10 (422 bodies
repeated the value sent).
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import time

import pytest
from fastapi.testclient import TestClient

from bare_web import PASSWORD, SECRET, add_worker, bare_app
from triage.decisions import DB_NAME

IDENTIFYING = "山田太郎 090-1234-5678"


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIAGE_SESSION_SECRET", SECRET)
    store = tmp_path / "store"
    add_worker(store, "worker1")
    return store


def _login(c: TestClient) -> str:
    r = c.post("/api/login", json={"username": "worker1", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["csrf_token"]


def _app_with_faulty_routes(store):
    """The real app plus routes that fail the way a broken server would."""
    app = bare_app(store, busy_timeout_seconds=0.2)

    @app.get("/api/boom")
    def boom():
        raise RuntimeError("an unexpected bug")

    @app.post("/api/fill")
    def fill():
        # A real "database or disk is full" from SQLite: the file may not grow past its size.
        conn = app.state.web.connect()
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        conn.execute("CREATE TABLE IF NOT EXISTS filler(x BLOB)")
        conn.execute("INSERT INTO filler VALUES (zeroblob(1000000))")

    @app.post("/api/eio")
    def eio():
        raise OSError(errno.EIO, "Input/output error")

    return app


def _assert_headers(r) -> None:
    assert "default-src 'self'" in r.headers["content-security-policy"], r.status_code
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_a_held_write_lock_is_a_quick_503_with_retry_after_and_the_cause_logged(store, caplog):
    app = _app_with_faulty_routes(store)
    with TestClient(app, follow_redirects=False) as c:
        token = _login(c)
        holder = sqlite3.connect(store / DB_NAME, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            started = time.monotonic()
            with caplog.at_level(logging.ERROR, logger="triage.web"):
                r = c.post("/lang", data={"lang": "en", "csrf_token": token})
            took = time.monotonic() - started
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    assert r.status_code == 503 and r.headers["retry-after"].isdigit()
    assert len(r.text.strip().splitlines()) == 1 and "try again" in r.text
    assert took < 3, f"took {took:.1f} s"
    _assert_headers(r)
    assert "database is locked" in caplog.text  # the real cause, for whoever runs the server


def test_a_full_disk_and_an_io_error_are_503_in_one_line(store, caplog):
    with TestClient(_app_with_faulty_routes(store), follow_redirects=False) as c:
        token = _login(c)
        with caplog.at_level(logging.ERROR, logger="triage.web"):
            full = c.post("/api/fill", headers={"X-CSRF-Token": token})
            eio = c.post("/api/eio", headers={"X-CSRF-Token": token})
    assert full.status_code == 503 and "disk is full" in full.json()["detail"]
    assert eio.status_code == 503 and "I/O" in eio.json()["detail"]
    for r in (full, eio):
        assert r.headers["retry-after"].isdigit()
        _assert_headers(r)
    assert "database or disk is full" in caplog.text


def test_security_headers_on_every_error_response(store):
    app = _app_with_faulty_routes(store)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as c:
        token = _login(c)
        crashed = c.get("/api/boom")
        assert crashed.status_code == 500
        assert "an unexpected bug" not in crashed.text and "Traceback" not in crashed.text
        too_big = c.post(
            "/api/score",
            content=b"[" + b" " * (9 * 1024 * 1024) + b"]",
            headers={"X-CSRF-Token": token, "Content-Type": "application/json"},
        )
        responses = {
            500: crashed,
            404: c.get("/no/such/page"),
            405: c.put("/api/queue"),
            413: too_big,
            422: c.get("/api/queue", params={"limit": "many"}),
            503: c.post("/api/score", json={}, headers={"X-CSRF-Token": token}),  # no model
        }
    for status, r in responses.items():
        assert r.status_code == status, (status, r.status_code, r.text[:200])
        _assert_headers(r)


def test_a_refused_value_is_never_repeated_back(store):
    with TestClient(bare_app(store), follow_redirects=False) as c:
        token = _login(c)
        headers = {"X-CSRF-Token": token}
        bad_id = c.post(
            "/api/decisions",
            json={"notice_id": IDENTIFYING, "decided_tier": "urgent"},
            headers=headers,
        )
        bad_tier = c.post(
            "/api/decisions",
            json={"notice_id": "N-1", "decided_tier": IDENTIFYING},
            headers=headers,
        )
        unknown = c.get(f"/api/notices/{IDENTIFYING}")
        long_name = c.post("/api/login", json={"username": IDENTIFYING * 10, "password": "x"})
    assert bad_id.status_code == 422 and bad_id.json()["detail"][0]["loc"][-1] == "notice_id"
    assert bad_tier.status_code == 422 and unknown.status_code == 404
    assert long_name.status_code == 422
    for r in (bad_id, bad_tier, unknown, long_name):
        assert "山田" not in r.text and "090" not in r.text, r.text
