"""Login, logout, language: the only pages a stranger may open are the login page and /healthz."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse

from triage.decisions.users import authenticate
from triage.web.i18n import lang_of
from triage.web.render import render
from triage.web.security import csrf_ok, page_user, safe_next

router = APIRouter(include_in_schema=False)


def start_session(request: Request, user: str) -> None:
    """A fresh session on login: nothing from before it survives but the language."""
    import secrets

    lang = request.session.get("lang")
    request.session.clear()
    request.session.update({"user": user, "csrf": secrets.token_urlsafe(32)})
    if lang:
        request.session["lang"] = lang


def check_login(request: Request, username: str, password: str) -> str | None:
    """None when the login succeeded, else the key of the message to show."""
    state = request.app.state.web
    if state.throttle.blocked(username):
        return "login_throttled"
    conn = state.connect()
    try:
        ok = authenticate(conn, username, password)
    finally:
        conn.close()
    if not ok:
        state.throttle.failed(username)
        return "login_failed"
    state.throttle.succeeded(username)
    return None


@router.get("/login")
def login_page(request: Request, next: str = "/queue", lang: str | None = None):
    if lang:
        request.session["lang"] = lang_of(lang)
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/queue",
):
    if not csrf_ok(request, csrf_token):
        return render(
            request, "login.html", {"next": safe_next(next), "error": "err_csrf"}, status=403
        )
    problem = check_login(request, username, password)
    if problem:
        status = 429 if problem == "login_throttled" else 401
        return render(
            request, "login.html", {"next": safe_next(next), "error": problem}, status=status
        )
    start_session(request, username)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(
    request: Request,
    user: Annotated[str, Depends(page_user)],
    csrf_token: Annotated[str, Form()] = "",
):
    if not csrf_ok(request, csrf_token):
        return render(request, "error.html", {"message": "err_csrf"}, status=403)
    request.session.clear()
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
    request.session["lang"] = lang_of(lang)
    return RedirectResponse(safe_next(next), status_code=303)


@router.get("/healthz")
def health(request: Request):
    """Liveness only: says nothing about notices or users."""
    return JSONResponse({"status": "ok"})
