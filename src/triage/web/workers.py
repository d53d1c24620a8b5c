"""Who decided, as the worker asking may see it: their own login, never a colleague's.

The research export names workers by keyed pseudonyms (``W-…``) next to
decision ids, notice ids and times. If the page or the API showed logins next
to the same ids, anyone holding both could join them and undo the
pseudonyms. So a decision says only whether the viewer made it
(``decided_by_you``); another worker's decision carries no login, and no
chain hash either (the hash covers the login, so with the other fields it
would let one try each login until it matches). Who decided what stays in
the store, for ``triage decisions export --worker-ids`` by whoever runs it.
"""

from __future__ import annotations

from typing import Any

HIDDEN_FROM_OTHERS = ("decided_by", "hash", "prev_hash")


def decision_for_viewer(decision: dict[str, Any], viewer: str) -> dict[str, Any]:
    """``decision`` as ``viewer`` may see it (a new dict; ``decided_by_you`` added)."""
    mine = decision.get("decided_by") == viewer
    if mine:
        return {**decision, "decided_by_you": True}
    shown = {k: v for k, v in decision.items() if k not in HIDDEN_FROM_OTHERS}
    return {**shown, "decided_by": None, "decided_by_you": False}


def version_for_viewer(version: dict[str, Any], viewer: str) -> dict[str, Any]:
    """A notice version's entry as ``viewer`` may see it: who entered it, only to that worker
    (``entered_by_you``); a file import (``entered_by`` None) stays None."""
    mine = version.get("entered_by") == viewer
    return {**version, "entered_by": viewer if mine else None, "entered_by_you": mine}
