"""Values as strict JSON text: what any JSON parser reads back, whatever the values were.

``json.dumps`` writes ``NaN`` and ``Infinity`` by default, which are not JSON
(a strict parser refuses the whole line). Here a non-finite number is written
as the string ``"NaN"``, ``"Infinity"`` or ``"-Infinity"`` (saying what it
was), and a value nested beyond ``MAX_DEPTH`` as a string saying so.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

MAX_DEPTH = 32
TOO_DEEP = f"(nested deeper than {MAX_DEPTH} levels, not written)"


def json_line(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """``value`` as one line of strict JSON (UTF-8 characters kept, not escaped).

    The common case costs one ``json.dumps``; only a value that holds a
    non-finite number or nests too deep is rewritten first.
    """
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, default=default)
    except (ValueError, RecursionError):
        return json.dumps(
            _strict(value, default, 0), ensure_ascii=False, allow_nan=False, default=default
        )


def _strict(value: Any, default: Callable[[Any], Any] | None, depth: int) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, (Mapping, list, tuple)) and depth >= MAX_DEPTH:
        return TOO_DEEP
    if isinstance(value, Mapping):
        return {str(k): _strict(v, default, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(v, default, depth + 1) for v in value]
    if default is not None and not isinstance(value, (str, int, float, bool, type(None))):
        return _strict(default(value), None, depth)
    return value
