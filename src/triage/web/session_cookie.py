"""The session cookie: a small signed dict, ``Secure`` whenever the page is reached over HTTPS.

Like Starlette's ``SessionMiddleware`` (same signing, ``scope["session"]``),
but the ``Secure`` flag is decided per request: set when the request came in
over HTTPS (directly, or through a proxy uvicorn trusts to say so) or when the
server was told it sits behind a TLS proxy. Starlette's fixes it at start-up.

What the cookie holds is kept small on purpose (``security.py``): before
login, the login form's CSRF token and the language; after login, only the
random id of a session kept in the store.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from binascii import Error as Base64Error
from typing import Any

import itsdangerous
from itsdangerous.exc import BadSignature
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import Session
from starlette.requests import HTTPConnection

EXPIRED = "expires=Thu, 01 Jan 1970 00:00:00 GMT; "


class SessionCookie:
    def __init__(
        self, app: Any, *, secret: str, cookie: str, max_age: int, always_secure: bool
    ) -> None:
        self.app = app
        self.signer = itsdangerous.TimestampSigner(secret)
        self.cookie = cookie
        self.max_age = max_age
        self.always_secure = always_secure

    def _load(self, connection: HTTPConnection) -> Session | None:
        raw = connection.cookies.get(self.cookie)
        if raw is None:
            return None
        try:
            data = json.loads(b64decode(self.signer.unsign(raw.encode(), max_age=self.max_age)))
        except (BadSignature, Base64Error, ValueError):
            return None
        return Session(data) if isinstance(data, dict) else None

    def _flags(self, scope) -> str:
        secure = self.always_secure or scope.get("scheme") == "https"
        return "path=/; httponly; samesite=strict" + ("; secure" if secure else "")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loaded = self._load(HTTPConnection(scope))
        scope["session"] = loaded if loaded is not None else Session()

        async def send_with_cookie(message) -> None:
            if message["type"] == "http.response.start":
                session: Session = scope["session"]
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                if session.accessed:
                    headers.add_vary_header("Cookie")
                if session.modified and session:
                    value = self.signer.sign(b64encode(json.dumps(session).encode())).decode()
                    headers.append(
                        "Set-Cookie",
                        f"{self.cookie}={value}; Max-Age={self.max_age}; {self._flags(scope)}",
                    )
                elif session.modified and loaded is not None:
                    headers.append(
                        "Set-Cookie", f"{self.cookie}=null; {EXPIRED}{self._flags(scope)}"
                    )
            await send(message)

        await self.app(scope, receive, send_with_cookie)
