"""What the server answers when something fails: one line, never a traceback, cause in the log.

- The store cannot be written just now (another writer holds the lock past
  the busy timeout, the disk is full, an I/O error): 503 with ``Retry-After``;
  the worker's request was not recorded and may simply be sent again.
- Anything else unexpected: 500 with one line; the traceback goes to the
  server's log (logger ``triage.web``), never to the client.
- A request that does not fit the API (422): the field and the rule, in the
  API's one error shape, never the value sent (see ``problems.py``).
"""

from __future__ import annotations

import errno
import logging
import sqlite3

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from triage.web.problems import on_invalid_request

log = logging.getLogger("triage.web")

RETRY_AFTER = 2
"""Seconds a client should wait after a 503: a held lock is usually gone by then."""
STORE_UNAVAILABLE = (
    "the intake store cannot be written just now ({what}); nothing was recorded; "
    "try again in a few seconds"
)
INTERNAL = "internal error: the server could not answer this request; the cause is in its log"

_SQLITE_FAULTS = {
    5: "another writer holds the database lock",  # SQLITE_BUSY ("database is locked")
    6: "another writer holds the database lock",  # SQLITE_LOCKED
    10: "disk I/O error",  # SQLITE_IOERR (and its extended codes)
    13: "the disk is full",  # SQLITE_FULL
    14: "the database file cannot be opened",  # SQLITE_CANTOPEN
}
_OS_FAULTS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EIO: "disk I/O error",
    errno.EROFS: "the file system is read-only",
}


def store_fault(exc: BaseException) -> str | None:
    """What kind of passing storage fault ``exc`` is, or None when it is something else."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if isinstance(code, int) and (code & 0xFF) in _SQLITE_FAULTS:
            return _SQLITE_FAULTS[code & 0xFF]
        text = str(exc).lower()
        for needle, what in (
            ("locked", "another writer holds the database lock"),
            ("busy", "another writer holds the database lock"),
            ("full", "the disk is full"),
            ("disk i/o", "disk I/O error"),
        ):
            if needle in text:
                return what
        return None
    if isinstance(exc, OSError):
        return _OS_FAULTS.get(exc.errno or -1)
    return None


def _one_line(request: Request, status: int, message: str, headers: dict[str, str]) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    return PlainTextResponse(message + "\n", status_code=status, headers=headers)


async def on_storage_error(request: Request, exc: Exception) -> Response:
    what = store_fault(exc)
    if what is None:
        return await on_unexpected(request, exc)
    # The real cause, for whoever runs the server; the client learns only what to do.
    log.error(
        "%s %s: answered 503: %s (%s: %s)",
        request.method,
        request.url.path,
        what,
        type(exc).__name__,
        exc,
    )
    return _one_line(
        request, 503, STORE_UNAVAILABLE.format(what=what), {"Retry-After": str(RETRY_AFTER)}
    )


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.error("%s %s: answered 500", request.method, request.url.path, exc_info=exc)
    return _one_line(request, 500, INTERNAL, {})


def install_fault_handlers(app: FastAPI) -> None:
    app.add_exception_handler(sqlite3.Error, on_storage_error)
    app.add_exception_handler(OSError, on_storage_error)
    app.add_exception_handler(RequestValidationError, on_invalid_request)
    # Exception goes to Starlette's ServerErrorMiddleware: the 500 of last resort.
    app.add_exception_handler(Exception, on_unexpected)
