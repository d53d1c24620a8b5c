"""Does free text hold something that identifies a person? (e-mail, phone, postal code, number)

The override reason is the only free text kept, and the form asks for no
names or contact details. Names cannot be told from ordinary words; what can
be recognised is refused, in the forms people actually type them: full-width
digits and ＠ (NFKC folds them), every kind of dash or space between digit
groups, zero-width characters hidden inside a number, ``+81`` country codes.
The answer says what kind of identifier was found, never the text itself.
"""

from __future__ import annotations

import re
import unicodedata

EMAIL = "an e-mail address"
PHONE = "a phone number"
POSTAL = "a postal code"
NUMBER = "an individual number"

# Dash-like characters NFKC leaves as they are; each becomes "-".
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2796\u30fc\ufe58\ufe63"
_TO_HYPHEN = {ord(c): "-" for c in _DASHES}

_EMAIL = re.compile(r"[\w.+-]+\s*@\s*[\w-]+(?:\s*\.\s*[\w-]+)+")
_POSTAL = re.compile(r"〒|(?<![\d-])\d{3}\s?-\s?\d{4}(?![\d-])")
# Dates and times are numbers people write in reasons; taken out before digit
# groups are read, so "2024-04-01 10:30" is not a ten-digit number.
_DATE_OR_TIME = re.compile(
    r"(?<!\d)\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)|(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?!\d)"
)
# Digits with up to three separators between them: "090 - 1234 - 5678", "(03)1234.5678".
_DIGIT_GROUP = re.compile(r"\+?\s*\d(?:[\s.\-()]{0,3}\d)*")


def normalise(text: str) -> str:
    """The text as the patterns read it: NFKC, one hyphen, no invisible format characters."""
    text = unicodedata.normalize("NFKC", text).translate(_TO_HYPHEN)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def _number_kind(group: str) -> str | None:
    digits = re.sub(r"\D", "", group)
    if group.startswith("+"):
        return PHONE if len(digits) >= 8 else None
    if digits.startswith("0") and 10 <= len(digits) <= 11:
        return PHONE
    if len(digits) >= 10:  # the individual number has 12; other long numbers are refused too
        return NUMBER
    return None


def identifier_in_text(text: str) -> str | None:
    """What kind of identifier ``text`` seems to hold (``"a phone number"`` …), or None."""
    plain = normalise(text)
    if _EMAIL.search(plain):
        return EMAIL
    for group in _DIGIT_GROUP.findall(_DATE_OR_TIME.sub(" ; ", plain)):
        kind = _number_kind(group.strip())
        if kind is not None:
            return kind
    return POSTAL if _POSTAL.search(plain) else None
