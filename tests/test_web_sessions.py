"""Web sessions in the intake store: logout, timeouts and disabling end them; the secret is strong.

Issue 16, finding 2: sessions lived only in the signed cookie, so a copied
cookie kept working after logout and across restarts, a weak secret was
accepted, and the cookie was never ``Secure``.
"""

from __future__ import annotations

import os
import stat
import time

import pytest
from fastapi.testclient import TestClient

from bare_web import PASSWORD, SECRET, add_worker, bare_app
from triage.decisions import connect
from triage.decisions.sessions import (
    SessionLimits,
    count_sessions,
    find_session,
    open_session,
    sweep_sessions,
)
from triage.web.app import SESSION_COOKIE


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIAGE_SESSION_SECRET", SECRET)
    store = tmp_path / "store"
    add_worker(store, "worker1")
    return store


def _login(c: TestClient, name: str = "worker1") -> str:
    r = c.post("/api/login", json={"username": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["csrf_token"]


def test_logout_ends_the_session_and_every_copy_of_its_cookie_across_restarts(store):
    with TestClient(bare_app(store), follow_redirects=False) as c:
        token = _login(c)
        copied = c.cookies[SESSION_COOKIE]
    # A restart (a new app over the same store) keeps a live session ...
    with TestClient(bare_app(store), follow_redirects=False) as other:
        other.cookies.set(SESSION_COOKIE, copied)
        assert other.get("/api/queue").status_code == 200
        assert other.post("/api/logout", headers={"X-CSRF-Token": token}).status_code == 204
        assert other.get("/api/queue").status_code == 401
    # ... but after logout the copied cookie is refused, by this server and the next one.
    with TestClient(bare_app(store), follow_redirects=False) as thief:
        thief.cookies.set(SESSION_COOKIE, copied)
        assert thief.get("/api/queue").status_code == 401
        assert thief.get("/queue").status_code == 303


def test_the_page_logout_ends_the_stored_session(store):
    with TestClient(bare_app(store), follow_redirects=False) as c:
        token = _login(c)
        copied = c.cookies[SESSION_COOKIE]
        assert c.post("/logout", data={"csrf_token": token}).status_code == 303
        c.cookies.set(SESSION_COOKIE, copied)
        assert c.get("/api/queue").status_code == 401
    conn = connect(store)
    assert count_sessions(conn) == 0


def test_the_cookie_holds_only_a_session_id_and_the_store_only_its_hash(store):
    import base64
    import json

    with TestClient(bare_app(store), follow_redirects=False) as c:
        token = _login(c)
        payload = c.cookies[SESSION_COOKIE].split(".")[0]
        data = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    assert set(data) == {"sid"}
    conn = connect(store)
    row = conn.execute("SELECT * FROM web_sessions").fetchone()
    assert row["username"] == "worker1" and row["csrf"] == token
    assert data["sid"] not in [str(v) for v in tuple(row)]


def test_an_idle_session_ends(store):
    app = bare_app(store, session_idle_minutes=1 / 60)  # one second
    with TestClient(app, follow_redirects=False) as c:
        _login(c)
        assert c.get("/api/session").status_code == 200
        time.sleep(1.3)
        assert c.get("/api/session").status_code == 401


def test_idle_and_absolute_limits_in_the_store(tmp_path):
    conn = connect(tmp_path / "store")
    limits = SessionLimits(idle=60, absolute=600)
    s = open_session(conn, "worker1", now=1000.0)
    assert find_session(conn, s.session_id, limits, now=1059.0) is not None
    assert find_session(conn, s.session_id, limits, now=1061.0) is None  # idle
    from triage.decisions.sessions import touch_session

    for t in range(1050, 1600, 50):  # in use all along ...
        touch_session(conn, s.session_id, now=float(t))
        assert find_session(conn, s.session_id, limits, now=float(t)) is not None
    touch_session(conn, s.session_id, now=1600.0)
    assert find_session(conn, s.session_id, limits, now=1601.0) is None  # ... yet 10 minutes in all
    assert sweep_sessions(conn, limits, now=1601.0) == 1


def test_disabling_a_login_ends_its_sessions_for_good(store):
    from triage.decisions.users import set_active

    with TestClient(bare_app(store), follow_redirects=False) as c:
        _login(c)
        conn = connect(store)
        set_active(conn, "worker1", False)
        assert count_sessions(conn, "worker1") == 0
        set_active(conn, "worker1", True)  # re-enabled: the old cookie stays dead
        conn.close()
        assert c.get("/api/queue").status_code == 401


@pytest.mark.parametrize("weak", ["changeme", "a" * 48, "changeme" * 6, "0123456789" * 2])
def test_a_weak_session_secret_is_refused_with_how_to_make_one(tmp_path, monkeypatch, weak):
    from triage.web.session_secret import WeakSessionSecret

    monkeypatch.setenv("TRIAGE_SESSION_SECRET", weak)
    with pytest.raises(WeakSessionSecret) as caught:
        bare_app(tmp_path / "store")
    message = str(caught.value)
    assert "\n" not in message and "secrets.token_urlsafe(48)" in message
    assert "TRIAGE_SESSION_SECRET" in message and weak not in message


def test_serve_refuses_a_weak_secret_in_one_line(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from triage.cli import app as cli

    monkeypatch.setenv("TRIAGE_SESSION_SECRET", "changeme")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    result = CliRunner().invoke(cli, ["serve", "--store", str(tmp_path / "store")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: TRIAGE_SESSION_SECRET")


def test_the_generated_key_file_is_0600_and_a_loose_one_is_tightened(tmp_path, monkeypatch):
    from triage.web.session_secret import SECRET_FILE, session_secret

    monkeypatch.delenv("TRIAGE_SESSION_SECRET", raising=False)
    store = tmp_path / "store"
    key = session_secret(store)
    path = store / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(key) >= 32
    assert session_secret(store) == key  # kept, not remade
    os.chmod(path, 0o644)
    session_secret(store)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("base_url", "behind_proxy", "secure"),
    [
        ("http://testserver", False, False),
        ("https://testserver", False, True),
        ("http://testserver", True, True),
    ],
)
def test_the_cookie_is_secure_over_https_or_behind_a_tls_proxy(
    store, base_url, behind_proxy, secure
):
    app = bare_app(store, behind_tls_proxy=behind_proxy)
    with TestClient(app, base_url=base_url, follow_redirects=False) as c:
        r = c.post("/api/login", json={"username": "worker1", "password": PASSWORD})
        cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert ("; secure" in cookie) is secure


def test_the_language_chosen_before_login_is_kept_in_the_session(store):
    with TestClient(bare_app(store), follow_redirects=False) as c:
        assert "Log in" in c.get("/login", params={"lang": "en"}).text
        assert _login(c)
        assert c.get("/api/session").json()["lang"] == "en"
        assert "Queue" in c.get("/queue").text
