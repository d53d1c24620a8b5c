"""The HTML model card in a real headless Chromium: offline, no errors, Japanese in a CJK font.

The card is built from the same CI run as ``tests/test_report.py`` (one run per session).
A full-page screenshot of each card is kept in ``artifact_dir`` for a person to look at.
"""

from __future__ import annotations

import re

import pytest

from test_report import ci_run
from triage.report import build_card, write_card
from triage.report._text import TITLES

pytestmark = pytest.mark.slow

CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
CJK_FONTS = ("Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Yu Gothic", "Meiryo")


@pytest.fixture(scope="module")
def html_cards(tmp_path_factory) -> dict:
    store = ci_run(tmp_path_factory.getbasetemp())
    (run_id,) = store.runs.values()
    out = {}
    for lang in ("ja", "en"):
        card = build_card(run_id, lang=lang, client=store.client)
        html, _, _ = write_card(card, tmp_path_factory.mktemp(f"browser_{lang}"))
        out[lang] = html
    return out


def _open(browser, path):
    """The card in a fresh page; every request and every console or page error recorded."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    return page, requests, errors


def test_the_card_renders_offline_without_errors_and_a_screenshot_is_kept(
    browser, artifact_dir, html_cards
):
    for lang, path in html_cards.items():
        page, requests, errors = _open(browser, path)
        try:
            assert page.url == path.as_uri()
            leaving = [u for u in requests if u != page.url and not u.startswith("data:")]
            assert leaving == [], f"requests left the page: {leaving}"
            assert errors == []
            images = page.locator("img")
            assert images.count() >= 3  # calibration, capacity curve, explanations
            loaded = page.eval_on_selector_all(
                "img", "els => els.map(e => e.complete && e.naturalWidth > 0)"
            )
            assert all(loaded)
            shot = artifact_dir / f"model_card_{lang}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 50_000
        finally:
            page.close()


def test_lang_ja_shows_japanese_headings_drawn_in_a_cjk_font(browser, html_cards):
    page, _, errors = _open(browser, html_cards["ja"])
    try:
        headings = page.locator("h2").all_inner_texts()
        assert headings[:3] == [TITLES[k][1] for k in ("intended_use", "data", "model")]
        assert all(CJK.search(h) for h in headings), headings
        assert CJK.search(page.locator("h1").inner_text())
        family = page.evaluate("getComputedStyle(document.querySelector('h2')).fontFamily")
        names = [f.strip().strip('"') for f in family.split(",")]
        assert names[: len(CJK_FONTS)] == list(CJK_FONTS) and names[-1] == "sans-serif"
        assert errors == []  # before DevTools is attached (it logs its own file:// notice)
        # What Chromium actually drew the heading with: a CJK font for every glyph.
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "#performance h2"})
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
        assert fonts, "no font reported for the heading"
        assert all("CJK" in f["familyName"] or "JP" in f["familyName"] for f in fonts), fonts
        assert sum(f["glyphCount"] for f in fonts) == len(TITLES["performance"][1])
    finally:
        page.close()
    en, _, _ = _open(browser, html_cards["en"])
    try:
        assert en.locator("h2").first.inner_text() == TITLES["intended_use"][0]
    finally:
        en.close()
