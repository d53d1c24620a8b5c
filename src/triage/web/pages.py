"""The intake team's pages: the queue, one notice, and the decision form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from triage.contract import TIERS, notice_fields
from triage.decisions import DecisionError, DecisionInput, decisions_for
from triage.web.queue import PAGE_SIZE, QueueFilters
from triage.web.render import render, words
from triage.web.security import csrf_ok, page_user
from triage.web.views import notice_view
from triage.web.workers import decision_for_viewer

router = APIRouter(include_in_schema=False)
User = Annotated[str, Depends(page_user)]


@router.get("/")
def home(user: User):
    return RedirectResponse("/queue", status_code=303)


def _filters(
    tier: str | None, route: str | None, dv: str | None, undecided: bool, offset: int
) -> QueueFilters:
    """Query parameters → filters; an unknown value is ignored rather than an error page."""
    tier = tier if tier in TIERS else None
    route = route if route in notice_fields().enums["route"] else None
    dv = dv if dv in ("dv", "cgc", "municipality", "none") else None
    return QueueFilters.model_validate(
        {"tier": tier, "route": route, "dv": dv, "undecided": undecided, "offset": max(0, offset)}
    )


@router.get("/queue")
def queue(
    request: Request,
    user: User,
    tier: str | None = None,
    route: str | None = None,
    dv: str | None = None,
    undecided: bool = False,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    state = request.app.state.web
    filters = _filters(tier, route, dv, undecided, offset)
    page = state.queue_page(filters)
    base = filters.model_dump(exclude={"offset", "limit"}, exclude_none=True)
    if not filters.undecided:
        base.pop("undecided", None)
    return render(
        request,
        "queue.html",
        {
            "page": page,
            "filters": filters,
            "tiers": TIERS,
            "routes": notice_fields().enums["route"],
            "base_query": base,
            "page_size": PAGE_SIZE,
        },
    )


def notice_page(
    request: Request,
    notice_id: str,
    user: str,
    *,
    error: str | None = None,
    form=None,
    status=200,
):
    state = request.app.state.web
    w = words(request)
    conn = state.connect()
    try:
        state.refresh(conn)
        stored = state.stored_notice(conn, notice_id)
        history = [decision_for_viewer(d, user) for d in decisions_for(conn, notice_id)]
    finally:
        conn.close()
    if stored is None:
        return render(request, "error.html", {"message": "err_not_found"}, status=404)
    thresholds = state.scorer.urgency.thresholds if state.scorer is not None else None
    view = notice_view(
        stored,
        decisions=history,
        rules_by_id=state.rules_by_id,
        thresholds=thresholds,
        as_of=state.now(),
        w=w,
    )
    recorded = request.query_params.get("recorded")
    return render(
        request,
        "notice.html",
        {
            "v": view,
            "tiers": TIERS,
            "error": error,
            "form": form or {},
            "recorded": recorded if recorded and recorded.isdigit() else None,
        },
        status=status,
    )


@router.get("/notices/{notice_id}")
def notice(request: Request, user: User, notice_id: str):
    return notice_page(request, notice_id, user)


@router.post("/notices/{notice_id}/decision")
def decide(
    request: Request,
    user: User,
    notice_id: str,
    decided_tier: Annotated[str, Form()] = "",
    decided_dv_route: Annotated[str, Form()] = "",
    override_reason: Annotated[str, Form(max_length=4000)] = "",
    shown_score_hash: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
):
    if not csrf_ok(request, csrf_token):
        return render(request, "error.html", {"message": "err_csrf"}, status=403)
    form = {
        "decided_tier": decided_tier,
        "decided_dv_route": decided_dv_route,
        "override_reason": override_reason,
    }
    w = words(request)
    try:
        decision = DecisionInput.model_validate(  # the form's strings, checked here
            {
                "notice_id": notice_id,
                "decided_tier": decided_tier,
                "decided_dv_route": decided_dv_route or None,
                "override_reason": override_reason or None,
                "shown_score_hash": shown_score_hash or None,
            }
        )
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return notice_page(
            request, notice_id, user, error=w("err_invalid", detail=detail), form=form, status=422
        )
    try:
        record = request.app.state.web.record_decision(decision, user)
    except DecisionError as exc:
        return notice_page(
            request, notice_id, user, error=w(f"err_{exc.code}"), form=form, status=exc.status
        )
    return RedirectResponse(
        f"/notices/{notice_id}?recorded={record['decision_id']}#history", status_code=303
    )


@router.get("/docs/api")
def api_docs(request: Request, user: User):
    """The OpenAPI description as a page (Swagger UI would load scripts from the internet)."""
    import json

    spec = request.app.openapi()
    operations = [
        {
            "method": method.upper(),
            "path": path,
            "summary": op.get("summary", ""),
            "description": op.get("description", ""),
            "spec": json.dumps(op, ensure_ascii=False, indent=2),
        }
        for path, methods in spec["paths"].items()
        for method, op in methods.items()
    ]
    return render(request, "api_docs.html", {"operations": operations})
