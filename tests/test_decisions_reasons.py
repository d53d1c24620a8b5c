"""Override reasons: visible text only, no control or reordering characters, no identifiers
in any of the forms people type them. Pure checks: no store needed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from triage.decisions import DecisionInput, identifier_in_text


def _decide(reason: str) -> DecisionInput:
    return DecisionInput(notice_id="N-1", decided_tier="urgent", override_reason=reason)


# ------------------------------------------------------------------ what the text is made of


@pytest.mark.parametrize(
    "reason",
    ["\u200b", "\u200b\u200c\u200d", "\u2060", "\ufeff", " \u200b\u3000\u00a0", "\u0301"],
    ids=["zwsp", "zw-joiners", "word-joiner", "bom", "spaces-and-zwsp", "lone-mark"],
)
def test_a_reason_without_visible_text_is_refused_naming_the_field(reason):
    with pytest.raises(ValidationError, match="no visible text") as err:
        _decide(reason)
    (error,) = err.value.errors()
    assert error["loc"] == ("override_reason",)


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("理由\x00です", "U+0000"),
        ("理由\x1b[31mです", "U+001B"),
        ("理由\x7fです", "U+007F"),
        ("理由\x85です", "U+0085"),
        ("理由\rです", "U+000D"),
    ],
    ids=["nul", "escape", "del", "c1-nel", "lone-cr"],
)
def test_a_reason_with_a_control_character_is_refused_naming_it_not_echoing_it(reason, code):
    with pytest.raises(ValidationError) as err:
        _decide(reason)
    (error,) = err.value.errors()
    assert error["loc"] == ("override_reason",)
    assert "control character" in error["msg"] and code in error["msg"]
    assert "理由" not in error["msg"]


def test_a_reason_with_a_lone_surrogate_is_refused_before_it_reaches_the_store():
    with pytest.raises(ValidationError) as err:
        _decide("理由\ud800です")
    assert err.value.errors()[0]["loc"] == ("override_reason",)


@pytest.mark.parametrize(
    "char",
    [
        "\u202a",
        "\u202b",
        "\u202c",
        "\u202d",
        "\u202e",
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
        "\u2028",
    ],
)
def test_a_reason_with_a_bidi_override_or_line_separator_is_refused(char):
    with pytest.raises(ValidationError, match="reorders or breaks lines"):
        _decide(f"visited {char}today")


def test_a_reason_keeps_tabs_and_line_breaks_and_a_forms_crlf_becomes_lf():
    assert _decide("first visit\tdone\r\nsecond: planned").override_reason == (
        "first visit\tdone\nsecond: planned"
    )
    assert _decide("  家庭訪問済み\u200d ").override_reason == "家庭訪問済み\u200d"
    assert _decide(
        "👨\u200d👩\u200d👧 家族で来所"
    ).override_reason  # ZWJ inside visible text is text


# ------------------------------------------------------------------ identifiers


@pytest.mark.parametrize(
    ("text", "what"),
    [
        # phones: every dash, spaces, dots, full width, zero-width inside, country code
        ("母の携帯 090-1234-5678 に連絡", "a phone number"),
        ("母の携帯 ０９０−１２３４−５６７８ に連絡", "a phone number"),
        ("母の携帯 ０９０－１２３４－５６７８", "a phone number"),
        ("090\u20101234\u20105678", "a phone number"),
        ("090\u20111234\u20115678", "a phone number"),
        ("090\u20121234\u20125678", "a phone number"),
        ("090\u20131234\u20135678", "a phone number"),
        ("090\u20141234\u20145678", "a phone number"),
        ("090\u22121234\u22125678", "a phone number"),
        ("090ー1234ー5678", "a phone number"),
        ("090ｰ1234ｰ5678", "a phone number"),
        ("090 1234 5678", "a phone number"),
        ("090.1234.5678", "a phone number"),
        ("090 - 1234 - 5678", "a phone number"),
        ("0 9 0 1 2 3 4 5 6 7 8", "a phone number"),
        ("(03)1234-5678", "a phone number"),
        ("090\u200b1234\u200b5678", "a phone number"),
        ("+81 90 1234 5678", "a phone number"),
        ("+81-90-1234-5678", "a phone number"),
        ("＋８１ ９０ １２３４ ５６７８", "a phone number"),
        ("+44 20 7946 0958", "a phone number"),
        # postal codes
        ("〒100-0001 の住所", "a postal code"),
        ("〒1000001", "a postal code"),
        ("住所は123-4567の近く", "a postal code"),
        ("住所は１２３ー４５６７の近く", "a postal code"),
        # e-mail
        ("連絡先 taro@example.jp", "an e-mail address"),
        ("連絡先 ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "an e-mail address"),
        ("連絡先 taro ＠ example . jp", "an e-mail address"),
        ("連絡先 taro﹫example.jp", "an e-mail address"),
        # the individual number (My Number), 12 digits in any grouping
        ("個人番号 123456789012", "an individual number"),
        ("個人番号 1234 5678 9012", "an individual number"),
        ("個人番号 1234-5678-9012", "an individual number"),
        ("個人番号 １２３４５６７８９０１２", "an individual number"),
    ],
)
def test_identifiers_in_a_reason_are_recognised_in_every_form(text, what):
    assert identifier_in_text(text) == what


@pytest.mark.parametrize(
    "text",
    [
        "3回目の通告、48時間以内に家庭訪問済み",
        "seen at school on 2024-04-01 at 10:30",
        "2024-04-01 10:30 に再訪問、2024/04/02 09:00 にも",
        "きょうだい2人、5歳と7歳",
        "年齢は１０歳、身長１２０cm",
        "tier changed after 2 visits (48 h), see rule R-12",
        "=HYPERLINK is not an address; @team please review",
    ],
)
def test_ordinary_reasons_with_numbers_are_not_taken_for_identifiers(text):
    assert identifier_in_text(text) is None


def test_what_was_found_is_named_never_the_value():
    kind = identifier_in_text("連絡先 090-1234-5678")
    assert kind == "a phone number" and "090" not in kind
