"""Notices sent to the JSON API in one request: how many, the moment they are scored at,
and each one's errors, said the same way by every route that takes notices
(``POST /api/score``, ``POST /api/notices``).

An error names the item (0-based), its notice and field, never the value sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import Depends, Query
from fastapi.responses import JSONResponse

from triage.contract import load_schema
from triage.contract.errors import InvalidParameter
from triage.notices import ValidationResult, refuse_as_of_long_before, validate_notices
from triage.scoring import parse_as_of
from triage.web.problems import problem
from triage.web.redact import refused_value, without_value

MAX_BATCH = 1000
PINNED_CLOCK = (
    " (the page's clock, used when as_of is not given; pass as_of to score at another time)"
)


@dataclass(frozen=True)
class ScoreOptions:
    """How a route that answers with scores scores (its query parameters)."""

    as_of: str | None
    lang: Literal["ja", "en"]
    explain: bool
    top: int | None

    def score_kw(self) -> dict[str, Any]:
        return {"lang": self.lang, "explain": self.explain, "top": self.top}


def score_options(
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
) -> ScoreOptions:
    return ScoreOptions(as_of=as_of, lang=lang, explain=explain, top=top)


Options = Annotated[ScoreOptions, Depends(score_options)]


@dataclass(frozen=True)
class NoticesIn:
    """A request's notices, validated, and the moment they are scored at."""

    items: list[Any]
    result: ValidationResult
    when: pd.Timestamp


def read_notices(state: Any, body: Any, as_of: str | None) -> NoticesIn | JSONResponse:
    """The body's notices validated at the moment asked (else the page's clock), or the 422
    for a request that does not fit: ``as_of`` unreadable or far before the notices, a body
    that is no notice nor list of at most :data:`MAX_BATCH`."""
    when, refusal = scoring_moment(state, as_of)
    if refusal is not None:
        return refusal
    items, refusal = body_items(body)
    if refusal is not None:
        return refusal
    result = validate_notices(items)
    # From the records when the body gave them: building the frame costs more than scoring one.
    received = (
        [r["received_at"] for r in result.records]
        if result.records is not None
        else result.valid["received_at"]
    )
    if result.n_valid and (late := moment_refused(state, as_of, when, received)):
        return late
    assert when is not None
    return NoticesIn(items=items, result=result, when=when)


def component(name: str) -> str:
    return f"#/components/schemas/{name}"


def contract_schema(name: str) -> dict[str, Any]:
    """A contract schema as OpenAPI 3.1 takes it (JSON Schema 2020-12 without $schema/$id)."""
    return {k: v for k, v in load_schema(name).items() if k not in ("$schema", "$id")}


def notices_body_schema() -> dict[str, Any]:
    """One notice, or a list of at most :data:`MAX_BATCH`."""
    notice = contract_schema("notice")
    return {"oneOf": [notice, {"type": "array", "items": notice, "maxItems": MAX_BATCH}]}


def unprocessable(field: str, message: str) -> JSONResponse:
    """The request itself does not fit (a query parameter, the body's type): no item to name."""
    return JSONResponse(problem(field, message), status_code=422)


def body_items(body: Any) -> tuple[list[Any], JSONResponse | None]:
    """The notices of a body (an object or a list of at most :data:`MAX_BATCH`), or the 422."""
    items = [body] if isinstance(body, dict) else body
    if not isinstance(items, list):
        return [], unprocessable("body", "expected a notice (JSON object) or a list of notices")
    if len(items) > MAX_BATCH:
        return [], unprocessable("body", f"expected at most {MAX_BATCH} notices, got {len(items)}")
    return items, None


def scoring_moment(
    state: Any, as_of: str | None
) -> tuple[pd.Timestamp | None, JSONResponse | None]:
    """``as_of`` parsed, else the page's clock (``state.now()``); or the 422 naming ``as_of``."""
    try:
        return (state.now() if as_of is None else parse_as_of(as_of)), None
    except ValueError as exc:
        return None, unprocessable("as_of", str(exc))


def moment_refused(
    state: Any, as_of: str | None, when: pd.Timestamp, received: pd.Series | list[Any]
) -> JSONResponse | None:
    """The 422 for a moment far before the notices were received (a mistyped year)."""
    pinned = as_of is None and state.fixed_clock is not None
    if as_of is None and not pinned:
        return None  # the real time: never long before a notice
    try:
        refuse_as_of_long_before(when, received)
    except InvalidParameter as exc:
        return unprocessable("as_of", str(exc) + (PINNED_CLOCK if pinned else ""))
    return None


def item_error(items: list[Any], e: Any) -> dict[str, Any]:
    """One row error as the API says it: which item, field and rule, never the value sent."""
    item = items[e.row - 1] if 0 < e.row <= len(items) else None
    message = without_value(e.message, refused_value(item, e.field))
    # A refused notice_id is itself the value not to repeat.
    notice_id = None if e.field == "notice_id" else e.notice_id
    return {"item": e.row - 1, "notice_id": notice_id, "field": e.field, "message": message}


def rejected(items: list[Any], errors: list[dict[str, Any]]) -> dict[str, Any]:
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
