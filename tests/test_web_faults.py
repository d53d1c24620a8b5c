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
from triage.web.problems import ProblemOut

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
        # A well-formed id of no stored notice: the store's message quoted it (H6 fuzz).
        stranger_id = c.post(
            "/api/decisions",
            json={"notice_id": "TEL-09012345678", "decided_tier": "urgent"},
            headers=headers,
        )
        assert stranger_id.status_code == 404 and _problem(stranger_id).field == "notice_id"
        assert "09012345678" not in stranger_id.text, stranger_id.text
        long_name = c.post("/api/login", json={"username": IDENTIFYING * 10, "password": "x"})
    assert bad_id.status_code == 422 and bad_id.json()["field"] == "notice_id"
    assert bad_tier.status_code == 422 and unknown.status_code == 404
    assert long_name.status_code == 422
    for r in (bad_id, bad_tier, unknown, long_name):
        assert "山田" not in r.text and "090" not in r.text, r.text


# ---------------------------------------------------------------- one error shape, documented


def _problem(r) -> ProblemOut:
    """The body as the API's one error shape (fails on FastAPI's list-of-dicts ``detail``)."""
    body = ProblemOut.model_validate(r.json())
    assert "\n" not in body.detail and body.detail, r.text
    return body


def test_a_body_not_utf8_or_nested_too_deep_is_the_documented_422(store):
    """Issue 16 fuzz finding 1: FastAPI answered an undocumented 400 'error parsing the body'."""
    with TestClient(bare_app(store), follow_redirects=False) as c:
        headers = {"X-CSRF-Token": _login(c), "Content-Type": "application/json"}
        for path in ("/api/login", "/api/score", "/api/decisions"):
            for body in (b"\xff", b'{"notice_id": "\xff"}', b"[" * 100_000):
                r = c.post(path, content=body, headers=headers)
                assert r.status_code == 422, (path, body[:20], r.status_code, r.text)
                problem = _problem(r)
                assert problem.field == "body" and problem.detail.startswith("body: "), r.text


def test_a_body_of_another_type_is_415_and_one_too_large_413_in_the_one_shape(store):
    """FastAPI called a text/plain body 'missing' (422) and Starlette answered 413 in text."""
    from triage.web.app import MAX_BODY

    with TestClient(bare_app(store), follow_redirects=False) as c:
        csrf = {"X-CSRF-Token": _login(c)}
        for path in ("/api/login", "/api/score", "/api/decisions"):
            r = c.post(path, content=b"{}", headers={**csrf, "Content-Type": "text/plain"})
            assert r.status_code == 415 and _problem(r).field == "Content-Type", (path, r.text)
        huge = c.post(
            "/api/score",
            content=b"[" + b" " * MAX_BODY + b"]",
            headers={**csrf, "Content-Type": "application/json"},
        )
        assert huge.status_code == 413 and huge.headers["content-type"] == "application/json"
        assert _problem(huge).field == "body"
        _assert_headers(huge)


def test_every_refusal_has_one_shape_naming_the_field(store):
    """Fuzz findings 2 and 4: request-validation errors came as FastAPI's ``detail`` list."""
    with TestClient(bare_app(store), follow_redirects=False) as c:
        csrf = {"X-CSRF-Token": _login(c)}
        refused = {
            "body": c.post("/api/decisions", headers=csrf),  # no body at all
            "top": c.post("/api/score", params={"top": 0}, json={}, headers=csrf),
            "lang": c.post("/api/score", params={"lang": "xx"}, json={}, headers=csrf),
            "explain": c.post("/api/score", params={"explain": "maybe"}, json={}, headers=csrf),
            "limit": c.get("/api/queue", params={"limit": "many"}),
            "decided_tier": c.post(
                "/api/decisions", json={"notice_id": "N-1", "decided_tier": "x"}, headers=csrf
            ),
        }
        for field, r in refused.items():
            assert r.status_code == 422, (field, r.status_code, r.text)
            problem = _problem(r)
            assert problem.field == field and problem.detail.startswith(f"{field}: "), r.text
            assert problem.errors and problem.errors[0].field == field
        two = c.post("/api/score", params={"top": 0, "lang": "xx"}, json={}, headers=csrf)
        assert "(and 1 more problem)" in _problem(two).detail
        assert {e.field for e in _problem(two).errors or []} == {"top", "lang"}
        forbidden = c.post("/api/decisions", json={})  # no CSRF header
        assert forbidden.status_code == 403 and _problem(forbidden).detail
    with TestClient(bare_app(store), follow_redirects=False) as stranger:
        assert _problem(stranger.get("/api/queue")).detail


def _refs(node) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_the_schema_documents_every_answer_in_the_one_shape(store):
    """Fuzz findings 3 and 5: a dangling ``#/$defs`` ref; 401/403/413/503 undocumented."""
    with TestClient(bare_app(store), follow_redirects=False) as c:
        _login(c)
        spec = c.get("/api/openapi.json").json()
    schemas = spec["components"]["schemas"]
    dangling = [r for r in _refs(spec) if r.removeprefix("#/components/schemas/") not in schemas]
    assert not dangling, dangling
    assert "HTTPValidationError" not in schemas  # FastAPI's own 422 shape is never answered
    problem = {"$ref": "#/components/schemas/ProblemOut"}
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            responses = op["responses"]
            for status in ("401", "403", "413", "415", "422", "503"):
                assert status in responses, (method, path, status)
            for status in ("401", "403", "413", "415", "503"):
                assert responses[status]["content"]["application/json"]["schema"] == problem
    assert "429" in spec["paths"]["/api/login"]["post"]["responses"]
    score_422 = spec["paths"]["/api/score"]["post"]["responses"]["422"]
    assert {r for r in _refs(score_422)} == {
        "#/components/schemas/ScoreProblem",
        "#/components/schemas/ProblemOut",
    }
    assert schemas["ItemError"]["properties"]["item"]["type"] == "integer"
