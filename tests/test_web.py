"""The intake page's app: login on every route, CSRF, headers, the score API, decisions, queue.

Real components throughout: a model trained with the CI config into an MLflow
store under the session's temp folder (shared by the web and decision tests),
a real SQLite intake store holding the committed sample (all 2,000 notices,
imported as ``--notices`` at the pinned clock ``AS_OF``), the FastAPI app
through Starlette's TestClient, and `triage score` in a subprocess for the
parity check.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from triage.contract import TIERS

REPO = Path(__file__).resolve().parents[1]
CI_CONFIG = REPO / "configs" / "ci.yaml"
SAMPLE = REPO / "synthetic" / "sample" / "notices.jsonl"
TRIAGE = str(Path(sys.executable).with_name("triage"))
AS_OF = "2024-04-01T09:00:00+09:00"
PASSWORD = "a long test password"
MODEL_NAME = "intake-urgency-ci"  # the CI config registers under its own name
MODEL = f"models:/{MODEL_NAME}@champion"
OPEN_ROUTES = {"/login", "/api/login", "/healthz"}
"""Routes a stranger may reach (besides /static): the login and the liveness probe."""

pytestmark = pytest.mark.slow


# ---------------------------------------------------------------- shared with the other web tests


def registry_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{root / 'mlflow.db'}"
    env["TRIAGE_CACHE_DIR"] = str(root / "cache")
    return env


def trained_registry(tmp_path_factory) -> Path:
    """A registry with the CI config's intake model promoted to champion, trained once a session."""
    root = tmp_path_factory.getbasetemp() / "web-registry"
    done = root / "trained"
    if not done.exists():
        root.mkdir(exist_ok=True)
        env = registry_env(root)
        for args in (
            [TRIAGE, "run", str(CI_CONFIG), "--quiet"],
            [TRIAGE, "promote", "1", "--model", MODEL_NAME, "--reason", "web tests"],
        ):
            proc = subprocess.run(
                args, cwd=root, env=env, capture_output=True, text=True, timeout=300
            )
            assert proc.returncode == 0, proc.stderr
        done.touch()
    return root


def open_web_state(registry: Path, store: Path, **settings):
    """The app's state over a fresh store, the models read from ``registry``."""
    from triage.web.state import WebSettings, open_state

    with pytest.MonkeyPatch.context() as mp:
        for key, value in registry_env(registry).items():
            if key.startswith(("MLFLOW_", "TRIAGE_")):
                mp.setenv(key, value)
        settings.setdefault("model", MODEL)
        return open_state(
            WebSettings(store=store, config=CI_CONFIG, **settings), log=lambda _: None
        )


def add_worker(store: Path, name: str) -> None:
    from triage.decisions import connect
    from triage.decisions.users import add_user

    conn = connect(store)
    try:
        add_user(conn, name, PASSWORD)
    finally:
        conn.close()


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def registry(tmp_path_factory) -> Path:
    return trained_registry(tmp_path_factory)


@pytest.fixture(scope="module")
def state(registry, tmp_path_factory):
    store = tmp_path_factory.mktemp("intake")
    add_worker(store, "worker1")
    add_worker(store, "worker2")
    # The whole sample (three years, some notices long overdue), not the demo's last days.
    return open_web_state(registry, store, routing_model=None, notices=SAMPLE, as_of=AS_OF)


@pytest.fixture(scope="module")
def app(state):
    from triage.web.app import create_app

    return create_app(state=state)


@pytest.fixture
def anon(app):
    with TestClient(app, follow_redirects=False) as client:
        yield client


