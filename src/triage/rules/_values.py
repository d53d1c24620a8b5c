"""Contract values as the rules read them, and the errors for values the contract refuses.

Shared by the facts of a notice frame (``_facts``) and of one notice dict
(``_record``), so that both refuse the same notices with the same words.
"""

from __future__ import annotations

import numpy as np

MISSING_REQUIRED = (
    "rules need {field!r} on every notice (required by notice.schema.json); "
    "missing at row position(s) {rows}"
)
NOT_IN_ENUM = "{field!r} holds values outside the contract's ({allowed}): {bad}"
NOT_A_TIME = "{field!r} holds values that are not date-times with offset at row position(s) {rows}"


def row_positions(mask: np.ndarray) -> str:
    """The first few row positions where ``mask`` holds, for an error message."""
    where = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in where[:5])
    return shown + (f" (+{len(where) - 5} more)" if len(where) > 5 else "")
