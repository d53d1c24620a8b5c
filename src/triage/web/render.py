"""Server-side pages: Jinja templates with the words, the user, the CSRF token and the banners."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from triage.labels import value_label
from triage.web.i18n import Words, when_text
from triage.web.security import CSRF_FIELD, csrf_token, current_session, visitor_lang

templates = Jinja2Templates(directory=str(resources.files("triage.web") / "templates"))
templates.env.autoescape = True  # every value is escaped, .html or not
templates.env.globals.update(
    when=when_text, route_label=lambda route, lang: value_label("route", route, lang)
)


def words(request: Request) -> Words:
    return Words(visitor_lang(request))


def banners(request: Request, w: Words) -> list[dict[str, str]]:
    state = request.app.state.web
    out = []
    if state.synthetic:
        out.append({"css": "info", "text": w("synthetic_banner", clock=when_text(state.now()))})
    if state.scorer is None:
        out.append({"css": "alert", "text": w("no_model", detail=state.model_problem or "")})
    elif state.not_champion:
        out.append({"css": "alert", "text": w("not_champion", model=state.not_champion)})
    if state.routing_missing:
        out.append({"css": "info", "text": w("no_routing")})
    return out


def render(request: Request, name: str, context: dict[str, Any], *, status: int = 200):
    w = words(request)
    session = current_session(request)
    user = None if session is None else session.user
    base = {
        "w": w,
        "user": user,
        "csrf_field": CSRF_FIELD,
        "csrf": csrf_token(request),
        "banners": banners(request, w) if user else [],
        "clock": when_text(request.app.state.web.now()),
        "path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)
