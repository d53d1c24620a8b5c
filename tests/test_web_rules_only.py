"""Without a champion the page still shows what the national rules require (issue 17, item 10).

A real intake store (SQLite in tmp_path) and the real app through Starlette's
TestClient; no model at all: the working folder is an empty tmp_path and no
MLflow store is named, so the app starts as it does before any promotion.
Before the fix the queue was empty.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from bare_web import CI_CONFIG, PASSWORD, add_worker
from triage.labels import action_label

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "synthetic" / "sample" / "notices.jsonl"
CLOCK = pd.Timestamp("2024-04-01T09:00:00+09:00")


def _notice(base: dict, notice_id: str, hours_before: float, **facts) -> dict:
    received = (CLOCK - pd.Timedelta(hours=hours_before)).isoformat()
    return {**base, "notice_id": notice_id, "received_at": received, **facts}


@pytest.fixture(scope="module")
def notices() -> dict[str, dict]:
    """Five notices the rule table judges differently at ``CLOCK``."""
    base = json.loads(SAMPLE.read_text("utf-8").splitlines()[0])
    calm = {
        "injury": "none",
        "alleged_types": ["psychological"],
        "sexual_abuse_disclosure": False,
        "child_requests_protection": False,
        "moved_from_other_area": False,
        "missed_health_checks": False,
        "not_enrolled": False,
        "no_service_use": False,
        "returning_home_after_protection": False,
    }
    base = {**base, **calm, "notice_kind": "general"}
    confirmed = (CLOCK - pd.Timedelta(hours=1)).isoformat()
    made = [
        # R-SEVERE: a serious injury, immediate whatever the score; seen already
        _notice(base, "N-SEVERE", 5, injury="serious", safety_confirmed_at=confirmed),
        # R-ONSITE: still unconfirmed 50 h after receipt
        _notice(base, "N-OVERDUE", 50, safety_confirmed_at=None),
        # a DV witness unconfirmed past 48 h: no model routed it, so also R-MUNI-48H
        _notice(base, "N-DV-OVERDUE", 60, notice_kind="dv_witness", safety_confirmed_at=None),
        # inside its 48 hours: R-48H only, no floor
        _notice(base, "N-FRESH", 2, safety_confirmed_at=None),
        # seen, nothing alleged that a rule acts on
        _notice(base, "N-CALM", 30, safety_confirmed_at=confirmed),
    ]
    return {n["notice_id"]: n for n in made}


def _rules_only_app(folder: Path, notices: dict[str, dict]):
    from triage.web.app import create_app
    from triage.web.state import WebSettings, open_state

    path = folder / "notices.jsonl"
    path.write_text("".join(json.dumps(n) + "\n" for n in notices.values()), "utf-8")
    store = folder / "store"
    add_worker(store, "worker1")
    settings = WebSettings(
        store=store, config=CI_CONFIG, notices=path, as_of=CLOCK.isoformat(), routing_model=None
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)  # no ./mlflow.db here, and none named: no model anywhere
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        state = open_state(settings, log=lambda _: None)
    assert state.scorer is None
    return create_app(state=state)


@pytest.fixture(scope="module")
def rules_only_app(tmp_path_factory, notices):
    return _rules_only_app(tmp_path_factory.mktemp("rules-only"), notices)


def _logged_in(app) -> TestClient:
    c = TestClient(app, follow_redirects=False)
    r = c.post("/api/login", json={"username": "worker1", "password": PASSWORD})
    assert r.status_code == 200, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


@pytest.fixture
def client(rules_only_app):
    with _logged_in(rules_only_app) as c:
        yield c


def test_without_a_model_the_queue_lists_every_notice_with_its_rule_floor(client, notices):
    view = client.get("/api/queue").json()
    assert view["rules_only"] is True and view["total"] == len(notices)
    by_id = {e["notice_id"]: e for e in view["queue"]}
    assert {nid: e["rule_floor"] for nid, e in by_id.items()} == {
        "N-SEVERE": "immediate",
        "N-OVERDUE": "immediate",
        "N-DV-OVERDUE": "immediate",
        "N-FRESH": None,
        "N-CALM": None,
    }
    assert "R-SEVERE" in by_id["N-SEVERE"]["rules"]
    assert by_id["N-FRESH"]["rules"] == ["R-48H"] and by_id["N-CALM"]["rules"] == []
    assert {nid for nid, e in by_id.items() if e["overdue"]} == {"N-OVERDUE", "N-DV-OVERDUE"}
    assert "R-MUNI-48H" in by_id["N-DV-OVERDUE"]["rules"]
    # by floor, overdue first, then by deadline
    order = [e["notice_id"] for e in view["queue"]]
    assert order == ["N-DV-OVERDUE", "N-OVERDUE", "N-SEVERE", "N-CALM", "N-FRESH"]
    # nothing claims a model's tier
    assert all(e["suggested_tier"] is None and e["model"] is None for e in view["queue"])
    assert view["counts_open"] == {"immediate": 3, "urgent": 0, "standard": 2}


def test_the_queue_page_labels_the_floor_and_claims_no_model_tier(client):
    page = client.get("/queue").text
    assert "昇格済みのモデルがない" in page and "triage promote" in page
    assert "国のルールによる下限、次に48時間" in page  # the order says what it is by
    table = page.split('<table class="queue">')[1]
    assert table.count("モデルの提案なし") == 5
    assert 'class="tier tier-' not in table  # no tier shown as a suggestion
    assert table.count("期限超過") == 2


def test_a_fired_rule_shows_on_the_notice_page_with_its_actions_and_deadline(client):
    page = client.get("/notices/N-SEVERE").text
    assert "R-SEVERE" in page and "重篤な外傷" in page
    assert action_label("consider_temporary_protection", "ja") in page
    assert action_label("police_info_share", "ja") in page
    assert "安全確認の期限（受理から48時間）：2024-04-03 04:00" in page
    assert "モデルの提案なし" in page and "国のルールによる下限" in page
    assert 'id="suggestion"' not in page and "推定" not in page  # no model estimate or tier
    overdue = client.get("/notices/N-OVERDUE").text
    assert "R-ONSITE" in overdue and "2時間超過" in overdue
    assert action_label("onsite_inspection", "ja") in overdue
    notice = client.get("/api/notices/N-OVERDUE").json()
    assert notice["score"] is None
    assert notice["rules_verdict"]["rule_floor"] == "immediate"
    assert notice["rules_verdict"]["suggested_tier"] is None


def test_without_a_model_no_decision_is_recorded_and_the_page_says_why(client):
    page = client.get("/notices/N-SEVERE").text
    assert 'id="decision-form"' not in page and "モデルが昇格されるまで判断は記録できません" in page
    r = client.post("/api/decisions", json={"notice_id": "N-SEVERE", "decided_tier": "immediate"})
    assert r.status_code == 409 and r.json()["field"] == "notice_id"
    assert "no model is loaded" in r.json()["detail"]
    r = client.post("/api/decisions", json={"notice_id": "NOPE", "decided_tier": "immediate"})
    assert r.status_code == 404
    assert client.post("/api/score", json={"notice_id": "X"}).status_code == 503


def test_the_rules_are_judged_again_when_the_clock_passes_a_deadline(tmp_path, notices):
    app = _rules_only_app(tmp_path, notices)  # its own: this test moves the clock
    with _logged_in(app) as client:

        def fresh() -> dict:
            queue = client.get("/api/queue").json()["queue"]
            return next(e for e in queue if e["notice_id"] == "N-FRESH")

        assert not fresh()["overdue"]
        app.state.web.fixed_clock = CLOCK + pd.Timedelta(hours=46)  # 48 h after its receipt
        assert fresh()["overdue"] and fresh()["rule_floor"] == "immediate"
        assert fresh()["position"] <= 3
