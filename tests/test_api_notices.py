"""Notices pushed through the API, their amendments, and decisions naming the version seen.

Real components: the model the web tests train (``test_web.trained_registry``),
a real SQLite store in tmp_path (empty at start, the clock pinned), the app
through Starlette's TestClient, `triage score` run in this process for parity,
`triage decisions verify` on the store. Each test uses notice ids of its own,
so the tests share one store without depending on one another.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from notice_factory import make_notice, make_records
from test_web import (
    AS_OF,
    MODEL,
    add_worker,
    login,
    open_web_state,
    registry_env,
    trained_registry,
)
from triage.cli import app as cli
from triage.decisions import connect, decisions_for, notice_versions
from triage.decisions.notice_versions import NOTICE_CHANGED

pytestmark = pytest.mark.slow  # trains (or reuses) the web tests' model


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    return trained_registry(tmp_path_factory)


@pytest.fixture(scope="module")
def store(registry, tmp_path_factory):
    folder = tmp_path_factory.mktemp("api-notices")
    add_worker(folder, "worker1")
    return folder


@pytest.fixture(scope="module")
def state(registry, store):
    return open_web_state(registry, store, routing_model=None, load_sample=False, as_of=AS_OF)


@pytest.fixture(scope="module")
def app(state):
    from triage.web.app import create_app

    return create_app(state=state)


@pytest.fixture
def client(app):
    with TestClient(app, follow_redirects=False) as c:
        c.headers["X-CSRF-Token"] = login(c)
        yield c


def _cli_scores(records, registry, tmp_path, monkeypatch) -> list[dict]:
    """What `triage score` prints for ``records`` at AS_OF (same model, same rules)."""
    for key, value in registry_env(registry).items():
        if key.startswith(("MLFLOW_", "TRIAGE_")):
            monkeypatch.setenv(key, value)
    path = tmp_path / "notices.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    args = ["score", str(path), "--as-of", AS_OF, "--routing-model", "", "--model", MODEL]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def _ids(prefix: str, records: list[dict]) -> list[dict]:
    return [{**r, "notice_id": f"{prefix}{i:04d}"} for i, r in enumerate(records)]


def test_a_thousand_notices_store_the_valid_name_the_invalid_and_score_as_triage_score(
    client, store, registry, tmp_path, monkeypatch
):
    notices = _ids("BULK", make_records(1000, seed=19))
    bad = {7: "child_age_years", 250: "route", 999: "phone"}
    notices[7]["child_age_years"] = 40
    notices[250]["route"] = "carrier_pigeon"
    notices[999]["phone"] = "090-7777-0123"
    r = client.post("/api/notices", json=notices)
    assert r.status_code == 422, r.text[:300]
    body = r.json()
    assert "090-" not in r.text  # an identifier is never echoed
    assert {(e["item"], e["field"]) for e in body["errors"]} == set(bad.items())
    assert body["detail"].startswith("3 of 1000 notices invalid: item 7, child_age_years: ")
    items = body["notices"]
    assert [i["item"] for i in items] == list(range(1000))
    assert {i["item"] for i in items if i["status"] == "invalid"} == set(bad)
    stored = [i for i in items if i["status"] == "stored"]
    assert len(stored) == 997 and {i["version"] for i in stored} == {1}
    conn = connect(store)
    try:
        ids = {row[0] for row in conn.execute("SELECT notice_id FROM notices")}
        assert {i["notice_id"] for i in stored} <= ids
        assert not {notices[k]["notice_id"] for k in bad} & ids
        who = {v.entered_by for i in stored[:5] for v in notice_versions(conn, i["notice_id"])}
        assert who == {"worker1"}
    finally:
        conn.close()
    valid = [n for k, n in enumerate(notices) if k not in bad]
    expected = _cli_scores(valid, registry, tmp_path, monkeypatch)
    assert [i["score"] for i in stored] == expected


def test_a_notice_sent_again_is_unchanged_and_other_facts_under_its_id_are_refused(client):
    notice = make_notice(notice_id="AGAIN-1")
    first = client.post("/api/notices", json=notice)
    assert first.status_code == 200, first.text
    assert first.json()["notices"][0]["status"] == "stored"
    assert first.json()["errors"] == []
    again = client.post("/api/notices", json=[notice])
    assert again.status_code == 200
    (item,) = again.json()["notices"]
    assert (item["status"], item["version"]) == ("unchanged", 1)
    assert item["score"] == first.json()["notices"][0]["score"]
    other = client.post("/api/notices", json=[make_notice(notice_id="AGAIN-1", siblings=4)])
    assert other.status_code == 422
    (item,) = other.json()["notices"]
    assert (item["status"], item["version"], item["score"]) == ("refused", None, None)
    (error,) = other.json()["errors"]
    assert error["field"] == "notice_id"
    assert "notice_id: " + error["message"] == NOTICE_CHANGED.format(id="AGAIN-1")


def _notice(client, notice_id: str) -> dict:
    r = client.get(f"/api/notices/{notice_id}")
    assert r.status_code == 200, r.text
    return r.json()


def test_an_amendment_is_the_next_version_shown_in_queue_notice_and_score(client):
    notice = make_notice(notice_id="AMEND-1", injury="minor", child_age_years=1)
    assert client.post("/api/notices", json=notice).status_code == 200
    before = _notice(client, "AMEND-1")
    assert "R-SEVERE" not in before["score"]["rules"]
    r = client.post("/api/notices/AMEND-1/amendments", json={"injury": "serious"})
    assert r.status_code == 201, r.text
    amended = r.json()
    assert (amended["status"], amended["version"]) == ("stored", 2)
    assert "R-SEVERE" in amended["score"]["rules"]
    assert amended["score"]["suggested_tier"] == "immediate"
    shown = _notice(client, "AMEND-1")
    assert shown["version"] == 2 and shown["notice"]["injury"] == "serious"
    assert [(v["version"], v["entered_by"]) for v in shown["versions"]] == [
        (1, "worker1"),
        (2, "worker1"),
    ]
    assert set(shown["versions"][0]) == {"version", "entered_by", "entered_at", "entered_by_you"}
    assert "R-SEVERE" in shown["score"]["rules"]  # the cached score is of version 2
    entry = next(
        e
        for e in client.get("/api/queue", params={"limit": 1000}).json()["queue"]
        if e["notice_id"] == "AMEND-1"
    )
    assert entry["version"] == 2 and entry["suggested_tier"] == "immediate"
    same = client.post("/api/notices/AMEND-1/amendments", json={"injury": "serious"})
    assert same.status_code == 200 and same.json()["status"] == "unchanged"
    assert same.json()["version"] == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"child_age_years": 40}, "child_age_years"),
        ({"notice_id": "OTHER"}, "notice_id"),
        ({"received_at": "2023-05-01T09:00:00+09:00"}, "received_at"),
        ({"phone": "090-7777-0123"}, "phone"),
        (["injury"], "body"),
    ],
)
def test_an_amendment_that_does_not_fit_is_422_naming_the_field(client, changes, field):
    notice_id = f"BAD-{field}"
    assert client.post("/api/notices", json=make_notice(notice_id=notice_id)).status_code == 200
    r = client.post(f"/api/notices/{notice_id}/amendments", json=changes)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field
    assert r.json()["detail"].startswith(f"{field}: ")
    assert "090-" not in r.text
    assert _notice(client, notice_id)["version"] == 1


def test_amending_an_unknown_notice_is_404(client):
    r = client.post("/api/notices/NO-SUCH/amendments", json={"siblings": 1})
    assert r.status_code == 404
    assert r.json()["field"] == "notice_id"


def test_both_routes_need_login_and_the_csrf_header(app):
    with TestClient(app, follow_redirects=False) as anon:
        for path in ("/api/notices", "/api/notices/X/amendments"):
            assert anon.post(path, json={}).status_code == 401
        login(anon)
        for path in ("/api/notices", "/api/notices/X/amendments"):
            assert anon.post(path, json={}).status_code == 403


def test_openapi_documents_both_routes(client):
    spec = client.get("/api/openapi.json").json()
    add = spec["paths"]["/api/notices"]["post"]
    assert {"200", "401", "403", "422"} <= set(add["responses"])
    schema = add["requestBody"]["content"]["application/json"]["schema"]
    assert schema["oneOf"][1]["maxItems"] == 1000
    amend = spec["paths"]["/api/notices/{notice_id}/amendments"]["post"]
    assert {"201", "404", "422"} <= set(amend["responses"])
    body = amend["requestBody"]["content"]["application/json"]["schema"]
    assert "required" not in body and "injury" in body["properties"]


def _decide_as_suggested(client, notice_id: str, shown: dict) -> dict:
    score = shown["score"]
    decision = {
        "notice_id": notice_id,
        "decided_tier": score["suggested_tier"],
        "decided_dv_route": score["dv_route"],
        "shown_score_hash": shown["score_hash"],
    }
    r = client.post("/api/decisions", json=decision)
    assert r.status_code == 201, r.text
    return r.json()


def test_a_decision_names_the_version_it_was_made_on_and_verify_passes_after_amendment(
    client, store
):
    assert client.post("/api/notices", json=make_notice(notice_id="DECIDE-1")).status_code == 200
    first_shown = _notice(client, "DECIDE-1")
    on_first = _decide_as_suggested(client, "DECIDE-1", first_shown)
    assert on_first["notice_version"] == 1
    assert on_first["notice_hash"] == first_shown["notice_hash"]
    r = client.post(
        "/api/notices/DECIDE-1/amendments",
        json={"safety_confirmed_at": "2023-04-03T15:00:00+09:00"},
    )
    assert r.status_code == 201
    # A decision on what was shown before the amendment is told the suggestion changed.
    stale = client.post(
        "/api/decisions",
        json={
            "notice_id": "DECIDE-1",
            "decided_tier": first_shown["score"]["suggested_tier"],
            "decided_dv_route": None,
            "shown_score_hash": first_shown["score_hash"],
        },
    )
    assert stale.status_code == 409, stale.text
    second_shown = _notice(client, "DECIDE-1")
    assert second_shown["notice_hash"] != first_shown["notice_hash"]
    on_second = _decide_as_suggested(client, "DECIDE-1", second_shown)
    assert on_second["notice_version"] == 2
    conn = connect(store)
    try:
        recorded = [d["notice_version"] for d in decisions_for(conn, "DECIDE-1")]
    finally:
        conn.close()
    assert recorded == [1, 2]  # the first still names version 1
    assert [d["notice_version"] for d in _notice(client, "DECIDE-1")["decisions"]] == [1, 2]
    result = CliRunner().invoke(cli, ["decisions", "verify", "--store", str(store)])
    assert result.exit_code == 0, result.output


def test_a_notice_amended_while_it_is_scored_keeps_no_score_of_the_old_version(state, store):
    from triage.decisions import add_notice, amend_notice
    from triage.web.intake import score_notices, stored_notice

    class AmendedMeanwhile:
        """The server's scorer, while another writer amends the notice it is scoring."""

        def score(self, frame, **kw):
            other = connect(store)
            try:
                amend_notice(other, "RACE-1", {"siblings": 3}, entered_by="w", source="api")
            finally:
                other.close()
            return state.scorer.score(frame, **kw)

    conn = connect(store)
    try:
        add_notice(
            conn, make_notice(notice_id="RACE-1"), entered_by="w", source="api", keep_id=True
        )
        n = score_notices(
            conn, AmendedMeanwhile(), ["RACE-1"], as_of=state.now(), scorer_key=state.scorer_key
        )
        assert n == 0
        assert stored_notice(conn, "RACE-1")["score"] is None  # the next refresh scores v2
        assert stored_notice(conn, "RACE-1")["version"] == 2
    finally:
        conn.close()


def test_a_notice_dated_centuries_ago_is_stored_and_the_queue_still_answers(client):
    # Found by the fuzz: a notice the contract allows (received in 1212) broke every queue
    # request afterwards (the queue's clock arithmetic overflowed nanoseconds).
    old = make_notice(notice_id="OLD-1212", received_at="1212-11-10T21:55:21+09:00")
    sent = client.post("/api/notices", json=old, params={"as_of": "1212-11-11T09:00:00+09:00"})
    assert sent.status_code == 200, sent.text
    # and one more, with a fraction of a second and an odd offset: the queue parses each
    # stored time on its own, not in the format of the first
    older = make_notice(notice_id="OLD-0805", received_at="0805-07-05T15:03:18.335659+09:18")
    sent = client.post("/api/notices", json=older, params={"as_of": "0805-07-06T09:00:00+09:00"})
    assert sent.status_code == 200, sent.text
    assert client.get("/api/queue", params={"limit": 1000}).status_code == 200
    shown = _notice(client, "OLD-1212")
    assert shown["score"]["safety_deadline"].startswith("1212-11-12")
