"""A body announced larger than the server takes is refused (413) before it is read.

FastAPI's ``max_body_size`` also refuses it, but as Starlette's plain-text
``Content Too Large`` when the length is announced; the API documents its
one JSON error shape for every answer (``problems.py``). A body sent without
a length (chunked) and found too large while read is still refused by
FastAPI, through its HTTPException handler, in the JSON shape.
"""

from __future__ import annotations

import json
from typing import Any

from triage.web.problems import problem

TOO_LARGE = "expected a body of at most {limit:,} bytes"


class RefuseLargeBodies:
    """Pure ASGI middleware: 413 for a ``Content-Length`` above ``limit``."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and self._announced(scope) > self.limit:
            await self._refuse(scope, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _announced(scope) -> int:
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return 0  # not a length: the server (h11, httptools) refuses it itself
        return 0

    async def _refuse(self, scope, send) -> None:
        message = TOO_LARGE.format(limit=self.limit)
        if scope.get("path", "").startswith("/api/"):
            body = json.dumps(problem("body", message)).encode()
            kind = b"application/json"
        else:
            body, kind = (message + "\n").encode(), b"text/plain; charset=utf-8"
        # Connection: close, so the unread body is not taken for the next request.
        headers = [
            (b"content-type", kind),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
