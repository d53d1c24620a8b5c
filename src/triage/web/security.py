"""Logins, CSRF tokens, security headers and the session secret.

- Every page and API route depends on :func:`page_user` or :func:`api_user`:
  pages send a stranger to the login page (303), the API answers 401. The
  user must still be active in the store on every request, so disabling a
  login takes effect at once.
- CSRF, forms: a synchronizer token kept in the signed session and sent as a
  hidden field in every form; every form POST compares it in constant time.
- CSRF, JSON API: every non-GET call must carry the same token in the
  ``X-CSRF-Token`` header. A cross-site page can make a browser send the
  cookie, but cannot set a custom header without a CORS preflight, which this
  server never grants; checking the token's value (not only the header's
  presence) also covers a hostile page on a sibling subdomain. The session
  cookie is SameSite=Strict and HttpOnly besides.
- Headers on every response: a CSP of ``default-src 'self'`` (no inline
  script; ``data:`` images allowed), nosniff, frame denial, no referrer,
  ``Cache-Control: no-store`` (case data must not linger in caches).
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request

SECRET_ENV = "TRIAGE_SESSION_SECRET"
SECRET_FILE = "session.key"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS: tuple[tuple[bytes, bytes], ...] = tuple(
    (k.lower().encode(), v.encode())
    for k, v in (
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
        ("Cache-Control", "no-store"),
    )
)

NOT_LOGGED_IN = "not logged in: POST /api/login with your login and password first"
BAD_CSRF_HEADER = f"missing or wrong {CSRF_HEADER} header (get the token from GET /api/session)"
BAD_CSRF_FORM = "the form's security token is missing or stale; reload the page and try again"


def session_secret(store: Path) -> str:
    """``$TRIAGE_SESSION_SECRET``, else a random key kept in the store folder (mode 600)."""
    env = os.environ.get(SECRET_ENV)
    if env:
        return env
    path = store / SECRET_FILE
    if not path.is_file():
        store.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


class SecurityHeaders:
    """ASGI middleware adding ``HEADERS`` to every HTTP response (pure ASGI: no per-request task)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                names = {k for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, given: str | None) -> bool:
    expected = request.session.get("csrf")
    return bool(expected and given) and hmac.compare_digest(str(expected), str(given))


class LoginRequired(Exception):
    """A page asked for by someone not logged in; the app redirects to the login page."""


def _active_user(request: Request) -> str | None:
    user = request.session.get("user")
    if not user:
        return None
    if not request.app.state.web.user_active(user):
        request.session.clear()
        return None
    return user


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


class LoginThrottle:
    """At most ``limit`` failed logins per name in ``window`` seconds (argon2 slows each try too)."""

    def __init__(self, limit: int = 5, window: float = 900.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, name: str, now: float) -> deque[float]:
        q = self._failures.setdefault(name, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def blocked(self, name: str) -> bool:
        with self._lock:
            return len(self._recent(name, time.monotonic())) >= self.limit

    def failed(self, name: str) -> None:
        with self._lock:
            self._recent(name, time.monotonic()).append(time.monotonic())

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name, None)
