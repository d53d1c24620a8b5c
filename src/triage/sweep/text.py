"""The fixed words of a sweep's report and figures, in the language asked for (``SWEEP_TEXT``)."""

from __future__ import annotations

from triage.contract.errors import InvalidParameter
from triage.labels import LANGS
from triage.labels.catalogue import SWEEP_TEXT


def sweep_text(phrase: str, lang: str, **fields: object) -> str:
    """``SWEEP_TEXT[phrase]`` in ``lang`` (en or ja), with its ``{name}`` fields filled in."""
    if lang not in LANGS:
        raise InvalidParameter(f"lang: expected one of {list(LANGS)}, got {lang!r}", param="lang")
    text = SWEEP_TEXT[phrase][LANGS.index(lang)]
    return text.format(**fields) if fields else text


def metric_label(outcome: str, metric: str, lang: str) -> str:
    """``recall at capacity, true outcome``: a headline metric and what it is judged against."""
    return sweep_text(
        "metric_caption",
        lang,
        metric=sweep_text(f"metric_{metric}", lang),
        outcome=sweep_text(f"outcome_{outcome}", lang),
    )
