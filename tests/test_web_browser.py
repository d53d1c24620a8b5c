"""The intake page in a real browser: Debian's Chromium through Playwright, uvicorn on loopback.

A worker logs in, opens the queue, opens an overdue notice, reads its rules
and factors in Japanese, overrides the tier with a reason; the decision is
then in the store, chained, and the chain verifies. Screenshots are kept in
``artifact_dir``.
"""

from __future__ import annotations

import pytest

from loopback import serving
from test_web import AS_OF, PASSWORD, SAMPLE, add_worker, open_web_state, trained_registry
from triage.contract import TIERS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on a real uvicorn in a thread, bound to loopback; yields (base URL, store)."""
    from triage.web.app import create_app

    registry = trained_registry(tmp_path_factory)
    store = tmp_path_factory.mktemp("intake-browser")
    add_worker(store, "kobayashi")
    # The whole sample at a pinned clock: the demo's last days hold no overdue notice.
    app = create_app(
        state=open_web_state(registry, store, routing_model=None, notices=SAMPLE, as_of=AS_OF)
    )
    with serving(app) as url:
        yield url, store


def test_a_worker_overrides_an_overdue_notice_and_the_decision_is_chained(
    server, browser, artifact_dir
):
    from triage.decisions import chain_rows, connect, decisions_for, verify_chain

    base, store = server
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        page.goto(f"{base}/queue")
        assert "/login" in page.url  # a stranger is sent to the login page
        page.fill("input[name=username]", "kobayashi")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/queue")
        assert page.locator("h1").inner_text() == "対応順の通告一覧"
        assert page.locator("#decision-support").is_visible()
        page.screenshot(path=str(artifact_dir / "web-1-queue.png"), full_page=False)

        overdue = page.locator("tr.overdue").first
        assert "期限超過" in overdue.inner_text()
        notice_id = overdue.get_attribute("data-notice")
        overdue.locator("a").click()
        page.wait_for_url(f"{base}/notices/{notice_id}")
        rules = page.locator("#rules").inner_text()
        assert "R-ONSITE" in rules and "［II］" in rules and "立入調査" in rules
        factors = page.locator("#factors").inner_text()
        assert "緊急度を上げる方向" in factors or "緊急度を下げる方向" in factors
        assert page.locator("#factors svg rect").count() >= 3
        assert "超過" in page.locator("#actions").inner_text()
        assert "安全を示すものではありません" in page.locator("#decision-support").inner_text()
        page.screenshot(path=str(artifact_dir / "web-2-notice.png"), full_page=True)

        suggested = page.locator("#decided_tier").get_attribute("data-suggested")
        other = next(t for t in TIERS if t != suggested)
        page.select_option("#decided_tier", other)
        assert page.locator("#override_reason").evaluate("e => e.required")  # app.js ran
        reason = "学校から本日登校を確認したとの連絡あり"
        page.fill("#override_reason", reason)
        page.click("#record-decision")
        page.wait_for_selector("#recorded")
        history = page.locator("#history").inner_text()
        assert "提案を変更" in history and reason in history
        page.screenshot(path=str(artifact_dir / "web-3-decided.png"), full_page=True)
    finally:
        context.close()
    assert not problems, problems  # no CSP violation, no script error

    conn = connect(store)
    (decision,) = decisions_for(conn, notice_id)
    assert decision["decided_by"] == "kobayashi"
    assert decision["decided_tier"] == other and decision["suggested_tier"] == suggested
    assert decision["tier_overridden"] is True and decision["override_reason"] == reason
    assert "R-ONSITE" in decision["rules"]
    assert verify_chain(chain_rows(conn)).ok
