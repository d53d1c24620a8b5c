"""One score record as the line `triage score` prints: the CLI, the API and the store use this form."""

from __future__ import annotations

import json
from typing import Any


def score_line(record: dict[str, Any]) -> str:
    """The JSON text of one score record, without the newline (UTF-8, Japanese unescaped)."""
    return json.dumps(record, ensure_ascii=False)
