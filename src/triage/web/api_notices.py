"""Notices pushed into the queue by another system, and the facts it learns later.

``POST /api/notices`` takes one notice or a list (at most as many as
``/api/score``): each keeps its sender's ``notice_id``; the same notice sent
again is ``unchanged``, other facts under a stored id are ``refused`` as on
import (new facts are an amendment); invalid items are named as
``/api/score`` names them, and the valid ones are stored all the same.
``POST /api/notices/{notice_id}/amendments`` stores the next version of a
notice (``triage.decisions.notice_versions``). Both answer with the score of
the version stored, as ``/api/score`` gives it at the same ``as_of``, and
record the logged-in user as having entered it (source ``"api"``).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Body, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from triage.decisions import (
    NoticeEntryError,
    latest_version,
    store_amendment,
    store_checked_notices,
)
from triage.decisions.notice_versions import canonical_records
from triage.notices import validate_notices
from triage.scoring.lines import score_line
from triage.web.json_body import Utf8JsonRoute
from triage.web.notice_items import (
    Options,
    contract_schema,
    item_error,
    moment_refused,
    notices_body_schema,
    read_notices,
    rejected,
    scoring_moment,
)
from triage.web.problems import ItemError, ProblemOut, summary
from triage.web.security import api_user

SOURCE = "api"

router = APIRouter(route_class=Utf8JsonRoute)
User = Annotated[str, Depends(api_user)]


class NoticeItemOut(BaseModel):
    item: int = Field(description="position of the notice in the request (0-based)")
    notice_id: str | None = Field(description="the notice's id, unless that id was refused")
    status: Literal["stored", "unchanged", "refused", "invalid"] = Field(
        description="stored: a new notice; unchanged: already stored with these facts; "
        "refused: its id is stored with other facts (send them as an amendment); "
        "invalid: see errors"
    )
    version: int | None = Field(description="the notice's latest version (null: not stored)")
    score: dict[str, Any] | None = Field(
        description="the score of that version (score.schema.json), as POST /api/score gives "
        "it at the same as_of; null when not stored or no model is loaded"
    )


class NoticesOut(BaseModel):
    notices: list[NoticeItemOut] = Field(description="one per item, in request order")
    errors: list[ItemError] = Field(description="always empty here (see the 422 answer)")


class NoticesProblem(ProblemOut):
    """Some items invalid or refused: the valid ones are stored all the same."""

    notices: list[NoticeItemOut]
    errors: list[ItemError]  # type: ignore[assignment]  # every one names its item


class AmendmentOut(BaseModel):
    notice_id: str
    status: Literal["stored", "unchanged"] = Field(
        description="unchanged: the facts sent are those of the latest version (nothing stored)"
    )
    version: int = Field(description="the latest version, the one just stored when stored")
    score: dict[str, Any] | None = Field(
        description="its score (score.schema.json) at as_of; null when no model is loaded"
    )


def _scores(state: Any, records: list[dict[str, Any]], **kw: Any) -> list[dict[str, Any] | None]:
    """Each stored record's score as ``/api/score`` gives it (None without a model)."""
    if state.scorer is None or not records:
        return [None] * len(records)
    frame = validate_notices(records).valid
    return [json.loads(score_line(r)) for r in state.score(frame, **kw)]


def _refusal(item: int, notice_id: str, message: str) -> dict[str, Any]:
    return {
        "item": item,
        "notice_id": notice_id,
        "field": "notice_id",
        "message": message.removeprefix("notice_id: "),
    }