def login(client: TestClient, name: str = "worker1") -> str:
    r = client.post("/api/login", json={"username": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["csrf_token"]


@pytest.fixture
def client(app):
    with TestClient(app, follow_redirects=False) as c:
        c.headers["X-CSRF-Token"] = login(c)
        yield c


def _sample(n: int | None = None) -> list[dict]:
    lines = SAMPLE.read_text("utf-8").splitlines()
    return [json.loads(line) for line in (lines if n is None else lines[:n])]


def _queue(client, **params) -> dict:
    """The whole queue (the API pages by at most 1,000)."""
    view = None
    while view is None or len(view["queue"]) < view["total"]:
        offset = 0 if view is None else len(view["queue"])
        r = client.get("/api/queue", params={"limit": 1000, "offset": offset, **params})
        assert r.status_code == 200, r.text
        page = r.json()
        view = page if view is None else {**view, "queue": view["queue"] + page["queue"]}
    return view


def _notice(client, notice_id: str) -> dict:
    r = client.get(f"/api/notices/{notice_id}")
    assert r.status_code == 200, r.text
    return r.json()


# ---------------------------------------------------------------- access control


def _concrete(path: str, notice_id: str) -> str:
    return path.replace("{notice_id}", notice_id)


def test_every_page_and_api_route_refuses_a_stranger(app, anon):
    notice_id = _sample(1)[0]["notice_id"]
    checked = 0
    # app.routes holds the included routers as such; iter_route_contexts flattens them.
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount) or route.path in OPEN_ROUTES:
            continue
        assert isinstance(route.original_route, APIRoute | Route), route
        for method in sorted(route.methods - {"HEAD"}):
            path = _concrete(route.path, notice_id)
            r = anon.request(method, path)
            if path.startswith("/api/"):
                assert r.status_code == 401, f"{method} {path}: {r.status_code}"
                assert "login" in r.json()["detail"]
            else:
                assert r.status_code == 303, f"{method} {path}: {r.status_code}"
                assert r.headers["location"].startswith("/login?next=")
            checked += 1
    assert checked >= 12


def test_the_login_page_health_and_static_files_are_open(anon):
    assert anon.get("/login").status_code == 200
    assert anon.get("/healthz").json() == {"status": "ok"}
    assert anon.get("/static/style.css").status_code == 200


def test_a_wrong_password_is_refused_and_repeated_failures_are_throttled(app):
    with TestClient(app, follow_redirects=False) as c:
        r = c.post("/api/login", json={"username": "worker2", "password": "wrong password!!"})
        assert r.status_code == 401
        assert c.get("/api/queue").status_code == 401
        for _ in range(5):
            c.post("/api/login", json={"username": "nobody", "password": "wrong password!!"})
        r = c.post("/api/login", json={"username": "nobody", "password": "wrong password!!"})
        assert r.status_code == 429


def test_the_json_login_takes_json_only(anon):
    r = anon.post(
        "/api/login",
        content=json.dumps({"username": "worker1", "password": PASSWORD}),
        headers={"Content-Type": "text/plain"},
    )
    assert r.status_code == 415 and r.json()["field"] == "Content-Type"
    assert anon.get("/api/queue").status_code == 401


def test_form_posts_without_the_csrf_token_are_refused(app, state):
    from triage.decisions import connect, decisions_for

    notice_id = _sample(1)[0]["notice_id"]
    with TestClient(app, follow_redirects=False) as c:
        page = c.get("/login")
        assert 'name="csrf_token"' in page.text
        # login form without its token
        r = c.post("/login", data={"username": "worker1", "password": PASSWORD})
        assert r.status_code == 403
        login(c)
        r = c.post(f"/notices/{notice_id}/decision", data={"decided_tier": "immediate"})
        assert r.status_code == 403
        r = c.post(
            f"/notices/{notice_id}/decision",
            data={"decided_tier": "immediate", "csrf_token": "forged"},
        )
        assert r.status_code == 403
        assert c.post("/logout").status_code == 403
        assert c.post("/lang", data={"lang": "en"}).status_code == 403
    conn = connect(state.settings.store)
    assert decisions_for(conn, notice_id) == []


def test_api_posts_need_the_csrf_header(app):
    with TestClient(app, follow_redirects=False) as c:
        login(c)
        r = c.post("/api/score", json=_sample(1)[0])
        assert r.status_code == 403 and "X-CSRF-Token" in r.json()["detail"]
        r = c.post("/api/score", json=_sample(1)[0], headers={"X-CSRF-Token": "forged"})
        assert r.status_code == 403
        assert c.get("/api/session").status_code == 200  # GET needs no token


def test_session_cookie_is_httponly_and_samesite_strict(app):
    with TestClient(app, follow_redirects=False) as c:
        r = c.post("/api/login", json={"username": "worker1", "password": PASSWORD})
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie


@pytest.mark.parametrize("path", ["/login", "/queue", "/api/queue", "/static/app.js"])
def test_security_headers_on_every_kind_of_response(client, path):
    r = client.get(path)
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_pages_carry_no_inline_script_and_nothing_from_the_internet(client):
    notice_id = _queue(client)["queue"][0]["notice_id"]
    for path in ("/queue", f"/notices/{notice_id}", "/docs/api"):
        html = client.get(path).text
        assert "<script>" not in html and "onclick" not in html.lower()
        assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in html


def test_a_disabled_login_loses_its_session_at_once(app, state):
    from triage.decisions import connect
    from triage.decisions.users import set_active

    add_worker(state.settings.store, "leaver")
    with TestClient(app, follow_redirects=False) as c:
        login(c, "leaver")
        assert c.get("/api/queue").status_code == 200
        conn = connect(state.settings.store)
        set_active(conn, "leaver", False)
        conn.close()
        assert c.get("/api/queue").status_code == 401


def test_redirect_after_login_stays_on_this_site(anon):
    page = anon.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = anon.post(
        "/login",
        data={
            "username": "worker1",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/x",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/queue"


# ---------------------------------------------------------------- the score API


def test_api_score_gives_the_same_json_as_triage_score(client, registry, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from triage.cli import app as cli

    for key, value in registry_env(registry).items():
        if key.startswith(("MLFLOW_", "TRIAGE_")):
            monkeypatch.setenv(key, value)
    notices = _sample(6)
    path = tmp_path / "six.jsonl"
    path.write_text("".join(json.dumps(n) + "\n" for n in notices), "utf-8")
    for lang in ("ja", "en"):
        # The real command, run in this process (a new interpreter would add seconds of imports).
        args = ["score", str(path), "--as-of", AS_OF, "--lang", lang, "--routing-model", ""]
        args += ["--model", MODEL]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        one = client.post("/api/score", json=notices[0], params={"as_of": AS_OF, "lang": lang})
        assert one.status_code == 200
        assert one.content.decode("utf-8") == lines[0]  # byte for byte, as the CLI prints it
        many = client.post("/api/score", json=notices, params={"as_of": AS_OF, "lang": lang})
        assert many.status_code == 200
        assert many.json() == {"scores": [json.loads(line) for line in lines], "errors": []}


def test_each_notice_posted_alone_gets_its_triage_score_line(
    client, registry, tmp_path, monkeypatch
):
    """One notice is scored without a DataFrame: still the CLI's line, byte for byte."""
    from typer.testing import CliRunner

    from triage.cli import app as cli

    for key, value in registry_env(registry).items():
        if key.startswith(("MLFLOW_", "TRIAGE_")):
            monkeypatch.setenv(key, value)
    sample = _sample()
    dv = [n for n in sample[15:] if n["notice_kind"] == "dv_witness"][:10]
    unknowns = [{**n, "child_fears_home": None, "injury_head_face": None} for n in sample[10:15]]
    for i, n in enumerate(unknowns):
        n["notice_id"] = f"U{i}"
    notices = sample[:15] + dv + unknowns
    path = tmp_path / "varied.jsonl"
    path.write_text("".join(json.dumps(n) + "\n" for n in notices), "utf-8")
    args = ["score", str(path), "--as-of", AS_OF, "--routing-model", "", "--top", "5"]
    args += ["--model", MODEL]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    for notice, line in zip(notices, lines, strict=True):
        one = client.post("/api/score", json=notice, params={"as_of": AS_OF, "top": 5})
        assert one.status_code == 200
        assert one.content.decode("utf-8") == line


def test_a_batch_keeps_its_valid_notices_and_names_each_bad_field(client):
    good = _sample(3)
    bad_route = {**good[1], "route": "carrier_pigeon"}
    with_phone = {**good[2], "phone": "090-1234-5678"}
    r = client.post("/api/score", json=[good[0], bad_route, with_phone], params={"as_of": AS_OF})
    assert r.status_code == 422
    body = r.json()
    assert [s["notice_id"] for s in body["scores"]] == [good[0]["notice_id"]]
    errors = {(e["item"], e["field"]): e["message"] for e in body["errors"]}
    assert "expected one of" in errors[(1, "route")]
    assert "refused" in errors[(2, "phone")]
    assert "1234" not in r.text  # an identifier is never echoed


def test_an_identifying_value_in_a_wrong_field_is_not_echoed(client):
    notice = {**_sample(1)[0], "region_code": "山田太郎 090-1234-5678"}
    for body in (notice, [notice]):
        r = client.post("/api/score", json=body, params={"as_of": AS_OF})
        assert r.status_code == 422
        (error,) = r.json()["errors"]
        assert error["field"] == "region_code" and "expected" in error["message"]
        assert "山田" not in r.text and "1234" not in r.text, r.text


def test_one_bad_notice_gets_422_naming_the_field(client):
    notice = {**_sample(1)[0], "child_age_years": 42}
    r = client.post("/api/score", json=notice, params={"as_of": AS_OF})
    assert r.status_code == 422
    (error,) = r.json()["errors"]
    assert error["field"] == "child_age_years" and "expected an integer" in error["message"]


@pytest.mark.parametrize(
    ("body", "params", "field"),
    [
        ("just a string", {}, "body"),
        ({}, {"as_of": "2024-04-01T09:00:00"}, "as_of"),
    ],
)
def test_malformed_requests_get_422_naming_what_is_wrong(client, body, params, field):
    r = client.post("/api/score", json=body, params=params)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == field


def test_an_as_of_centuries_before_the_notices_is_refused_naming_as_of(client):
    notice = _sample(1)[0]
    r = client.post("/api/score", json=notice, params={"as_of": "1700-04-01T09:00:00+09:00"})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "as_of"
    assert "before the earliest notice" in r.json()["errors"][0]["message"]
    ok = client.post("/api/score", json=notice, params={"as_of": AS_OF})
    assert ok.status_code == 200


def test_serve_refuses_a_pinned_clock_centuries_before_its_notices(tmp_path):
    from typer.testing import CliRunner

    from triage.cli import app as cli

    res = CliRunner().invoke(
        cli,
        ["serve", "--store", str(tmp_path / "store"), "--as-of", "1700-04-01T09:00:00+09:00"],
    )
    assert res.exit_code == 2, res.output
    last = res.output.splitlines()[-1]  # after the line saying the sample was loaded
    assert last.startswith("error: --as-of: 1700-04-01T09:00:00+09:00 is ")
    assert "before the earliest notice" in last


def test_an_oversized_body_is_refused_before_it_is_read(client):
    from triage.web.app import MAX_BODY

    r = client.post(
        "/api/score",
        content=b"[" + b" " * MAX_BODY + b"]",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413


def test_openapi_documents_the_score_contract_and_its_errors(client):
    spec = client.get("/api/openapi.json").json()
    score = spec["paths"]["/api/score"]["post"]
    assert {"200", "422"} <= set(score["responses"])
    assert "oneOf" in score["requestBody"]["content"]["application/json"]["schema"]
    assert {"/api/queue", "/api/decisions"} <= set(spec["paths"])
    assert "POST /api/score" in client.get("/docs/api").text


# ---------------------------------------------------------------- queue


def test_queue_orders_by_tier_then_deadline_with_overdue_first(client):
    view = _queue(client)
    queue = view["queue"]
    assert view["total"] == len(queue) == len(_sample())
    keys = [(TIERS.index(e["suggested_tier"]), not e["overdue"]) for e in queue]
    assert keys == sorted(keys)
    assert [e["position"] for e in queue] == list(range(1, len(queue) + 1))
    assert all(e["overdue"] == ("R-ONSITE" in e["rules"]) for e in queue)
    assert view["capacity"]["immediate+urgent"] == pytest.approx(9 * 40 / 60)


def test_queue_filters_keep_each_notice_at_its_place(client):
    everyone = {e["notice_id"]: e["position"] for e in _queue(client)["queue"]}
    dv = _queue(client, dv="dv")["queue"]
    assert dv and all(e["notice_kind"] == "dv_witness" for e in dv)
    assert all(everyone[e["notice_id"]] == e["position"] for e in dv)
    urgent = _queue(client, tier="urgent")["queue"]
    assert urgent and {e["suggested_tier"] for e in urgent} == {"urgent"}
    school = _queue(client, route="school")["queue"]
    assert school and {e["route"] for e in school} == {"school"}


def test_the_queue_is_built_once_then_renewed_by_a_decision_the_clock_or_an_import(
    registry, tmp_path
):
    """H6 finding 7: every queue request rebuilt the queue over the whole store (60-150 ms of
    CPU); now requests share the built rows until something they show has changed."""
    from triage.decisions import DecisionInput
    from triage.web.intake import import_notices
    from triage.web.queue import QueueFilters

    when = _sample(1)[0]["received_at"]
    first, second, third = (
        {**n, "notice_id": f"FRESH-{i}", "received_at": when, "safety_confirmed_at": None}
        for i, n in enumerate(_sample(3))
    )
    received = pd.Timestamp(when)
    notices = tmp_path / "notices.jsonl"
    notices.write_text("".join(json.dumps(n) + "\n" for n in (first, second)), "utf-8")
    store = tmp_path / "store"
    add_worker(store, "worker1")
    st = open_web_state(
        registry,
        store,
        routing_model=None,
        notices=notices,
        as_of=str(received + pd.Timedelta(hours=1)),
    )

    def entry(notice_id: str) -> dict:
        (found,) = [e for e in st.queue_page(QueueFilters()).entries if e["notice_id"] == notice_id]
        return found

    conn = st.connect()
    try:
        rows = st.queue_cache.rows(conn, st.scores_version)
        assert st.queue_cache.rows(conn, st.scores_version) is rows  # shared, not rebuilt
        assert entry("FRESH-0")["decision"] is None and not entry("FRESH-0")["overdue"]
        tier = entry("FRESH-0")["suggested_tier"]
        record = st.record_decision(
            DecisionInput(notice_id="FRESH-0", decided_tier=tier), "worker1"
        )
        assert entry("FRESH-0")["decision"]["decision_id"] == record["decision_id"]
        assert rows.entries[rows.position["FRESH-0"]]["decision"] is None  # old rows untouched
        st.fixed_clock = received + pd.Timedelta(hours=48)  # the 48 hours pass unconfirmed
        assert entry("FRESH-1")["overdue"] and entry("FRESH-1")["suggested_tier"] == "immediate"
        assert entry("FRESH-0")["decision"]["decision_id"] == record["decision_id"]
        import_notices(conn, [third], source_name="later")
        assert entry("FRESH-2")["notice_id"] == "FRESH-2"
        assert st.queue_page(QueueFilters()).counts_open == {
            t: sum(
                e["suggested_tier"] == t and e["decision"] is None
                for e in st.queue_page(QueueFilters()).entries
            )
            for t in TIERS
        }
    finally:
        conn.close()


def test_the_queue_page_is_japanese_by_default_and_english_on_request(client):
    page = client.get("/queue").text
    assert "対応順の通告一覧" in page and "期限超過" in page
    token = client.headers["X-CSRF-Token"]
    r = client.post("/lang", data={"lang": "en", "csrf_token": token, "next": "/queue"})
    assert r.status_code == 303
    english = client.get("/queue").text
    assert "Notices in the order to handle them" in english and "OVERDUE" in english


def test_a_notice_page_shows_tier_uncertainty_rules_actions_factors_and_the_caution(client):
    overdue = next(e for e in _queue(client)["queue"] if e["overdue"])
    page = client.get(f"/notices/{overdue['notice_id']}").text
    assert "判断の支援のみ" in page and "安全を示すものではありません" in page
    assert "R-ONSITE" in page and "［II］" in page and "立入調査を実施する" in page
    assert "超過" in page and "<svg" in page and "緊急度を上げる方向" in page
    assert "推定値はモデルの" in page  # the estimate placed among the cut points
    assert "次に確認すべきこと" in page and 'name="override_reason"' in page


# ---------------------------------------------------------------- decisions through the API


def _undecided(client, *, dv: bool) -> dict:
    queue = _queue(client, undecided="true", dv="dv" if dv else "none")["queue"]
    return _notice(client, queue[0]["notice_id"])


def test_decisions_accept_override_and_stay_chained(client, state):
    from triage.decisions import chain_rows, connect, verify_chain

    n = _undecided(client, dv=False)
    nid, score = n["notice"]["notice_id"], n["score"]
    accept = {"notice_id": nid, "decided_tier": score["suggested_tier"]}
    r = client.post("/api/decisions", json={**accept, "shown_score_hash": n["score_hash"]})
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["tier_overridden"] is False and first["decided_by"] == "worker1"
    assert first["score_hash"] == n["score_hash"] and first["model"] == score["model"]
    assert first["rules"] == score["rules"] and first["risk"] == score["risk"]
    other = next(t for t in TIERS if t != score["suggested_tier"])
    r = client.post("/api/decisions", json={"notice_id": nid, "decided_tier": other})
    assert r.status_code == 422 and r.json()["field"] == "override_reason"
    r = client.post(
        "/api/decisions",
        json={
            "notice_id": nid,
            "decided_tier": other,
            "override_reason": "call from school: seen today",
        },
    )
    assert r.status_code == 201, r.text
    second = r.json()
    assert second["tier_overridden"] is True and second["prev_hash"] == first["hash"]
    assert _queue(client)["queue"][0]  # still renders
    decided = {e["notice_id"] for e in _queue(client, undecided="true")["queue"]}
    assert nid not in decided
    conn = connect(state.settings.store)
    assert verify_chain(chain_rows(conn)).ok


def test_a_dv_witness_decision_needs_the_route(client):
    n = _undecided(client, dv=True)
    nid, score = n["notice"]["notice_id"], n["score"]
    r = client.post(
        "/api/decisions", json={"notice_id": nid, "decided_tier": score["suggested_tier"]}
    )
    assert r.status_code == 422 and r.json()["field"] == "decided_dv_route"
    other = "cgc" if score["dv_route"] == "municipality" else "municipality"
    r = client.post(
        "/api/decisions",
        json={
            "notice_id": nid,
            "decided_tier": score["suggested_tier"],
            "decided_dv_route": other,
            "override_reason": "police report adds a second incident",
        },
    )
    assert r.status_code == 201 and r.json()["dv_route_overridden"] is True


def test_a_decision_on_a_changed_suggestion_is_refused(client):
    n = _undecided(client, dv=False)
    r = client.post(
        "/api/decisions",
        json={
            "notice_id": n["notice"]["notice_id"],
            "decided_tier": n["score"]["suggested_tier"],
            "shown_score_hash": "0" * 64,
        },
    )
    assert r.status_code == 409 and r.json()["field"] == "shown_score_hash"


def test_an_override_reason_holding_a_phone_number_is_refused(client):
    n = _undecided(client, dv=False)
    other = next(t for t in TIERS if t != n["score"]["suggested_tier"])
    r = client.post(
        "/api/decisions",
        json={
            "notice_id": n["notice"]["notice_id"],
            "decided_tier": other,
            "override_reason": "mother says call 090-1234-5678",
        },
    )
    assert r.status_code == 422 and "phone number" in r.json()["detail"]


def test_unknown_fields_and_tiers_in_a_decision_are_422(client):
    nid = _sample(1)[0]["notice_id"]
    r = client.post("/api/decisions", json={"notice_id": nid, "decided_tier": "soon"})
    assert r.status_code == 422 and r.json()["field"] == "decided_tier"
    assert r.json()["detail"].startswith("decided_tier: ")  # one line, naming the field
    r = client.post(
        "/api/decisions", json={"notice_id": nid, "decided_tier": "urgent", "note": "x"}
    )
    assert r.status_code == 422
    r = client.post("/api/decisions", json={"notice_id": "NOPE", "decided_tier": "urgent"})
    assert r.status_code == 404


def test_a_held_write_lock_answers_503_with_retry_after_not_a_500_after_10_s(client, state):
    import sqlite3
    import time

    from triage.decisions import DB_NAME

    n = _undecided(client, dv=False)
    decision = {"notice_id": n["notice"]["notice_id"], "decided_tier": n["score"]["suggested_tier"]}
    holder = sqlite3.connect(state.settings.store / DB_NAME, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        r = client.post("/api/decisions", json=decision)
        took = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.status_code == 503 and r.headers["retry-after"].isdigit(), r.text
    assert "lock" in r.json()["detail"] and took < 5
    assert r.headers["x-frame-options"] == "DENY"
    assert client.post("/api/decisions", json=decision).status_code == 201  # sent again: recorded


def test_another_workers_login_is_never_shown_next_to_their_decisions(app, client):
    n = _undecided(client, dv=False)
    nid = n["notice"]["notice_id"]
    r = client.post(
        "/api/decisions", json={"notice_id": nid, "decided_tier": n["score"]["suggested_tier"]}
    )
    assert r.status_code == 201 and r.json()["decided_by"] == "worker1"
    mine = next(e for e in _queue(client)["queue"] if e["notice_id"] == nid)["decision"]
    assert mine["decided_by_you"] is True
    with TestClient(app, follow_redirects=False) as other:
        other.headers["X-CSRF-Token"] = login(other, "worker2")
        entry = next(e for e in _queue(other)["queue"] if e["notice_id"] == nid)
        notice = _notice(other, nid)
        page = other.get(f"/notices/{nid}").text
    assert entry["decision"]["decided_by_you"] is False
    assert entry["decision"]["decided_by"] is None
    (theirs,) = [d for d in notice["decisions"] if d["decision_id"] == r.json()["decision_id"]]
    assert theirs["decided_by"] is None and "hash" not in theirs
    assert "worker1" not in json.dumps(entry) + json.dumps(notice["decisions"]) + page
    assert "他の担当者" in page


# ---------------------------------------------------------------- scores stay current


def test_a_cached_score_is_renewed_when_the_clock_passes_its_deadline(state, tmp_path):
    from triage.decisions import connect
    from triage.web.intake import import_notices, refresh_scores, stored_notice

    notice = {**_sample(1)[0], "notice_id": "FRESH-1", "safety_confirmed_at": None}
    received = pd.Timestamp(notice["received_at"])
    conn = connect(tmp_path / "store")
    import_notices(conn, [notice], source_name="test")
    key = state.scorer_key
    one_hour = received + pd.Timedelta(hours=1)
    assert refresh_scores(conn, state.scorer, as_of=one_hour, scorer_key=key) == 1
    assert "R-ONSITE" not in stored_notice(conn, "FRESH-1")["score"]["rules"]
    later = received + pd.Timedelta(hours=47)
    assert refresh_scores(conn, state.scorer, as_of=later, scorer_key=key) == 0  # still valid
    overdue = received + pd.Timedelta(hours=48)
    assert refresh_scores(conn, state.scorer, as_of=overdue, scorer_key=key) == 1
    score = stored_notice(conn, "FRESH-1")["score"]
    assert "R-ONSITE" in score["rules"] and score["suggested_tier"] == "immediate"
    assert refresh_scores(conn, state.scorer, as_of=overdue, scorer_key="another model") == 1


def test_a_stored_notice_never_changes_under_the_same_id(state, tmp_path):
    from triage.decisions import connect
    from triage.web.intake import import_notices

    conn = connect(tmp_path / "store")
    notice = _sample(1)[0]
    assert import_notices(conn, [notice], source_name="a").added == 1
    again = import_notices(conn, [notice], source_name="b")
    assert again.added == 0 and again.unchanged == 1
    changed = import_notices(conn, [{**notice, "injury": "serious"}], source_name="c")
    assert changed.added == 0 and "never changes" in changed.conflicts[0]


# ---------------------------------------------------------------- which model


def test_without_a_champion_the_page_says_how_to_promote_and_suggests_nothing(registry, tmp_path):
    from triage.web.app import create_app

    store = tmp_path / "store"
    add_worker(store, "worker1")
    state = open_web_state(registry, store, model="models:/intake-urgency@nobody")
    assert state.scorer is None and "triage promote" in state.model_problem
    with TestClient(create_app(state=state), follow_redirects=False) as c:
        token = login(c)
        page = c.get("/queue").text
        assert "triage promote" in page and "昇格済みのモデルがない" in page
        r = c.post("/api/score", json=_sample(1)[0], headers={"X-CSRF-Token": token})
        assert r.status_code == 503 and "triage promote" in r.json()["detail"]


def test_an_explicitly_chosen_unpromoted_model_is_flagged_on_every_page(registry, tmp_path):
    from triage.web.app import create_app

    notices = tmp_path / "three.jsonl"
    notices.write_text("".join(SAMPLE.read_text("utf-8").splitlines(True)[:3]), "utf-8")
    store = tmp_path / "store"
    add_worker(store, "worker1")
    state = open_web_state(
        registry,
        store,
        model=f"models:/{MODEL_NAME}/1",
        routing_model=None,
        load_sample=False,
        notices=notices,
    )
    with TestClient(create_app(state=state), follow_redirects=False) as c:
        login(c)
        page = c.get("/queue").text
        assert f"models:/{MODEL_NAME}/1" in page and "昇格済み（champion）ではありません" in page
        assert "合成サンプル" not in page  # imported notices, not the sample: real clock


# ---------------------------------------------------------------- notices at start (`serve --notices`)


def _synth(root: Path, n: int = 50) -> Path:
    """``triage synth --n N --format jsonl`` into ``root``: the README's way to make notices."""
    out = root / "syn"
    proc = subprocess.run(
        [TRIAGE, "synth", "--n", str(n), "--format", "jsonl", "--out", str(out)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return out / "notices.jsonl"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]


@pytest.fixture
def serve_cli(registry, monkeypatch):
    """``triage serve ...`` through the real command, up to the point uvicorn would listen.

    Returns ``run(*args) -> (result, app or None)``; the app is what the
    command handed to uvicorn, None when it stopped before serving.
    """
    import uvicorn
    from typer.testing import CliRunner

    from triage.cli import app as cli

    for key, value in registry_env(registry).items():
        if key.startswith(("MLFLOW_", "TRIAGE_")):
            monkeypatch.setenv(key, value)
    served: list = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))

    def run(*args: str):
        served.clear()
        result = CliRunner().invoke(
            cli,
            ["serve", "--config", str(CI_CONFIG), "--routing-model", "", "--model", MODEL, *args],
        )
        return result, (served[0] if served else None)

    return run


def _users_add(store: Path, name: str = "worker1") -> None:
    from typer.testing import CliRunner

    from triage.cli import app as cli

    r = CliRunner().invoke(
        cli, ["users", "add", name, "--store", str(store), "--password-stdin"], input=PASSWORD
    )
    assert r.exit_code == 0, r.output


def test_serve_notices_on_a_new_store_queues_exactly_those_notices(serve_cli, tmp_path):
    from triage.decisions import connect

    notices = _synth(tmp_path)
    mine = {n["notice_id"]: n for n in _lines(notices)}
    assert len(mine) == 50
    store = tmp_path / "store"
    _users_add(store)  # as the README says: a new store needs its own login
    result, app = serve_cli("--notices", str(notices), "--store", str(store), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert app is not None
    assert "synthetic sample" not in result.stderr  # the sample was not loaded
    assert f"{notices}: imported 50 notices (0 already there)" in result.stderr
    conn = connect(store)
    try:
        assert conn.execute("SELECT COUNT(*) FROM notices").fetchone()[0] == 50
    finally:
        conn.close()
    with TestClient(app, follow_redirects=False) as c:
        login(c)
        view = _queue(c)
        # the clock is --as-of, not the sample's
        assert pd.Timestamp(view["as_of"]) == pd.Timestamp(AS_OF)
        # exactly the file's notices, with the file's contents: the sample's
        # notices share these ids but not their contents
        assert view["total"] == 50
        assert {e["notice_id"] for e in view["queue"]} == set(mine)
        for e in view["queue"]:
            received = pd.Timestamp(mine[e["notice_id"]]["received_at"])
            assert pd.Timestamp(e["received_at"]) == received
        assert "合成サンプル" not in c.get("/queue").text

    # the same file again: harmless, counted, and the server starts
    again, app = serve_cli("--notices", str(notices), "--store", str(store), "--as-of", AS_OF)
    assert again.exit_code == 0, again.output
    assert app is not None
    assert f"{notices}: imported 0 notices (50 already there)" in again.stderr
    assert "warning" not in again.stderr and "error" not in again.stderr


def _sample_store(serve_cli, store: Path) -> list[str]:
    """A store seeded with the demo sample by ``triage serve`` on an empty store; its ids."""
    from triage.decisions import connect

    seeded, app = serve_cli("--store", str(store), "--model", "models:/intake-urgency@nobody")
    assert seeded.exit_code == 0, seeded.output
    assert app is not None and "synthetic sample notices" in seeded.stderr
    conn = connect(store)
    try:
        return [r[0] for r in conn.execute("SELECT notice_id FROM notices ORDER BY seq")]
    finally:
        conn.close()


def _clashing(tmp_path: Path, ids: list[str]) -> Path:
    """A synth file under the seeded sample's ids (the ids `triage synth` gives), other contents."""
    notices = _synth(tmp_path, len(ids))
    clash = tmp_path / "clash.jsonl"
    clash.write_text(
        "".join(
            json.dumps({**rec, "notice_id": i}, ensure_ascii=False) + "\n"
            for rec, i in zip(_lines(notices), ids, strict=True)
        ),
        "utf-8",
    )
    return clash


def test_serve_notices_clashing_with_the_store_stops_with_one_summary_line(serve_cli, tmp_path):
    store = tmp_path / "store"
    ids = _sample_store(serve_cli, store)[:20]
    clash = _clashing(tmp_path, ids)
    result, app = serve_cli(
        "--notices", str(clash), "--store", str(store), "--model", "models:/intake-urgency@nobody"
    )
    assert result.exit_code == 2, result.output
    assert app is None  # never served an empty queue
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    (line,) = lines
    assert line.startswith(f"error: --notices: nothing imported from {clash}: 20 of 20 notices")
    assert f"({ids[0]}, {ids[1]}, {ids[2]} and 17 more)" in line
    assert "synthetic sample" in line and "--store NEW_FOLDER" in line
    assert "triage users add NAME --store NEW_FOLDER" in line


def test_serve_notices_partly_clashing_warns_once_and_serves_the_rest(serve_cli, tmp_path):
    store = tmp_path / "store"
    clash = _clashing(tmp_path, _sample_store(serve_cli, store)[:5])
    records = _lines(clash)
    records[-1]["notice_id"] = "NEW-0001"
    clash.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    result, app = serve_cli(
        "--notices", str(clash), "--store", str(store), "--model", "models:/intake-urgency@nobody"
    )
    assert result.exit_code == 0, result.output
    assert app is not None
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    clash_warnings = [w for w in warnings if "already in the store" in w]
    assert len(clash_warnings) == 1 and "4 of 5 notices" in clash_warnings[0]
    assert f"{clash}: imported 1 notices (0 already there, 4 skipped)" in result.stderr


def test_serve_notices_with_no_valid_notice_stops_naming_the_file(serve_cli, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"notice_id": "X-1"}\nnot json\n', "utf-8")
    store = tmp_path / "store"
    result, app = serve_cli("--notices", str(bad), "--store", str(store))
    assert result.exit_code == 2 and app is None
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: --notices: nothing imported from {bad}: 2 of 2 notices invalid")
    assert "line 1: " in line and "line 2: " in line and f"triage validate {bad}" in line

    missing, app = serve_cli("--notices", str(tmp_path / "nope.jsonl"), "--store", str(store))
    assert missing.exit_code == 2 and app is None
    assert missing.stderr.strip() == f"error: --notices: no such file: {tmp_path / 'nope.jsonl'}"

    # nothing was imported, so the same store, given no notices, is still seeded with the sample
    seeded, app = serve_cli("--store", str(store), "--model", "models:/intake-urgency@nobody")
    assert seeded.exit_code == 0 and "synthetic sample notices" in seeded.stderr
