"""The JSON API: score notices, read the queue, record decisions; notices pushed in by
another system and their amendments are ``api_notices.py``.

Every route needs a logged-in session; every non-GET route also needs the
``X-CSRF-Token`` header (see ``security.py``). ``POST /api/score`` answers
with exactly the JSON of `triage score` for the same notice, model and
``as_of``: the same scorer and the same line formatter (``triage.scoring.lines``).
One notice is scored from its dict, without a DataFrame (``Scorer.score``
takes either; a test checks both give the same record).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from triage.decisions import DecisionError, DecisionInput, decisions_for
from triage.labels import ui_text
from triage.scoring.lines import score_line
from triage.web import api_notices
from triage.web.auth_routes import attempt_login
from triage.web.i18n import request_lang
from triage.web.intake import latest_version_numbers
from triage.web.json_body import Utf8JsonRoute
from triage.web.notice_items import (
    Options,
    component,
    contract_schema,
    item_error,
    notices_body_schema,
    read_notices,
    rejected,
)
from triage.web.problems import ProblemOut, ScoreBatch, ScoreProblem, problem
from triage.web.queue import QueueFilters
from triage.web.redact import without_value
from triage.web.security import CSRF_HEADER, api_user, current_session, finish_session
from triage.web.workers import decision_for_viewer, version_for_viewer

NO_NOTICE = "notice_id: no notice with this id in the store"
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ProblemOut, "description": "Not logged in (or the session ended)."},
    403: {"model": ProblemOut, "description": "A POST without the right X-CSRF-Token header."},
    413: {"model": ProblemOut, "description": "The body is larger than the server takes."},
    415: {"model": ProblemOut, "description": "A body sent as anything but application/json."},
    422: {
        "model": ProblemOut,
        "description": "The request does not fit the API (the body not JSON in UTF-8, a field "
        "or query parameter missing or invalid): ``detail`` names the field and the rule.",
    },
    503: {
        "model": ProblemOut,
        "description": "The intake store cannot be used just now (its lock held, the disk "
        "full): nothing was recorded; try again after the seconds in Retry-After.",
    },
}
"""Answers any route may give (every route reads the store: the session is kept there)."""
router = APIRouter(
    prefix="/api", tags=["api"], route_class=Utf8JsonRoute, responses=COMMON_RESPONSES
)
router.include_router(api_notices.router)  # POST /api/notices, .../amendments
User = Annotated[str, Depends(api_user)]


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class SessionOut(BaseModel):
    user: str
    csrf_token: str = Field(description=f"send it as the {CSRF_HEADER} header on every POST")
    lang: Literal["ja", "en"]


class DecisionOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    decision_id: int
    notice_id: str
    hash: str
    prev_hash: str


def _session_out(session) -> SessionOut:
    return SessionOut(
        user=session.user,
        csrf_token=session.csrf,
        lang="en" if session.lang == "en" else "ja",
    )


@router.post(
    "/login",
    response_model=SessionOut,
    responses={
        401: {"model": ProblemOut, "description": "Wrong login or password."},
        429: {
            "model": ProblemOut,
            "description": "Too many failed tries from this address or at this login, or too "
            "many logins being checked at once: wait the seconds in the Retry-After header.",
        },
    },
)
async def api_login(request: Request, body: LoginIn) -> SessionOut:
    """Log in; the session cookie is set and the CSRF token for later POSTs returned.

    Only ``application/json`` is taken (415 otherwise, see ``json_body.py``): a
    form on another site cannot send it without a CORS preflight, which this
    server never answers. Messages are in the language chosen on the login
    page, else the ``Accept-Language``'s.
    """
    outcome = await attempt_login(request, body.username, body.password)
    if outcome.problem:
        raise HTTPException(
            outcome.status, ui_text(outcome.problem, request_lang(request)), headers=outcome.headers
        )
    return _session_out(outcome.session)


@router.post("/logout", status_code=204)
def api_logout(request: Request, user: User) -> Response:
    """End the session: its cookie (and any copy of it) stops working at once."""
    finish_session(request)
    return Response(status_code=204)


@router.get("/session", response_model=SessionOut)
def api_session(request: Request, user: User) -> SessionOut:
    """Who is logged in, and the CSRF token to send as the X-CSRF-Token header."""
    return _session_out(current_session(request))


_SCORE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One notice in: its score record. A list in: all scores, no errors.",
        "content": {
            "application/json": {
                "schema": {"oneOf": [contract_schema("score"), {"$ref": component("ScoreBatch")}]}
            }
        },
    },
    422: {
        "description": (
            "Some notices were invalid (``ScoreProblem``): a list in, the valid ones are still "
            "scored (``scores``) beside the ``errors`` of the rest; one notice in, ``errors`` "
            "only. Or the request itself did not fit (``ProblemOut``: a query parameter, or a "
            "body that is no notice nor list of them)."
        ),
        "model": ScoreProblem | ProblemOut,
    },
    503: {
        "description": "No model is loaded (none promoted), or the store cannot be used now.",
        "model": ProblemOut,
    },
}
EXTRA_COMPONENTS = (ScoreBatch,)
"""Models the schema refers to by hand (inside a ``oneOf``), so FastAPI does not list them."""


@router.post(
    "/score",
    responses=_SCORE_RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": notices_body_schema()}},
        }
    },
)
def api_score(
    request: Request,
    user: User,
    body: Annotated[Any, Body()],
    options: Options,
) -> Response:
    """Score one notice (an object) or a list of them, as `triage score` does.

    Identifier-like fields (names, addresses, phone numbers, free text) are
    refused as everywhere else: the notice is rejected and the value never echoed.
    Without ``as_of`` the notices are scored at the page's clock, so the API and
    the page say the same of the same notice.
    """
    state = request.app.state.web
    if state.scorer is None:
        raise HTTPException(503, state.model_problem)
    sent = read_notices(state, body, options.as_of)
    if isinstance(sent, JSONResponse):
        return sent
    single = isinstance(body, dict)
    items, result = sent.items, sent.result
    errors = [item_error(items, e) for e in result.errors]
    # One notice is scored from its dict (no DataFrame: the fast path); a list as a frame.
    # (A JSON body always keeps its ``records``; only a table source leaves them None.)
    notices = (
        result.records[0]
        if single and result.n_valid and result.records is not None
        else result.valid
    )
    records = state.score(notices, as_of=sent.when, **options.score_kw()) if result.n_valid else []
    lines = [score_line(r) for r in records]
    status = 422 if errors else 200
    if single and not errors:
        text = lines[0]
    elif single:
        text = json.dumps({**rejected(items, errors), "scores": []}, ensure_ascii=False)
    else:
        # The score lines are spliced in as `triage score` wrote them (no re-encoding).
        head = json.dumps(rejected(items, errors) if errors else {"errors": []}, ensure_ascii=False)
        text = head[:-1] + ',"scores":[' + ",".join(lines) + "]}"
    return Response(text.encode("utf-8"), status_code=status, media_type="application/json")


@router.get("/queue")
def api_queue(
    request: Request,
    user: User,
    filters: Annotated[QueueFilters, Query()],
) -> dict[str, Any]:
    """The queue as the page shows it: suggested tier, then safety deadline, overdue first;
    each notice's ``version`` is the one its suggestion was made on (its latest).

    Without a model (``rules_only``): no suggested tier (null); ordered, counted and
    filtered by the national rules' floor.
    """
    state = request.app.state.web
    page = state.queue_page(filters)
    data = page.data()
    conn = state.connect()
    try:
        versions = latest_version_numbers(conn, [e["notice_id"] for e in data["queue"]])
    finally:
        conn.close()
    for entry in data["queue"]:
        entry["version"] = versions[entry["notice_id"]]
        if entry["decision"] is not None:
            entry["decision"] = decision_for_viewer(entry["decision"], user)
    return data


@router.get(
    "/notices/{notice_id}",
    responses={404: {"model": ProblemOut, "description": "No notice with this id in the store."}},
)
def api_notice(request: Request, user: User, notice_id: str) -> dict[str, Any]:
    """A stored notice's latest version, its current score (with ``score_hash``) and every
    decision on it; ``version`` is the version shown, ``versions`` each one's number, when
    it was entered, and whether by you (``entered_by`` names only you; null otherwise).

    Without a model, ``score`` is null and ``rules_verdict`` holds what the national
    rules alone say of it at the page's clock (floor, rules, actions, deadline).

    Decisions name their worker only to that worker (``decided_by_you``): the
    research export's pseudonyms must not be joinable back to logins here.
    """
    state = request.app.state.web
    conn = state.connect()
    try:
        state.refresh(conn)
        stored = state.stored_notice(conn, notice_id)
        if stored is None:
            raise HTTPException(404, NO_NOTICE)
        decisions = [decision_for_viewer(d, user) for d in decisions_for(conn, notice_id)]
        versions = [version_for_viewer(v, user) for v in stored.get("versions", [])]
        return {**stored, "versions": versions, "decisions": decisions}
    finally:
        conn.close()


@router.post(
    "/decisions",
    status_code=201,
    response_model=DecisionOut,
    responses={
        404: {"model": ProblemOut, "description": "No notice with this id in the store."},
        409: {"model": ProblemOut, "description": "The suggestion changed since it was shown."},
        422: {
            "model": ProblemOut,
            "description": "The decision does not fit (``field`` names what is wrong).",
        },
    },
)
def api_decide(request: Request, user: User, decision: DecisionInput) -> DecisionOut | JSONResponse:
    """Record the logged-in worker's decision (append-only, hash-chained).

    Override = a tier or DV route other than the suggestion; it needs
    ``override_reason``. Send ``shown_score_hash`` (from GET /api/notices/{id})
    to be told (409) when the suggestion changed since it was read.
    """
    try:
        record = request.app.state.web.record_decision(decision, user)
    except DecisionError as exc:
        # The store's messages may quote the value refused (an unknown notice id): not here.
        sent = getattr(decision, exc.field, None) if exc.field else None
        return JSONResponse(problem(exc.field, _message(exc, sent)), status_code=exc.status)
    return DecisionOut(**record)


def _message(exc: DecisionError, sent: Any) -> str:
    """The error's message without the field's prefix (``problem`` adds it) or the value sent."""
    text = without_value(str(exc), sent)
    return text.removeprefix(f"{exc.field}: ") if exc.field else text


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, user: User) -> dict[str, Any]:
    return request.app.openapi()
