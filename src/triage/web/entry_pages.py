"""The intake call on the page: a new notice, entered while the caller is on the line, and
the safety confirmation recorded from the notice's page.

- ``GET /notices/new``: the form, every fact "not known", ``received_at`` the
  page's clock (``state.now()``, which ``serve --as-of`` pins).
- ``POST /notices/new``: ``action=check`` scores the facts without storing
  anything (the form comes back with the suggestion, rules, deadline and what
  to ask next); otherwise the notice is saved under a new pseudonymous id
  (``add_notice``) and the worker lands on its page (303). Invalid answers
  bring the form back (422) with every answer kept and a line beside each field.
- ``POST /notices/{id}/safety``: the time the child was seen, stored as an
  amendment (``amend_notice``): not later than the page's clock, not before
  the notice was received.

With JavaScript, ``static/new_notice.js`` keeps the suggestion up to date as
facts are entered, through ``POST /api/score``; the page works without it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from triage.contract import TIERS
from triage.decisions.notice_versions import (
    NoticeEntryError,
    add_notice,
    amend_notice,
    latest_version,
)
from triage.labels import ACTION_LABELS
from triage.web.entry_form import (
    DRAFT_ID,
    Entry,
    form_groups,
    other_errors,
    read_entry,
    received_default,
)
from triage.web.i18n import when_text
from triage.web.pages import notice_page
from triage.web.render import render, words
from triage.web.security import csrf_ok, page_user
from triage.web.views import notice_view, rule_view

router = APIRouter(include_in_schema=False)
User = Annotated[str, Depends(page_user)]

SEEN_EXAMPLE = "2024-04-01T10:30+09:00"
_SEEN_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
"""A moment typed with its offset; pandas alone would also take words such as "now"."""


async def _form_items(request: Request) -> list[tuple[str, Any]]:
    """The posted form's (key, value) pairs, repeats kept (``alleged_types`` is a list)."""
    form = await request.form()
    return list(form.multi_items())


def _forbidden(request: Request):
    return render(request, "error.html", {"message": "err_csrf"}, status=403)


@router.get("/notices/new")
def new_notice(request: Request, user: User):
    now = request.app.state.web.now()
    return _entry_page(request, Entry(answers={"received_at": received_default(now)}))


@router.post("/notices/new")
def post_new_notice(
    request: Request, user: User, items: Annotated[list[tuple[str, Any]], Depends(_form_items)]
):
    token = next((v for k, v in items if k == "csrf_token"), None)
    if not csrf_ok(request, token if isinstance(token, str) else None):
        return _forbidden(request)
    checking = any(k == "action" and v == "check" for k, v in items)
    entry = read_entry(items, now=request.app.state.web.now())
    if entry.errors:
        return _entry_page(request, entry, posted=True, status=422)
    if checking:
        return _entry_page(request, entry, posted=True)
    state = request.app.state.web
    conn = state.connect()
    try:
        saved = add_notice(conn, entry.facts, entered_by=user, source="page")
    except NoticeEntryError as exc:
        errors = {field: message for field, message in reversed(exc.errors)}
        refused = Entry(answers=entry.answers, facts=entry.facts, errors=errors)
        return _entry_page(request, refused, posted=True, status=exc.status)
    finally:
        conn.close()
    return RedirectResponse(f"/notices/{saved.notice_id}?entered=1", status_code=303)


def _all_actions(rules_by_id: dict[str, Any]) -> list[str]:
    """Every action a rule can add, labelled ones first, each once."""
    ids = list(ACTION_LABELS)
    for rule in rules_by_id.values():
        ids += [a for a in (*rule.actions, *rule.extra_actions) if a not in ids]
    return ids


def _check(request: Request, entry: Entry) -> dict[str, Any] | None:
    """What the page says of the draft now: the notice page's view of it, nothing stored."""
    state = request.app.state.web
    if entry.draft is None or state.scorer is None:
        return None
    w = words(request)
    now = state.now()
    # As /api/score scores one notice: from its dict, at the page's clock.
    (score,) = state.score(entry.draft, as_of=now, lang=w.lang)
    return notice_view(
        {"notice": {**entry.draft, "notice_id": DRAFT_ID}, "score": score, "score_hash": None},
        decisions=[],
        rules_by_id=state.rules_by_id,
        thresholds=state.scorer.urgency.thresholds,
        as_of=now,
        w=w,
    )


def _entry_page(request: Request, entry: Entry, *, posted: bool = False, status: int = 200):
    state = request.app.state.web
    w = words(request)
    checked = _check(request, entry) if posted else None
    fired = checked["score"]["rules"] if checked else []
    shown_actions = checked["score"]["actions"] if checked else []
    actions = shown_actions + [a for a in _all_actions(state.rules_by_id) if a not in shown_actions]
    return render(
        request,
        "new_notice.html",
        {
            "groups": form_groups(entry, w.lang),
            "other_errors": other_errors(entry),
            "n_errors": len(entry.errors),
            "posted": posted,
            "checked": checked,
            "still_needed": entry.still_needed,
            "all_rules": [rule_view(r, state.rules_by_id, w) for r in state.rules_by_id],
            "fired": fired,
            "actions": [(a, w.action(a), a in shown_actions) for a in actions],
            "has_model": state.scorer is not None,
            "tiers": TIERS,
            "received_example": received_default(state.now()),
        },
        status=status,
    )


# ---------------------------------------------------------------- the safety confirmation


def seen_time(text: str, *, now: pd.Timestamp, received_at: str, w: Any) -> tuple[str | None, str]:
    """The typed time the child was seen → (ISO 8601 to store, "") or (None, the problem)."""
    typed = unicodedata.normalize("NFKC", text).strip()
    if len(typed) > 40 or not _SEEN_TIME.fullmatch(typed):
        return None, w("err_safety_format", example=SEEN_EXAMPLE)
    try:
        seen = pd.Timestamp(typed)
    except ValueError:  # a day or hour out of range (2024-02-30, 25:00)
        return None, w("err_safety_format", example=SEEN_EXAMPLE)
    if seen > now:
        return None, w("err_safety_future", now=when_text(now))
    if seen < pd.Timestamp(received_at):
        return None, w("err_safety_before", received=when_text(received_at))
    return seen.isoformat(timespec="seconds"), ""


@router.post("/notices/{notice_id}/safety")
def confirm_safety(
    request: Request,
    user: User,
    notice_id: str,
    safety_confirmed_at: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
):
    if not csrf_ok(request, csrf_token):
        return _forbidden(request)
    state = request.app.state.web
    form = {"safety_confirmed_at": safety_confirmed_at[:40]}
    conn = state.connect()
    try:
        latest = latest_version(conn, notice_id)
        if latest is None:
            return render(request, "error.html", {"message": "err_not_found"}, status=404)
        seen, problem = seen_time(
            safety_confirmed_at,
            now=state.now(),
            received_at=latest.record["received_at"],
            w=words(request),
        )
        if seen is not None:
            try:
                amend_notice(
                    conn,
                    notice_id,
                    {"safety_confirmed_at": seen},
                    entered_by=user,
                    source="page",
                )
            except NoticeEntryError as exc:
                problem = str(exc)
    finally:
        conn.close()
    if problem:
        return notice_page(request, notice_id, user, error=problem, form=form, status=422)
    return RedirectResponse(f"/notices/{notice_id}?confirmed=1#actions", status_code=303)
