"""The intake call without JavaScript: the new-notice form, saving, the check, the safety confirmation.

Real components: the CI model trained once a session (``test_web.trained_registry``),
a real SQLite intake store in tmp_path holding a few sample notices that are not
``immediate`` (so a new immediate notice must come first in the queue), the app
through Starlette's TestClient at the pinned clock ``AS_OF``.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from test_web import AS_OF, SAMPLE, _sample, add_worker, login, open_web_state, trained_registry

pytestmark = pytest.mark.slow  # a model trained once a session, as the other web tests

CALL = {
    "received_at": "2024-04-01T09:00:00+09:00",
    "route": "medical",
    "notice_kind": "general",
    "child_age_years": 0,
    "child_sex": "male",
    "alleged_types": ["physical"],
    "injury": "serious",
    "injury_head_face": True,
    "household_type": "two_parent",
    "siblings": 1,
}
"""An infant with a serious head injury, reported by a hospital: R-SEVERE, ``immediate``."""
OVERDUE_RULES = ("R-48H", "R-ONSITE", "R-POLICE-2", "R-UNSEEN", "R-MUNI-48H")
"""The rules that hold only while the child has not been seen (the contract's table)."""


def as_form(facts: dict) -> list[tuple[str, str]]:
    """Facts as the page's form posts them: yes/no for booleans, text for the rest."""
    out = []
    for name, value in facts.items():
        if isinstance(value, list):
            out += [(name, v) for v in value]
        elif isinstance(value, bool):
            out.append((name, "yes" if value else "no"))
        else:
            out.append((name, str(value)))
    return out


def canonical(facts: dict, notice_id: str) -> dict:
    """The record the store keeps for these facts (as every way in canonicalises them)."""
    from triage.decisions.notice_versions import canonical_records
    from triage.notices import validate_notices

    return canonical_records(validate_notices([{**facts, "notice_id": notice_id}]).valid)[0]


def entry_state(tmp_path_factory, name: str):
    """The models at ``AS_OF`` over a new store holding the background notices and a worker."""
    registry = trained_registry(tmp_path_factory)
    store = tmp_path_factory.mktemp(name)
    state = open_web_state(registry, store, routing_model=None, load_sample=False, as_of=AS_OF)
    return with_background(state)


def with_background(state):
    """``state`` with a worker and 30 sample notices, none of which is ``immediate``."""
    from triage.notices import validate_notices
    from triage.web.intake import import_notices

    add_worker(state.settings.store, "worker1")
    seen = [n for n in _sample(400) if n.get("safety_confirmed_at")][:120]
    scores = state.score(validate_notices(seen).valid, as_of=state.now(), explain=False)
    keep = [n for n, s in zip(seen, scores, strict=True) if s["suggested_tier"] != "immediate"]
    conn = state.connect()
    try:
        assert import_notices(conn, keep[:30], source_name=SAMPLE.name).added == 30
        state.refresh(conn)
    finally:
        conn.close()
    return state


def sibling_state(state, store):
    """A state over another, new store with ``state``'s models (loading them takes seconds)."""
    import dataclasses

    from triage.decisions import connect
    from triage.decisions.sessions import ensure_sessions_table
    from triage.web.state import WebState

    conn = connect(store)
    ensure_sessions_table(conn)
    conn.close()
    return WebState(
        settings=dataclasses.replace(state.settings, store=store),
        scorer=state.scorer,
        model_problem=None,
        capacity=state.capacity,
        fixed_clock=state.fixed_clock,
        scorer_key=state.scorer_key,
        synthetic=False,
        rules_by_id=state.rules_by_id,
        rule_set=state.rule_set,
    )


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    return entry_state(tmp_path_factory, "intake-entry")


@pytest.fixture(scope="module")
def app(state):
    from triage.web.app import create_app

    return create_app(state=state)


@pytest.fixture
def client(app):
    with TestClient(app, follow_redirects=False) as c:
        c.headers["X-CSRF-Token"] = login(c)
        yield c


def _token(client) -> str:
    return client.headers["X-CSRF-Token"]


def post_pairs(client, pairs: list[tuple[str, str]]):
    """A form post of these (key, value) pairs, repeats kept, as a browser sends it."""
    from urllib.parse import urlencode

    return client.post(
        "/notices/new",
        content=urlencode(pairs),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def post_entry(client, facts: dict, action: str = "save", extra=()):
    pairs = [("csrf_token", _token(client)), *as_form(facts), *extra, ("action", action)]
    return post_pairs(client, pairs)


def _count(state) -> int:
    conn = state.connect()
    try:
        return conn.execute("SELECT COUNT(*) FROM notices").fetchone()[0]
    finally:
        conn.close()


def _field_error(html: str, field: str) -> str:
    m = re.search(rf'<span class="field-error" id="err-{field}" role="alert">([^<]*)</span>', html)
    assert m, f"no error shown beside {field}"
    return m.group(1)


def _saved_id(response) -> str:
    assert response.status_code == 303, response.text[:2000]
    m = re.fullmatch(r"/notices/(E-[0-9A-Z]{8})\?entered=1", response.headers["location"])
    assert m, response.headers["location"]
    return m.group(1)


# ---------------------------------------------------------------- the form


def test_the_form_asks_every_contract_field_once_in_the_order_of_the_call():
    from triage.contract import notice_fields
    from triage.labels.intake_questions import QUESTION_GROUPS, asked_fields, question_label

    asked = asked_fields()
    assert sorted(asked) == sorted(f for f in notice_fields().all if f != "notice_id")
    assert len(asked) == len(set(asked))
    assert [g.key for g in QUESTION_GROUPS] == [
        "caller",
        "child",
        "happened",
        "household",
        "history",
    ]
    assert asked.index("route") < asked.index("child_age_years") < asked.index("injury")
    assert asked.index("injury") < asked.index("household_type") < asked.index("prior_notices")
    for lang in ("ja", "en"):
        assert all(question_label(f, lang).strip() for f in asked)
        assert all(g.title(lang).strip() for g in QUESTION_GROUPS)


def test_the_new_notice_page_starts_with_every_fact_unknown_at_the_page_clock(client):
    from triage.contract import notice_fields
    from triage.labels.intake_questions import asked_fields

    queue = client.get("/queue").text
    assert 'href="/notices/new"' in queue
    html = client.get("/notices/new").text
    assert "<h1>新規通告の受付</h1>" in html and "1. 通告者と通告の方法" in html
    assert 'name="notice_id"' not in html  # saving gives the id
    assert 'name="received_at" id="f-received_at" value="2024-04-01T09:00:00+09:00"' in html
    # Every single-answer choice starts on "not known"; no checkbox and no number is filled in.
    fields = notice_fields()
    single_choice = [f for f in asked_fields() if f in fields.enums or f in fields.booleans]
    selects = re.findall(r'<select name="([a-z_]+)"', html)
    assert selects == single_choice
    assert html.count('<option value="" selected>') == len(selects)
    assert " selected>" not in html.replace('<option value="" selected>', "")
    assert " checked>" not in html
    assert 'name="child_age_years" id="f-child_age_years" value=""' in html
    assert '<script src="/static/new_notice.js" defer></script>' in html
    assert "<script>" not in html and "https://" not in html
    # The English switch, as on the other pages.
    r = client.post(
        "/lang", data={"lang": "en", "csrf_token": _token(client), "next": "/notices/new"}
    )
    assert r.status_code == 303
    english = client.get("/notices/new").text
    assert "<h1>New notice: the intake call</h1>" in english and "Who is calling and how" in english
    assert "Child&#39;s age (years)" in english


def test_a_form_post_without_its_token_is_refused_and_stores_nothing(client, state):
    before = _count(state)
    data = as_form(CALL)
    assert client.post("/notices/new", data=dict(data)).status_code == 403
    r = client.post("/notices/new", data={**dict(data), "csrf_token": "forged"})
    assert r.status_code == 403
    assert _count(state) == before


# ---------------------------------------------------------------- saving and checking


def test_the_call_saved_as_a_plain_form_post_is_the_notice_and_score_of_the_api(client, state):
    from triage.decisions import connect
    from triage.decisions.notice_versions import notice_versions

    r = post_entry(client, CALL)
    notice_id = _saved_id(r)
    conn = connect(state.settings.store)
    (first,) = notice_versions(conn, notice_id)
    conn.close()
    assert first.record == canonical(CALL, notice_id)  # the same record, apart from the id
    assert (first.entered_by, first.source) == ("worker1", "page")
    # The page of the notice: its score, rules and actions.
    page = client.get(r.headers["location"]).text
    assert "通告 " + notice_id + " を保存しました。" in page
    assert "R-SEVERE" in page and "即時対応" in page and "躊躇なく一時保護を検討する" in page
    # The same facts sent as new_notice.js sends them score the same.
    stored = client.get(f"/api/notices/{notice_id}").json()
    draft = client.post("/api/score", json={**CALL, "notice_id": "draft"}, params={"as_of": AS_OF})
    assert draft.status_code == 200
    live = draft.json()
    assert stored["score"] == {**live, "notice_id": notice_id}
    assert live["suggested_tier"] == "immediate" and "R-SEVERE" in live["rules"]


def test_the_new_immediate_notice_comes_first_in_the_queue(state, tmp_path):
    """On a store of its own: other tests here add immediate notices with earlier deadlines."""
    from triage.web.app import create_app

    fresh = with_background(sibling_state(state, tmp_path / "intake"))
    with TestClient(create_app(state=fresh), follow_redirects=False) as client:
        client.headers["X-CSRF-Token"] = login(client)
        _the_call_heads_the_queue(client)


def _the_call_heads_the_queue(client) -> None:
    before = client.get("/api/queue").json()["queue"]
    assert before and all(e["suggested_tier"] != "immediate" for e in before)
    notice_id = _saved_id(post_entry(client, CALL))
    first = client.get("/api/queue").json()["queue"][0]
    assert first["notice_id"] == notice_id and first["suggested_tier"] == "immediate"
    html = client.get("/queue").text
    rows = re.findall(r'<tr class="[a-z]*" data-notice="([^"]+)"', html)
    assert rows[0] == notice_id


def test_check_without_saving_shows_the_suggestion_and_stores_nothing(client, state):
    before = _count(state)
    r = post_entry(client, CALL, action="check")
    assert r.status_code == 200
    html = r.text
    assert _count(state) == before
    assert 'id="entry-checked"' in html and '<div id="live-result">' in html
    assert '<li data-rule="R-SEVERE"><strong class="rule-id">R-SEVERE</strong>' in html
    assert '<li data-rule="R-ONSITE" hidden>' in html  # not overdue: a rule that does not fire
    assert '<span id="live-tier-name">即時対応</span>' in html
    assert '<strong id="live-deadline">2024-04-03 09:00+09:00</strong>' in html
    assert '<li data-action="safety_check_48h">' in html
    # The answers stay on the form, ready to be saved.
    assert '<option value="medical" selected>' in html
    assert 'value="physical" id="f-alleged_types-physical" checked>' in html


def test_what_is_still_needed_shrinks_as_the_required_facts_are_answered(client):
    needed = []
    facts: dict = {}
    for name in ("route", "notice_kind", "child_age_years", "child_sex", "alleged_types"):
        facts[name] = CALL[name]
        html = post_entry(client, {"received_at": CALL["received_at"], **facts}, "check").text
        needed.append(len(re.findall(r'<li class="needed" data-needed="[a-z_]+">', html)))
    assert needed == [6, 5, 4, 3, 2]  # then injury and household_type are left
    assert "未回答（必須）：けがの程度" in html


# ---------------------------------------------------------------- hostile and invalid input


def test_invalid_answers_come_back_beside_their_fields_with_the_answers_kept(client, state):
    before = _count(state)
    bad = {
        **CALL,
        "child_age_years": "-1",
        "route": "carrier_pigeon",
        "injury_head_face": "maybe",
        "region_code": "x" * 100_000,
        "alleged_types": ["physical", "bogus"],
        "received_at": "2025-04-01T09:00:00+09:00",  # a year typed wrong: never overdue
    }
    extra = [("phone", "090-1234-5678"), ("favourite_colour", "blue")]
    r = post_entry(client, bad, extra=extra)
    assert r.status_code == 422
    html = r.text
    assert _count(state) == before
    assert "保存していません" in html
    assert _field_error(html, "child_age_years").startswith("child_age_years: expected an integer")
    assert _field_error(html, "route").startswith("route: expected one of")
    assert _field_error(html, "injury_head_face").startswith("injury_head_face: expected yes, no")
    assert "a string of 100000 characters" in _field_error(html, "region_code")
    assert _field_error(html, "alleged_types").startswith("alleged_types: expected")
    assert "not later than the page&#39;s clock (2024-04-01T09:00:00+09:00)" in _field_error(
        html, "received_at"
    )
    assert "refused column &#39;phone&#39;" in html and "favourite_colour: unknown field" in html
    assert "1234" not in html and "blue" not in html and "x" * 300 not in html
    for message in re.findall(r'class="field-error"[^>]*>([^<]+)<', html):
        assert "\n" not in message  # one line each
    # The answers stay, so the worker corrects one field, not the whole call.
    assert 'name="child_age_years" id="f-child_age_years" value="-1"' in html
    assert '<option value="serious" selected>' in html


def test_a_hostile_post_gets_an_answer_never_a_server_error(client, state):
    before = _count(state)
    token = _token(client)
    posts = [
        [("csrf_token", token), ("route", "medical"), ("route", "police")],  # two answers
        [("csrf_token", token), *[(f"k{i}", "v") for i in range(50)]],  # many unknown keys
        [("csrf_token", token), ("child_age_years", "１７"), ("siblings", "1e3")],
        [("csrf_token", token), ("received_at", "now"), ("safety_confirmed_at", "yesterday")],
        [("csrf_token", token), ("notice_id", "MY-OWN-ID"), ("alleged_types", "")],
    ]
    for pairs in posts:
        r = post_pairs(client, pairs)
        assert r.status_code == 422, r.text[:500]
        assert "保存していません" in r.text
    # A file where text is expected.
    r = client.post(
        "/notices/new",
        data={"csrf_token": token},
        files={"route": ("route.txt", b"medical", "text/plain")},
    )
    assert r.status_code == 422 and "route: expected text, got a file" in r.text
    many = post_pairs(client, posts[1]).text
    assert "40 more unknown fields" in many
    assert _count(state) == before


# ---------------------------------------------------------------- the safety confirmation


def _overdue_notices(client) -> tuple[str, str]:
    """A general notice and a low-risk DV-witness one, received three days before the clock."""
    received = "2024-03-29T09:00:00+09:00"
    general = {**CALL, "received_at": received, "missed_health_checks": True}
    dv = {
        "received_at": received,
        "route": "police",
        "notice_kind": "dv_witness",
        "child_age_years": 12,
        "child_sex": "female",
        "alleged_types": ["psychological"],
        "injury": "none",
        "household_type": "two_parent",
        "dv_repeat_count": 0,
    }
    return _saved_id(post_entry(client, general)), _saved_id(post_entry(client, dv))


def test_recording_the_child_seen_is_an_amendment_that_clears_the_overdue_rules(client, state):
    from triage.decisions import connect
    from triage.decisions.notice_versions import notice_versions

    general, dv = _overdue_notices(client)
    before = {n: client.get(f"/api/notices/{n}").json()["score"]["rules"] for n in (general, dv)}
    assert {"R-48H", "R-ONSITE", "R-POLICE-2", "R-UNSEEN"} <= set(before[general])
    assert "R-MUNI-48H" in before[dv]
    assert 'class="overdue-mark"' in client.get(f"/notices/{general}").text
    for notice_id in (general, dv):
        r = client.post(
            f"/notices/{notice_id}/safety",
            data={"csrf_token": _token(client), "safety_confirmed_at": "2024-03-30 14:00+09:00"},
        )
        assert r.status_code == 303, r.text[:1000]
        after = client.get(f"/api/notices/{notice_id}").json()
        assert not set(after["score"]["rules"]) & set(OVERDUE_RULES), after["score"]["rules"]
        conn = connect(state.settings.store)
        versions = notice_versions(conn, notice_id)
        conn.close()
        assert [v.version for v in versions] == [1, 2]
        assert versions[0].record.get("safety_confirmed_at") is None
        assert versions[1].record == {
            **versions[0].record,
            "safety_confirmed_at": "2024-03-30T14:00:00+09:00",
        }
        assert (versions[1].entered_by, versions[1].source) == ("worker1", "page")
    page = client.get(f"/notices/{general}?confirmed=1").text
    assert "安全確認を記録しました。" in page and "安全確認済み：2024-03-30 14:00+09:00" in page
    assert '<span id="notice-version">第2版の内容</span>' in page  # the version shown
    actions = page.split('<section id="actions">')[1].split("</section>")[0]
    assert "overdue-mark" not in actions
    entries = {e["notice_id"]: e for e in client.get("/api/queue").json()["queue"]}
    assert entries[general]["overdue"] is False and entries[dv]["overdue"] is False


REFUSED_TIMES = [
    ("2024-04-02T09:00:00+09:00", "現在（2024-04-01 09:00+09:00）より後"),
    ("2024-03-01T09:00:00+09:00", "受理日時（2024-04-01 09:00+09:00）より前"),
    ("now", "時差付きの日時"),
    ("2024-03-31T10:00:00", "時差付きの日時"),
    ("2024-02-30T10:00:00+09:00", "時差付きの日時"),
    ("9" * 5000, "時差付きの日時"),
]
"""A time seen later than the clock, before receipt, a word, without offset, no such day, huge."""


def test_a_safety_time_in_the_future_before_receipt_or_unreadable_is_refused(client, state):
    from triage.decisions import connect
    from triage.decisions.notice_versions import notice_versions

    notice_id = _saved_id(post_entry(client, CALL))
    for typed, says in REFUSED_TIMES:
        r = client.post(
            f"/notices/{notice_id}/safety",
            data={"csrf_token": _token(client), "safety_confirmed_at": typed},
        )
        assert r.status_code == 422, typed
        (error,) = re.findall(r'<p class="error" role="alert" id="form-error">([^<]+)</p>', r.text)
        assert says in error and "\n" not in error
    forged = client.post(
        f"/notices/{notice_id}/safety",
        data={"csrf_token": "forged", "safety_confirmed_at": "2024-04-01T09:00:00+09:00"},
    )
    assert forged.status_code == 403
    conn = connect(state.settings.store)
    assert len(notice_versions(conn, notice_id)) == 1
    conn.close()


def test_the_safety_form_offers_the_page_clock(client):
    notice_id = _saved_id(post_entry(client, CALL))
    page = client.get(f"/notices/{notice_id}").text
    assert 'id="safety_confirmed_at" size="26" value="2024-04-01 09:00+09:00"' in page


def test_without_a_model_the_call_is_still_entered_and_saved(tmp_path):
    """Before any model is promoted: no suggestion on the form, but the notice is saved and
    its page shows what the national rules alone require."""
    from bare_web import add_worker as add_bare_worker
    from bare_web import bare_app

    store = tmp_path / "intake"
    app = bare_app(store)
    add_bare_worker(store, "worker1")
    with TestClient(app, follow_redirects=False) as client:
        client.headers["X-CSRF-Token"] = login(client)
        html = client.get("/notices/new").text
        assert 'data-has-model="0"' in html and "提案なし（モデルなし）。" in html
        checked = post_entry(client, CALL, "check")
        assert checked.status_code == 200 and '<div id="live-result" hidden>' in checked.text
        notice_id = _saved_id(post_entry(client, CALL))
        page = client.get(f"/notices/{notice_id}").text
        assert 'id="rules-only"' in page and "R-SEVERE" in page
