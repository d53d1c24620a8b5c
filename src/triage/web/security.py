"""Who is logged in, and CSRF tokens.

- Sessions live in the intake store (``triage.decisions.sessions``); the
  signed cookie holds only the session's random id (``sid``). Logout deletes
  the row, so the cookie and every copy of it stop working at once, across
  restarts too; so do an idle or an absolute timeout and disabling the login.
  Before login the cookie holds only the login form's CSRF token and the
  chosen language.
- Every page and API route depends on :func:`page_user` or :func:`api_user`:
  pages send a stranger to the login page (303), the API answers 401. The
  user must still be active in the store on every request.
- CSRF, forms: a synchronizer token (the session's, kept in the store; before
  login, the cookie's) sent as a hidden field in every form; every form POST
  compares it in constant time.
- CSRF, JSON API: every non-GET call must carry the same token in the
  ``X-CSRF-Token`` header. A cross-site page can make a browser send the
  cookie, but cannot set a custom header without a CORS preflight, which this
  server never grants; checking the token's value (not only the header's
  presence) also covers a hostile page on a sibling subdomain. The session
  cookie is SameSite=Strict and HttpOnly besides.
"""

from __future__ import annotations

import dataclasses
import hmac
import secrets

from fastapi import HTTPException, Request

from triage.decisions.sessions import StoredSession
from triage.web.i18n import lang_of

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SESSION_ID = "sid"
_RESOLVED = "triage_session"

NOT_LOGGED_IN = "not logged in: POST /api/login with your login and password first"
BAD_CSRF_HEADER = f"missing or wrong {CSRF_HEADER} header (get the token from GET /api/session)"
BAD_CSRF_FORM = "the form's security token is missing or stale; reload the page and try again"


def current_session(request: Request) -> StoredSession | None:
    """The request's live session (looked up once per request), or None."""
    if _RESOLVED in request.scope:
        return request.scope[_RESOLVED]
    sid = request.session.get(SESSION_ID)
    found = request.app.state.web.find_session(sid) if isinstance(sid, str) else None
    if sid is not None and found is None:
        request.session.clear()  # ended or expired: the browser drops the cookie
    request.scope[_RESOLVED] = found
    return found


def begin_session(request: Request, session: StoredSession) -> None:
    """After login: the cookie now holds only the new session's id (nothing from before)."""
    request.session.clear()
    request.session[SESSION_ID] = session.session_id
    request.scope[_RESOLVED] = session


def finish_session(request: Request) -> None:
    """Logout: the stored session is deleted and the cookie cleared."""
    session = current_session(request)
    if session is not None:
        request.app.state.web.end_session(session.session_id)
    request.session.clear()
    request.scope[_RESOLVED] = None


def visitor_lang(request: Request) -> str:
    """The session's language, else the one chosen on the login page, else Japanese."""
    session = current_session(request)
    if session is not None and session.lang:
        return lang_of(session.lang)
    return lang_of(request.session.get("lang"))


def set_visitor_lang(request: Request, lang: str) -> None:
    session = current_session(request)
    if session is None:
        request.session["lang"] = lang_of(lang)
        return
    request.app.state.web.set_session_lang(session.session_id, lang_of(lang))
    # This request's own page (if any) speaks the new language at once.
    request.scope[_RESOLVED] = dataclasses.replace(session, lang=lang_of(lang))


def csrf_token(request: Request) -> str:
    """The session's CSRF token; before login, the cookie's (made on first use)."""
    session = current_session(request)
    if session is not None:
        return session.csrf
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, given: str | None) -> bool:
    session = current_session(request)
    expected = session.csrf if session is not None else request.session.get("csrf")
    if not isinstance(expected, str) or not expected or not given:
        return False
    # As bytes: compare_digest refuses str with non-ASCII characters (a forged token may have them).
    return hmac.compare_digest(expected.encode(), str(given).encode())


class LoginRequired(Exception):
    """A page asked for by someone not logged in; the app redirects to the login page."""


def _active_user(request: Request) -> str | None:
    session = current_session(request)
    return None if session is None else session.user


def page_user(request: Request) -> str:
    user = _active_user(request)
    if user is None:
        raise LoginRequired()
    return user


def api_user(request: Request) -> str:
    user = _active_user(request)
    if user is None:
        raise HTTPException(
            401, NOT_LOGGED_IN, headers={"WWW-Authenticate": 'Session realm="triage"'}
        )
    if request.method not in ("GET", "HEAD") and not csrf_ok(
        request, request.headers.get(CSRF_HEADER)
    ):
        raise HTTPException(403, BAD_CSRF_HEADER)
    return user


def safe_next(target: str | None) -> str:
    """A local path to go to after login; anything else (another site) becomes the queue."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/queue"
    return target