@router.post(
    "/notices",
    responses={
        200: {"model": NoticesOut, "description": "Every notice stored or already there."},
        422: {
            "model": NoticesProblem | ProblemOut,
            "description": "Some notices invalid or refused (``NoticesProblem``): the valid ones "
            "are stored all the same, each item's outcome in ``notices``. Or the request itself "
            "did not fit (``ProblemOut``: a query parameter, or a body that is no notice nor "
            "list of them): nothing stored.",
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": notices_body_schema()}},
        }
    },
)
def api_add_notices(
    request: Request,
    user: User,
    body: Annotated[Any, Body()],
    options: Options,
) -> Response:
    """Store one notice (an object) or a list of them in the queue, keeping their ids.

    A stored notice never changes: the same notice sent again is ``unchanged``,
    other facts under its id are ``refused`` (send them to
    ``/api/notices/{notice_id}/amendments``). The logged-in user is recorded as
    having entered them.
    """
    state = request.app.state.web
    sent = read_notices(state, body, options.as_of)
    if isinstance(sent, JSONResponse):
        return sent
    items, result = sent.items, sent.result
    errors = [item_error(items, e) for e in result.errors]
    bad = set(result.rejected_rows)
    valid_items = [i for i in range(len(items)) if i + 1 not in bad]
    conn = state.connect()
    try:
        outcomes = store_checked_notices(
            conn,
            canonical_records(result.valid) if result.n_valid else [],
            entered_by=user,
            source=SOURCE,
            keep_id=True,
        )
    finally:
        conn.close()
    kept = [o.version.record for o in outcomes if o.version is not None]
    scores = iter(_scores(state, kept, as_of=sent.when, **options.score_kw()))
    out: list[dict[str, Any]] = [
        {
            "item": i,
            "notice_id": e["notice_id"],
            "status": "invalid",
            "version": None,
            "score": None,
        }
        for i, e in {e["item"]: e for e in errors}.items()
    ]
    for i, o in zip(valid_items, outcomes, strict=True):
        if o.version is None:
            errors.append(_refusal(i, o.notice_id, o.problem or ""))
        out.append(
            {
                "item": i,
                "notice_id": o.notice_id,
                "status": o.status,
                "version": None if o.version is None else o.version.version,
                "score": None if o.version is None else next(scores),
            }
        )
    out.sort(key=lambda r: r["item"])
    errors.sort(key=lambda e: e["item"])
    head = rejected(items, errors) if errors else {"errors": []}
    text = json.dumps({**head, "notices": out}, ensure_ascii=False)
    return Response(
        text.encode("utf-8"), status_code=422 if errors else 200, media_type="application/json"
    )


def _amendment_schema() -> dict[str, Any]:
    """The notice's fields, none required: only the facts that changed are sent."""
    notice = contract_schema("notice")
    return {
        "type": "object",
        "properties": notice["properties"],
        "additionalProperties": False,
        "description": "the facts that changed (null: not known after all); notice_id and "
        "received_at cannot change",
    }


@router.post(
    "/notices/{notice_id}/amendments",
    status_code=201,
    responses={
        200: {"model": AmendmentOut, "description": "The facts sent change nothing."},
        201: {"model": AmendmentOut, "description": "The next version, stored."},
        404: {"model": ProblemOut, "description": "No notice with this id in the store."},
        422: {
            "model": ProblemOut,
            "description": "A fact invalid, or an attempt to change notice_id or received_at "
            "(``field`` names it; ``errors`` lists each): nothing stored.",
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _amendment_schema()}},
        }
    },
)
def api_amend_notice(
    request: Request,
    user: User,
    notice_id: str,
    body: Annotated[Any, Body()],
    options: Options,
) -> Response:
    """Store the facts learned since (a partial notice) as the notice's next version.

    The queue and the notice page show the latest version from then on; a
    decision made on an earlier version keeps naming it.
    """
    state = request.app.state.web
    when, refusal = scoring_moment(state, options.as_of)
    if refusal is not None:
        return refusal
    conn = state.connect()
    try:
        # The moment is checked before anything is stored (received_at never changes).
        current = latest_version(conn, notice_id)
        received = pd.Series([current.record["received_at"]] if current else [])
        if late := moment_refused(state, options.as_of, when, received):
            return late
        outcome = store_amendment(conn, notice_id, body, entered_by=user, source=SOURCE)
    except NoticeEntryError as exc:
        return _entry_problem(exc)
    finally:
        conn.close()
    stored = outcome.version
    assert stored is not None  # an amendment is stored, unchanged, or raises
    score = _scores(state, [stored.record], as_of=when, **options.score_kw())[0]
    text = json.dumps(
        {
            "notice_id": stored.notice_id,
            "status": outcome.status,
            "version": stored.version,
            "score": score,
        },
        ensure_ascii=False,
    )
    return Response(
        text.encode("utf-8"),
        status_code=201 if outcome.status == "stored" else 200,
        media_type="application/json",
    )


def _entry_problem(exc: NoticeEntryError) -> JSONResponse:
    """The refusal in the API's shape; the messages never quote a value (the path's id aside)."""
    errors = [{"field": f, "message": m.removeprefix(f"{f}: ")} for f, m in exc.errors]
    body = {
        "detail": summary(errors),
        "field": errors[0]["field"] if len(errors) == 1 else None,
        "errors": errors,
    }
    return JSONResponse(body, status_code=exc.status)
