"""One clock for the page and the API (issue 17, item 10).

``/api/score`` without ``as_of`` scored at the wall clock even when ``serve
--as-of`` pinned the page's, so the two disagreed on the same notice (a notice
received an hour before the pinned clock was overdue by the API, two years
later). Real components: the CI model trained into a registry under the
session's temp folder, a SQLite intake store in tmp_path, the app through
Starlette's TestClient.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from test_web import SAMPLE, add_worker, login, open_web_state, trained_registry

PINNED = pd.Timestamp("2024-04-01T09:00:00+09:00")

pytestmark = pytest.mark.slow  # the registry: one model trained per session and worker


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    return trained_registry(tmp_path_factory)


def _unconfirmed(notice_id: str, received: pd.Timestamp) -> dict:
    base = json.loads(SAMPLE.read_text("utf-8").splitlines()[0])
    return {
        **base,
        "notice_id": notice_id,
        "received_at": received.isoformat(),
        "safety_confirmed_at": None,
    }


def _client(registry, folder, notices: list[dict], **settings) -> TestClient:
    from triage.web.app import create_app

    path = folder / "notices.jsonl"
    path.write_text("".join(json.dumps(n) + "\n" for n in notices), "utf-8")
    store = folder / "store"
    add_worker(store, "worker1")
    state = open_web_state(
        registry, store, routing_model=None, load_sample=False, notices=path, **settings
    )
    client = TestClient(create_app(state=state), follow_redirects=False)
    client.headers["X-CSRF-Token"] = login(client)
    return client


def _page_and_api(client: TestClient, notice_id: str) -> tuple[dict, dict]:
    """The page's cached score of a stored notice, and the API's score of the same notice."""
    stored = client.get(f"/api/notices/{notice_id}").json()
    r = client.post("/api/score", json=stored["notice"])
    assert r.status_code == 200, r.text
    return stored["score"], r.json()


def test_a_pinned_clock_is_the_apis_default_as_of(registry, tmp_path):
    fresh = _unconfirmed("FRESH-1", PINNED - pd.Timedelta(hours=1))
    with _client(registry, tmp_path, [fresh], as_of=PINNED.isoformat()) as client:
        page, api = _page_and_api(client, "FRESH-1")
        assert "R-ONSITE" not in page["rules"]  # 1 h old at the page's clock
        assert api == page  # the same line: tier, rules, deadline, factors
        html = client.get("/notices/FRESH-1").text
        assert "残り47時間" in html and "超過" not in html
        # an explicit as_of still wins
        later = (PINNED + pd.Timedelta(hours=48)).isoformat()
        r = client.post("/api/score", json=fresh, params={"as_of": later})
        assert "R-ONSITE" in r.json()["rules"]


def test_a_notice_years_after_the_pinned_clock_is_refused_naming_the_clock(registry, tmp_path):
    fresh = _unconfirmed("FRESH-1", PINNED - pd.Timedelta(hours=1))
    future = _unconfirmed("FUTURE-1", PINNED + pd.Timedelta(days=800))
    with _client(registry, tmp_path, [fresh], as_of=PINNED.isoformat()) as client:
        r = client.post("/api/score", json=future)
        assert r.status_code == 422
        (error,) = r.json()["errors"]
        assert error["field"] == "as_of" and "the page's clock" in error["message"]


def test_without_a_pinned_clock_the_api_scores_at_now(registry, tmp_path):
    now = pd.Timestamp.now(tz="Asia/Tokyo").floor("min")
    fresh = _unconfirmed("FRESH-1", now - pd.Timedelta(hours=1))
    late = _unconfirmed("LATE-1", now - pd.Timedelta(hours=49))
    with _client(registry, tmp_path, [fresh, late]) as client:
        page, api = _page_and_api(client, "FRESH-1")
        assert "R-ONSITE" not in api["rules"] and api["rules"] == page["rules"]
        assert api["suggested_tier"] == page["suggested_tier"]
        page, api = _page_and_api(client, "LATE-1")
        assert "R-ONSITE" in api["rules"] and api["rules"] == page["rules"]


def test_openapi_says_as_of_defaults_to_the_pages_clock(registry, tmp_path):
    fresh = _unconfirmed("FRESH-1", PINNED - pd.Timedelta(hours=1))
    with _client(registry, tmp_path, [fresh], as_of=PINNED.isoformat()) as client:
        spec = client.get("/api/openapi.json").json()
    (as_of,) = [
        p for p in spec["paths"]["/api/score"]["post"]["parameters"] if p["name"] == "as_of"
    ]
    assert "the page's clock" in as_of["description"]
