"""The FastAPI application: pages, JSON API, static files, sessions, faults and security headers."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from triage.labels import DECISION_SUPPORT_NOTICE
from triage.web import api, auth_routes, entry_pages, pages, review_page
from triage.web.body_limit import RefuseLargeBodies
from triage.web.faults import install_fault_handlers
from triage.web.headers import SecurityHeaders
from triage.web.login_limiter import LoginLimiter
from triage.web.password_checks import PasswordChecks
from triage.web.problems import component_schemas
from triage.web.security import LoginRequired
from triage.web.session_cookie import SessionCookie
from triage.web.session_secret import session_secret
from triage.web.state import WebSettings, WebState, open_state

SESSION_COOKIE = "triage_session"
MAX_BODY = 8 * 1024 * 1024
"""Largest request body: 1,000 notices take about 1.5 MB; anything far larger is refused (413)."""


class TriageApp(FastAPI):
    def openapi(self) -> dict[str, Any]:
        document = super().openapi()  # built once, then cached by FastAPI
        # Models the API's schema names by $ref inside hand-written schemas (no route
        # returns them as such, so FastAPI would not list them).
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for name, schema in component_schemas(api.EXTRA_COMPONENTS).items():
            schemas.setdefault(name, schema)
        return document

    def build_middleware_stack(self) -> Any:
        # Outside everything, Starlette's ServerErrorMiddleware included: its 500s
        # would otherwise leave without the security headers.
        return SecurityHeaders(RefuseLargeBodies(super().build_middleware_stack(), MAX_BODY))


def create_app(settings: WebSettings | None = None, *, state: WebState | None = None) -> FastAPI:
    """The app over ``settings`` (loads models and the store), or over a ready ``state``.

    Raises ``WeakSessionSecret`` before anything else when the session secret is weak.
    """
    settings = settings or (state.settings if state else WebSettings())
    secret = session_secret(settings.store)
    state = state or open_state(settings)
    state.login_limiter = LoginLimiter()
    state.password_checks = PasswordChecks()
    app = TriageApp(
        title="triage: intake team API",
        description=DECISION_SUPPORT_NOTICE["en"],
        docs_url=None,  # Swagger UI and ReDoc load scripts from the internet
        redoc_url=None,
        openapi_url=None,  # served behind login at /api/openapi.json
        max_body_size=MAX_BODY,
    )
    app.state.web = state
    app.include_router(auth_routes.router)
    app.include_router(entry_pages.router)  # before pages: /notices/new is no notice's id
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(review_page.router)
    app.mount(
        "/static",
        StaticFiles(directory=str(resources.files("triage.web") / "static")),
        name="static",
    )
    app.add_middleware(
        SessionCookie,
        secret=secret,
        cookie=SESSION_COOKIE,
        max_age=int(settings.session_hours * 3600),
        always_secure=settings.behind_tls_proxy,
    )
    install_fault_handlers(app)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired):
        from urllib.parse import quote

        # After login, come back to the page asked for; a form post is not replayed.
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            target = "/queue"
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    return app
