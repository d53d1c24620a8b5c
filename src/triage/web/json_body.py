"""API bodies are JSON text in UTF-8: sent as another type, 415; not JSON in UTF-8, 422.

FastAPI reads a body with ``json.loads(bytes)``. A JSON syntax error becomes
its request-validation error (422, the API's error shape), but any other
failure there (bytes that are not UTF-8, a document nested too deep for the
parser) becomes an undocumented ``400 "There was an error parsing the
body"``. Here those failures are told to FastAPI as the syntax errors they
are, so every malformed body gets the same documented answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from triage.web.problems import problem

NOT_JSON = "expected application/json (a JSON body in UTF-8)"


class Utf8JsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                # RFC 8259: JSON exchanged between systems is UTF-8 (json.loads would also
                # guess UTF-16 and UTF-32 from bytes).
                text = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise json.JSONDecodeError("not UTF-8", "", exc.start) from None
            try:
                self._json = json.loads(text)
            except RecursionError:
                raise json.JSONDecodeError("nested too deep", "", 0) from None
        return self._json


def is_json(content_type: str | None) -> bool:
    """``application/json`` or ``application/<something>+json``, parameters aside."""
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return (length is not None and length.strip() != "0") or "transfer-encoding" in request.headers


class Utf8JsonRoute(APIRoute):
    """A route whose JSON body is read by :class:`Utf8JsonRequest`, and refused (415) when
    it is sent as anything but JSON (FastAPI would not read it, then call it missing)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        takes_body = self.body_field is not None

        async def with_utf8_json(request: Request) -> Response:
            if (
                takes_body
                and _has_body(request)
                and not is_json(request.headers.get("content-type"))
            ):
                return JSONResponse(problem("Content-Type", NOT_JSON), status_code=415)
            return await handler(Utf8JsonRequest(request.scope, request.receive))

        return with_utf8_json
