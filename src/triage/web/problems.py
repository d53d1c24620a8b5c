"""One error shape for the whole JSON API: ``{"detail": ..., "field": ..., "errors": [...]}``.

``detail`` is one line naming the field at fault and what was expected;
``field`` repeats that field on its own (null: the whole request);
``errors``, when there is more than one thing to say, lists each problem.
No part of it ever repeats the value sent: a value in the wrong field may
identify a person (issue 16, finding 10).

Every refusal takes this shape: the routes' own (401, 403, 404, 409, 415,
422, 429, 503), FastAPI's request validation (422, including a body that is
not JSON or not UTF-8) and Starlette's (404, 405, 413). ``POST /api/score``
adds its ``scores`` beside ``errors`` (:class:`ScoreProblem`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

WHERE = ("body", "query", "path", "header", "cookie")
"""The first part of a FastAPI error location: where the field was, not its name."""
MESSAGES = {
    "json_invalid": "expected a JSON document in UTF-8",
    "missing": "required",
}
"""Clearer words for FastAPI's most frequent refusals (its own say 'JSON decode error')."""


class FieldProblem(BaseModel):
    field: str | None = Field(
        description="the field, query parameter or part of the body at fault (null: the whole request)"
    )
    message: str = Field(description="what was wrong and what was expected, never the value sent")


class ProblemOut(BaseModel):
    """Every error answer of the API."""

    detail: str = Field(description="one line: the field at fault and what was expected")
    field: str | None = Field(default=None, description="the field at fault (null: none or many)")
    errors: list[FieldProblem] | None = Field(
        default=None, description="every problem, when the request had more than one"
    )


class ItemError(FieldProblem):
    item: int = Field(description="position of the notice in the request (0-based)")
    notice_id: str | None = Field(description="the notice's id, unless that id was refused")


class ScoreProblem(ProblemOut):
    """``POST /api/score`` with invalid notices: the valid ones are still scored."""

    scores: list[dict[str, Any]] = Field(
        description="one score record (score.schema.json) per valid notice, in request order"
    )
    errors: list[ItemError]  # type: ignore[assignment]  # narrower items: every one names its notice


class ScoreBatch(BaseModel):
    scores: list[dict[str, Any]] = Field(
        description="one score record (score.schema.json) per notice, in request order"
    )
    errors: list[ItemError] = Field(description="always empty here (see the 422 answer)")


def component_schemas(models: Sequence[type[BaseModel]]) -> dict[str, Any]:
    """The JSON schemas of ``models`` and of the models they use, as OpenAPI components."""
    _, top = models_json_schema(
        [(m, "serialization") for m in models], ref_template="#/components/schemas/{model}"
    )
    return dict(top.get("$defs", {}))


def problem(field: str | None, message: str) -> dict[str, Any]:
    """The body of a refusal about one field."""
    detail = f"{field}: {message}" if field else message
    return {"detail": detail, "field": field, "errors": [{"field": field, "message": message}]}


def summary(errors: Sequence[dict[str, Any]]) -> str:
    """One line for many problems: the first in full, the rest counted."""
    first = errors[0]
    line = f"{first['field']}: {first['message']}" if first.get("field") else first["message"]
    more = len(errors) - 1
    return line + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")


def field_name(loc: Sequence[Any]) -> str | None:
    """``("body", "override_reason")`` → ``"override_reason"``; ``("body",)`` → ``"body"``."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in WHERE:
        # json_invalid gives ("body", <character offset>): the body as a whole is at fault.
        rest = [p for p in parts[1:] if not p.isdigit()] if parts[0] == "body" else parts[1:]
        return ".".join(rest) or parts[0]
    return ".".join(parts) or None


def _plain(message: str) -> str:
    # Pydantic prefixes our validators' own sentences with its error class.
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def validation_problem(exc: RequestValidationError) -> dict[str, Any]:
    """FastAPI's refusal in the API's shape; its ``input`` and ``ctx`` (the value sent) dropped."""
    errors = [
        {
            "field": field_name(e.get("loc", ())),
            "message": MESSAGES.get(str(e.get("type")), _plain(str(e.get("msg", "invalid")))),
        }
        for e in exc.errors()
    ] or [{"field": None, "message": "the request does not fit the API"}]
    return {
        "detail": summary(errors),
        "field": errors[0]["field"] if len(errors) == 1 else None,
        "errors": errors,
    }


async def on_invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(validation_problem(exc), status_code=422)
