"""Security headers on every response, errors included.

A CSP of ``default-src 'self'`` (no inline script; ``data:`` images allowed),
nosniff, frame denial, no referrer, ``Cache-Control: no-store`` (case data
must not linger in caches). The middleware wraps the whole application,
outside Starlette's ``ServerErrorMiddleware`` (see ``app.py``), so a 500 from
an unhandled exception carries them too, as do 404, 405, 413, 422, 429, 503.
"""

from __future__ import annotations

from typing import Any

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS: tuple[tuple[bytes, bytes], ...] = tuple(
    (k.lower().encode(), v.encode())
    for k, v in (
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
        ("Cache-Control", "no-store"),
    )
)


class SecurityHeaders:
    """ASGI middleware adding ``HEADERS`` to every HTTP response (pure ASGI: no per-request task)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
