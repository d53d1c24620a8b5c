"""The FastAPI application: pages, JSON API, static files, sessions and security headers."""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from triage.labels import DECISION_SUPPORT_NOTICE
from triage.web import api, auth_routes, pages
from triage.web.security import LoginRequired, LoginThrottle, SecurityHeaders, session_secret
from triage.web.state import WebSettings, WebState, open_state

SESSION_COOKIE = "triage_session"
MAX_BODY = 8 * 1024 * 1024
"""Largest request body: 1,000 notices take about 1.5 MB; anything far larger is refused (413)."""


def create_app(settings: WebSettings | None = None, *, state: WebState | None = None) -> FastAPI:
    """The app over ``settings`` (loads models and the store), or over a ready ``state``."""
    settings = settings or (state.settings if state else WebSettings())
    state = state or open_state(settings)
    state.throttle = LoginThrottle()
    app = FastAPI(
        title="triage: intake team API",
        description=DECISION_SUPPORT_NOTICE["en"],
        docs_url=None,  # Swagger UI and ReDoc load scripts from the internet
        redoc_url=None,
        openapi_url=None,  # served behind login at /api/openapi.json
        max_body_size=MAX_BODY,
    )
    app.state.web = state
    app.include_router(auth_routes.router)
    app.include_router(pages.router)
    app.include_router(api.router)
    app.mount(
        "/static",
        StaticFiles(directory=str(resources.files("triage.web") / "static")),
        name="static",
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings.store),
        session_cookie=SESSION_COOKIE,
        max_age=int(settings.session_hours * 3600),
        same_site="strict",
        https_only=settings.https_cookies,
    )
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired):
        from urllib.parse import quote

        # After login, come back to the page asked for; a form post is not replayed.
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            target = "/queue"
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    return app
