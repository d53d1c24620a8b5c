"""The fixed words of a figure in the language it is drawn in (``triage.labels``' ``FIGURE_TEXT``).

Japanese words need a CJK font first in matplotlib's list; this layer cannot look for
one (``triage.explain.fonts`` is beside it), so a caller drawing Japanese resolves the
language with ``triage.explain.figures.figure_lang`` first, as the card and the run do.
"""

from __future__ import annotations

from triage.contract.errors import InvalidParameter
from triage.labels import LANGS
from triage.labels.catalogue import FIGURE_TEXT


def figure_text(key: str, lang: str, **fields: object) -> str:
    """``FIGURE_TEXT[key]`` in ``lang`` (en or ja), with its ``{name}`` fields filled in."""
    if lang not in LANGS:
        raise InvalidParameter(f"lang: expected one of {list(LANGS)}, got {lang!r}", param="lang")
    text = FIGURE_TEXT[key][LANGS.index(lang)]
    return text.format(**fields) if fields else text
