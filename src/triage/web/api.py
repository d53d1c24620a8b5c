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
from triage.contract.errors import InvalidParameter
from triage.decisions import DecisionError, DecisionInput, decisions_for
from triage.labels import ui_text
from triage.notices import refuse_as_of_long_before, validate_notices
from triage.scoring import parse_as_of
from triage.scoring.lines import score_line
from triage.web.auth_routes import attempt_login
from triage.web.i18n import request_lang
from triage.web.json_body import Utf8JsonRoute
from triage.web.problems import ProblemOut, ScoreBatch, ScoreProblem, problem
from triage.web.queue import QueueFilters
from triage.web.redact import refused_value, without_value
from triage.web.security import CSRF_HEADER, api_user, current_session, finish_session
from triage.web.workers import decision_for_viewer

MAX_BATCH = 1000
NO_NOTICE = "notice_id: no notice with this id in the store"
PINNED_CLOCK = (
    " (the page's clock, used when as_of is not given; pass as_of to score at another time)"
)
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
User = Annotated[str, Depends(api_user)]


def component(name: str) -> str:
    return f"#/components/schemas/{name}"


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
                "schema": {"oneOf": [_schema("score"), {"$ref": component("ScoreBatch")}]}
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
        str | None,
        Query(
            description="moment of scoring, ISO 8601 with offset (default: the page's clock: "
            "`serve --as-of` when pinned, the synthetic sample's clock, else now)"
        ),
    ] = None,
    lang: Literal["ja", "en"] = "ja",
    explain: Annotated[bool, Query(description="fill factors and ask_next")] = True,
    top: Annotated[int | None, Query(ge=1, description="keep the N largest factors")] = None,
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
    try:
        when = state.now() if as_of is None else parse_as_of(as_of)
    except ValueError as exc:
        return _unprocessable("as_of", str(exc))
    single = isinstance(body, dict)
    items = [body] if single else body
    if not isinstance(items, list):
        return _unprocessable("body", "expected a notice (JSON object) or a list of notices")
    if len(items) > MAX_BATCH:
        return _unprocessable("body", f"expected at most {MAX_BATCH} notices, got {len(items)}")
    result = validate_notices(items)
    pinned = as_of is None and state.fixed_clock is not None
    if (as_of is not None or pinned) and result.n_valid:
        try:
            refuse_as_of_long_before(when, result.valid["received_at"])
        except InvalidParameter as exc:
            return _unprocessable("as_of", str(exc) + (PINNED_CLOCK if pinned else ""))
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
        text = json.dumps({**_rejected(items, errors), "scores": []}, ensure_ascii=False)
    else:
        # The score lines are spliced in as `triage score` wrote them (no re-encoding).
        head = json.dumps(
            _rejected(items, errors) if errors else {"errors": []}, ensure_ascii=False
        )
        text = head[:-1] + ',"scores":[' + ",".join(lines) + "]}"
    return Response(text.encode("utf-8"), status_code=status, media_type="application/json")


def _item_error(items: list[Any], e: Any) -> dict[str, Any]:
    """One row error as the API says it: which item, field and rule, never the value sent."""
    item = items[e.row - 1] if 0 < e.row <= len(items) else None
    message = without_value(e.message, refused_value(item, e.field))
    # A refused notice_id is itself the value not to repeat.
    notice_id = None if e.field == "notice_id" else e.notice_id
    return {"item": e.row - 1, "notice_id": notice_id, "field": e.field, "message": message}


def _rejected(items: list[Any], errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The 422 body's problem part: one line for all, then each notice's errors."""
    bad = len({e["item"] for e in errors})
    first = errors[0]
    where = f"item {first['item']}" + (f", {first['field']}" if first["field"] else "")
    more = len(errors) - 1
    return {
        "detail": f"{bad} of {len(items)} notices invalid: {where}: {first['message']}"
        + (f" (and {more} more problem{'s' if more > 1 else ''} in errors)" if more else ""),
        "field": first["field"] if len(errors) == 1 else None,
        "errors": errors,
    }


def _unprocessable(field: str, message: str) -> JSONResponse:
    """The request itself does not fit (a query parameter, the body's type): no item to name."""
    return JSONResponse(problem(field, message), status_code=422)


@router.get("/queue")
def api_queue(
    request: Request,
    user: User,
    filters: Annotated[QueueFilters, Query()],
) -> dict[str, Any]:
    """The queue as the page shows it: suggested tier, then safety deadline, overdue first.

    Without a model (``rules_only``): no suggested tier (null); ordered, counted and
    filtered by the national rules' floor.
    """
    state = request.app.state.web
    page = state.queue_page(filters)
    data = page.data()
    for entry in data["queue"]:
        if entry["decision"] is not None:
            entry["decision"] = decision_for_viewer(entry["decision"], user)
    return data


@router.get(
    "/notices/{notice_id}",
    responses={404: {"model": ProblemOut, "description": "No notice with this id in the store."}},
)
def api_notice(request: Request, user: User, notice_id: str) -> dict[str, Any]:
    """A stored notice, its current score (with ``score_hash``) and every decision on it.

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
        return {**stored, "decisions": decisions}
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
