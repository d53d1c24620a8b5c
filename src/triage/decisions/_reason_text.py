"""What an override reason may be made of: visible text, spaces, tabs and line breaks.

The reason is shown on the page, written to the export and read in
spreadsheets. Control characters (NUL, escapes, C1) corrupt those copies;
bidirectional overrides make text read differently from how it is stored; a
reason of only spaces or zero-width characters is no reason. Each is refused
with what was wrong (the character's code point, never the text).
"""

from __future__ import annotations

import unicodedata

ALLOWED_CONTROLS = frozenset("\n\t")
# Embeddings, overrides and isolates (U+202A–202E, U+2066–2069), and the line
# and paragraph separators that end a line for some readers but not others.
REFUSED_FORMATS = frozenset(
    chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029)
)
VISIBLE_CATEGORIES = frozenset("LNPS")  # letters, numbers, punctuation, symbols

CONTROL = "has a control character ({code}); only text, spaces, tabs and line breaks are kept"
REORDERING = (
    "has a character that reorders or breaks lines ({code}), so the text would read "
    "differently from how it is stored"
)
INVISIBLE = "has no visible text (only spaces, zero-width or formatting characters)"


def _code(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def check_reason_text(text: str) -> str:
    """``text`` with CRLF as LF, or ``ValueError`` saying which rule it breaks."""
    text = text.replace("\r\n", "\n")
    for ch in text:
        if ch in ALLOWED_CONTROLS:
            continue
        if ch in REFUSED_FORMATS:
            raise ValueError(REORDERING.format(code=_code(ch)))
        if unicodedata.category(ch) in ("Cc", "Cs"):  # Cs: a lone surrogate, not text at all
            raise ValueError(CONTROL.format(code=_code(ch)))
    if not any(unicodedata.category(ch)[0] in VISIBLE_CATEGORIES for ch in text):
        raise ValueError(INVISIBLE)
    return text
