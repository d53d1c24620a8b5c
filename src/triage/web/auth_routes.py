"""Login, logout, language: the only pages a stranger may open are the login page and /healthz.

The login routes are ``async``: a login waits for its password check on the
event loop (see ``password_checks.py``), never in the thread pool the
logged-in workers' pages and API calls need; the limiter (``login_limiter.py``)
decides first whether the try may happen at all.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from triage.decisions.sessions import StoredSession
from triage.web.i18n import lang_of
from triage.web.login_limiter import LoginLimiter, Pending, Refused, Reservation
from triage.web.password_checks import TooBusy
from triage.web.render import render
from triage.web.security import (
    SESSION_ID,
    begin_session,
    csrf_ok,
    finish_session,
    page_user,
    safe_next,
    set_visitor_lang,
    visitor_lang,
)

router = APIRouter(include_in_schema=False)

BUSY_RETRY_AFTER = 5
"""Seconds to wait when too many logins are already waiting for a password check."""
MAX_LIMITER_WAIT = 20.0
"""Seconds a login may wait for tries in flight at its login or address to settle: fifty
colleagues logging in at once behind one address take about 12 s on two cores (one
argon2 check at a time, ~0.25 s each). Longer, and it is answered 'busy' (429)."""
POLL = 0.02
"""Seconds between looks at whether a try in flight has settled (a counter read, no lock)."""


@dataclass(frozen=True)
class LoginOutcome:
    session: StoredSession | None = None
    # The catalogue key of the message: login_failed, login_throttled, login_busy.
    problem: str | None = None
    retry_after: int | None = None

    @property
    def status(self) -> int:
        if self.problem is None:
            return 200
        return 429 if self.retry_after is not None else 401

    @property
    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _lang_before_login(request: Request) -> str | None:
    if SESSION_ID in request.session:  # logging in again: keep that session's language
        return await run_in_threadpool(visitor_lang, request)
    lang = request.session.get("lang")
    return lang_of(lang) if lang else None


def _replace_session(state, old_id: object, user: str, lang: str | None) -> StoredSession:
    if isinstance(old_id, str):
        state.end_session(old_id)  # nothing of an earlier session survives a login
    return state.open_session(user, lang)


async def attempt_login(request: Request, username: str, password: str) -> LoginOutcome:
    """Check the password (if the limiter allows a try now) and start a session on success.

    The login holds a place in the bounded waiting room throughout, its wait
    for the limiter included, so a flood of logins holds at most that many.
    """
    state = request.app.state.web
    lang = await _lang_before_login(request)
    try:
        with state.password_checks.place():
            return await _judged_login(request, state, username, password, lang)
    except TooBusy:
        return LoginOutcome(problem="login_busy", retry_after=BUSY_RETRY_AFTER)


async def _judged_login(
    request: Request, state, username: str, password: str, lang: str | None
) -> LoginOutcome:
    reservation = await _reserve(state.login_limiter, username, _client(request))
    if isinstance(reservation, Refused):
        return LoginOutcome(problem="login_throttled", retry_after=reservation.retry_after)
    if reservation is None:
        return LoginOutcome(problem="login_busy", retry_after=BUSY_RETRY_AFTER)
    try:
        ok = await state.password_checks.check(state.check_password, username, password)
    except BaseException:
        # A store fault, or the client went away: no password was judged.
        state.login_limiter.cancelled(reservation)
        raise
    if not ok:
        state.login_limiter.failed(reservation)
        return LoginOutcome(problem="login_failed")
    try:
        session = await run_in_threadpool(
            _replace_session, state, request.session.get(SESSION_ID), username, lang
        )
    finally:
        state.login_limiter.succeeded(reservation)
    begin_session(request, session)
    return LoginOutcome(session=session)


async def _reserve(limiter: LoginLimiter, user: str, client: str) -> Reservation | Refused | None:
    """The limiter's answer, after waiting while tries in flight hold the free ones; None when
    they have not settled within ``MAX_LIMITER_WAIT``."""
    deadline = time.monotonic() + MAX_LIMITER_WAIT
    while True:
        seen = limiter.settled
        got = limiter.reserve(user, client)
        if not isinstance(got, Pending):
            return got
        while limiter.settled == seen:
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(POLL)


@router.get("/login")
def login_page(request: Request, next: str = "/queue", lang: str | None = None):
    if lang:
        set_visitor_lang(request, lang)
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/queue",
):
    target = safe_next(next)
    if not await run_in_threadpool(csrf_ok, request, csrf_token):
        return await run_in_threadpool(
            render, request, "login.html", {"next": target, "error": "err_csrf"}, status=403
        )
    outcome = await attempt_login(request, username, password)
    if outcome.problem:
        page = await run_in_threadpool(
            render,
            request,
            "login.html",
            {"next": target, "error": outcome.problem},
            status=outcome.status,
        )
        page.headers.update(outcome.headers)
        return page
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(
    request: Request,
    user: Annotated[str, Depends(page_user)],
    csrf_token: Annotated[str, Form()] = "",
):
    if not csrf_ok(request, csrf_token):
        return render(request, "error.html", {"message": "err_csrf"}, status=403)
    finish_session(request)
    return RedirectResponse("/login", status_code=303)


@router.post("/lang")
def switch_language(
    request: Request,
    user: Annotated[str, Depends(page_user)],
    lang: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/queue",
):
    if not csrf_ok(request, csrf_token):
        return render(request, "error.html", {"message": "err_csrf"}, status=403)
    set_visitor_lang(request, lang)
    return RedirectResponse(safe_next(next), status_code=303)


@router.get("/healthz")
def health(request: Request):
    """Liveness only: says nothing about notices or users."""
    return JSONResponse({"status": "ok"})
