"""The JSON API: score notices, read the queue, record decisions.

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

from triage.contract import load_schema
from triage.decisions import DecisionError, DecisionInput, decisions_for
from triage.labels import ui_text
from triage.notices import validate_notices
from triage.scoring import parse_as_of
from triage.scoring.lines import score_line
from triage.web.auth_routes import attempt_login
from triage.web.i18n import request_lang
from triage.web.intake import stored_notice
from triage.web.queue import QueueFilters, queue_page
from triage.web.redact import refused_value, without_value
from triage.web.security import CSRF_HEADER, api_user, current_session, finish_session
from triage.web.workers import decision_for_viewer

MAX_BATCH = 1000
NO_NOTICE = "notice_id: no notice with this id in the store"
router = APIRouter(prefix="/api", tags=["api"])
User = Annotated[str, Depends(api_user)]


def _schema(name: str) -> dict[str, Any]:
    """A contract schema as OpenAPI 3.1 takes it (JSON Schema 2020-12 without $schema/$id)."""
    return {k: v for k, v in load_schema(name).items() if k not in ("$schema", "$id")}


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class SessionOut(BaseModel):
    user: str
    csrf_token: str = Field(description=f"send it as the {CSRF_HEADER} header on every POST")
    lang: Literal["ja", "en"]


class ItemError(BaseModel):
    item: int = Field(description="position of the notice in the request (0-based)")
    notice_id: str | None
    field: str | None = Field(description="the notice field at fault (null: the whole item)")
    message: str = Field(description="what was wrong and what was expected")


class ScoreBatch(BaseModel):
    scores: list[dict[str, Any]] = Field(
        description="one score record (score.schema.json) per valid notice, in request order"
    )
    errors: list[ItemError] = Field(description="every problem of every rejected notice")


class DecisionOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    decision_id: int
    notice_id: str
    hash: str
    prev_hash: str


class ProblemOut(BaseModel):
    detail: str
    field: str | None = None


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
        401: {"model": ProblemOut},
        415: {"model": ProblemOut},
        429: {
            "model": ProblemOut,
            "description": "Too many tries: wait the seconds in the Retry-After header.",
        },
    },
)
async def api_login(request: Request, body: LoginIn) -> SessionOut:
    """Log in; the session cookie is set and the CSRF token for later POSTs returned.

    Only ``application/json`` is taken: a form on another site cannot send it
    without a CORS preflight, which this server never answers. Messages are in
    the language chosen on the login page, else the ``Accept-Language``'s.
    """
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise HTTPException(415, "expected Content-Type: application/json")
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
                "schema": {
                    "oneOf": [_schema("score"), ScoreBatch.model_json_schema()],
                }
            }
        },
    },
    422: {
        "description": (
            "Some notices were invalid. A list in: the valid ones are still scored "
            "(``scores``) beside the ``errors`` of the rest; one notice in: ``errors`` only."
        ),
        "content": {"application/json": {"schema": ScoreBatch.model_json_schema()}},
    },
    503: {"description": "No model is loaded (none promoted).", "model": ProblemOut},
}


@router.post(
    "/score",
    responses=_SCORE_RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            _schema("notice"),
                            {"type": "array", "items": _schema("notice"), "maxItems": MAX_BATCH},
                        ]
                    }
                }
            },
        }
    },
)
def api_score(
    request: Request,
    user: User,
    body: Annotated[Any, Body()],
    as_of: Annotated[
        str | None, Query(description="moment of scoring, ISO 8601 with offset (default now)")
    ] = None,
    lang: Literal["ja", "en"] = "ja",
    explain: Annotated[bool, Query(description="fill factors and ask_next")] = True,
    top: Annotated[int | None, Query(ge=1, description="keep the N largest factors")] = None,
) -> Response:
    """Score one notice (an object) or a list of them, as `triage score` does.

    Identifier-like fields (names, addresses, phone numbers, free text) are
    refused as everywhere else: the notice is rejected and the value never echoed.
    """
    state = request.app.state.web
    if state.scorer is None:
        raise HTTPException(503, state.model_problem)
    try:
        when = parse_as_of(as_of)
    except ValueError as exc:
        return _unprocessable("as_of", str(exc))
    single = isinstance(body, dict)
    items = [body] if single else body
    if not isinstance(items, list):
        return _unprocessable("body", "expected a notice (JSON object) or a list of notices")
    if len(items) > MAX_BATCH:
        return _unprocessable("body", f"expected at most {MAX_BATCH} notices, got {len(items)}")
    result = validate_notices(items)
    errors = [_item_error(items, e) for e in result.errors]
    # One notice is scored from its dict (no DataFrame: the fast path); a list as a frame.
    # (A JSON body always keeps its ``records``; only a table source leaves them None.)
    notices = (
        result.records[0]
        if single and result.n_valid and result.records is not None
        else result.valid
    )
    records = (
        state.score(notices, as_of=when, lang=lang, explain=explain, top=top)
        if result.n_valid
        else []
    )
    lines = [score_line(r) for r in records]
    status = 422 if errors else 200
    if single and not errors:
        text = lines[0]
    elif single:
        text = json.dumps({"scores": [], "errors": errors}, ensure_ascii=False)
    else:
        text = (
            '{"scores":['
            + ",".join(lines)
            + '],"errors":'
            + json.dumps(errors, ensure_ascii=False)
            + "}"
        )
    return Response(text.encode("utf-8"), status_code=status, media_type="application/json")


def _item_error(items: list[Any], e: Any) -> dict[str, Any]:
    """One row error as the API says it: which item, field and rule, never the value sent."""
    item = items[e.row - 1] if 0 < e.row <= len(items) else None
    message = without_value(e.message, refused_value(item, e.field))
    # A refused notice_id is itself the value not to repeat.
    notice_id = None if e.field == "notice_id" else e.notice_id
    return {"item": e.row - 1, "notice_id": notice_id, "field": e.field, "message": message}


def _unprocessable(field: str, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "scores": [],
            "errors": [{"item": None, "notice_id": None, "field": field, "message": message}],
        },
        status_code=422,
    )


@router.get("/queue")
def api_queue(
    request: Request,
    user: User,
    filters: Annotated[QueueFilters, Query()],
) -> dict[str, Any]:
    """The queue as the page shows it: suggested tier, then safety deadline, overdue first."""
    state = request.app.state.web
    conn = state.connect()
    try:
        state.refresh(conn)
        page = queue_page(conn, as_of=state.now(), capacity=state.capacity, filters=filters)
    finally:
        conn.close()
    data = page.data()
    for entry in data["queue"]:
        if entry["decision"] is not None:
            entry["decision"] = decision_for_viewer(entry["decision"], user)
    return data


@router.get("/notices/{notice_id}", responses={404: {"model": ProblemOut}})
def api_notice(request: Request, user: User, notice_id: str) -> dict[str, Any]:
    """A stored notice, its current score (with ``score_hash``) and every decision on it.

    Decisions name their worker only to that worker (``decided_by_you``): the
    research export's pseudonyms must not be joinable back to logins here.
    """
    state = request.app.state.web
    conn = state.connect()
    try:
        state.refresh(conn)
        stored = stored_notice(conn, notice_id)
        if stored is None:
            raise HTTPException(404, NO_NOTICE)
        decisions = [decision_for_viewer(d, user) for d in decisions_for(conn, notice_id)]
        return {**stored, "decisions": decisions}
    finally:
        conn.close()


@router.post(
    "/decisions",
    status_code=201,
    response_model=DecisionOut,
    responses={404: {"model": ProblemOut}, 409: {"model": ProblemOut}, 422: {"model": ProblemOut}},
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
        return JSONResponse({"detail": str(exc), "field": exc.field}, status_code=exc.status)
    return DecisionOut(**record)


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, user: User) -> dict[str, Any]:
    return request.app.openapi()
