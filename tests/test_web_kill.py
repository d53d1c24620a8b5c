"""kill -9 of the intake server during a burst of decisions: none it acknowledged is lost.

Real components: the CI model from the session's registry, a real ``triage serve``
process on loopback over a fresh store, real logins and CSRF tokens, 100 decision
posts from four threads, and SIGKILL part-way. Afterwards every decision the server
answered 201 for is in the store, and ``triage decisions verify`` finds the chain
whole (a crash may leave the anchor one decision behind: a note, not a break).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from loopback import free_port
from test_web import (
    AS_OF,
    CI_CONFIG,
    MODEL,
    PASSWORD,
    SAMPLE,
    add_worker,
    registry_env,
    trained_registry,
)

pytestmark = pytest.mark.slow

TRIAGE = str(Path(sys.executable).with_name("triage"))
POSTS = 100
KILL_AFTER = 30  # acknowledged decisions before the kill: the rest are in flight or unsent


def _serve(store: Path, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    cmd = [TRIAGE, "serve", "--port", str(port), "--store", str(store), "--model", MODEL]
    cmd += ["--routing-model", "", "--config", str(CI_CONFIG)]
    cmd += ["--notices", str(SAMPLE), "--as-of", AS_OF]
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("triage serve did not start: " + log.read_text())


def _login(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    r = client.post("/api/login", json={"username": "worker1", "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def test_kill_9_during_100_decision_posts_loses_none_that_were_acknowledged(
    tmp_path_factory, tmp_path
):
    registry = trained_registry(tmp_path_factory)
    env = dict(registry_env(registry))
    env.pop("TRIAGE_SESSION_SECRET", None)
    store = tmp_path / "store"
    add_worker(store, "worker1")
    port = free_port()
    server = _serve(store, port, env, tmp_path / "serve.log")
    base = f"http://127.0.0.1:{port}"
    acked: list[tuple[int, str]] = []
    lock = threading.Lock()
    try:
        client = _login(base)
        queue = client.get("/api/queue", params={"undecided": "true", "limit": POSTS}).json()
        entries = queue["queue"][:POSTS]
        assert len(entries) == POSTS
        bodies = []
        for entry in entries:
            shown = client.get(f"/api/notices/{entry['notice_id']}").json()
            bodies.append(
                {
                    "notice_id": entry["notice_id"],
                    "decided_tier": shown["score"]["suggested_tier"],
                    "decided_dv_route": shown["score"]["dv_route"],
                    "shown_score_hash": shown["score_hash"],
                }
            )

        def post(body: dict) -> None:
            try:
                r = client.post("/api/decisions", json=body)
            except httpx.TransportError:
                return  # the server died with this post in flight: not acknowledged
            if r.status_code == 201:
                with lock:
                    acked.append((r.json()["decision_id"], body["notice_id"]))
                    if len(acked) == KILL_AFTER:
                        os.kill(server.pid, signal.SIGKILL)

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(post, bodies))
    finally:
        if server.poll() is None:
            server.kill()
        server.wait()
    assert server.returncode == -signal.SIGKILL
    assert KILL_AFTER <= len(acked) < POSTS, "the kill came after the burst, not during it"

    import sqlite3

    conn = sqlite3.connect(f"file:{store / 'intake.db'}?mode=ro", uri=True)
    try:
        stored = dict(conn.execute("SELECT decision_id, notice_id FROM decisions").fetchall())
    finally:
        conn.close()
    missing = [(i, n) for i, n in acked if stored.get(i) != n]
    assert not missing, f"acknowledged but not stored: {missing[:5]}"
    verify = subprocess.run(
        [TRIAGE, "decisions", "verify", "--store", str(store)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert verify.stdout.startswith(f"ok: {len(stored)} decisions"), verify.stdout
