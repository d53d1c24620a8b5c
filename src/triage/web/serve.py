"""``triage serve``: the app on uvicorn, on loopback unless told otherwise."""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

LOOPBACK_ONLY = (
    "warning: serving on {host}, reachable from other machines. Sessions and case data travel "
    "unencrypted unless a TLS proxy sits in front (then pass --behind-tls-proxy)."
)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _log_to_stderr() -> None:
    """The app's own log (faults answered 503/500, with their cause) goes to stderr."""
    logger = logging.getLogger("triage.web")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def uvicorn_options(settings) -> dict[str, Any]:
    """How uvicorn learns the client's address (the login limiter counts tries by it).

    Directly reachable, the connection's own address is the client's: an
    ``X-Forwarded-For`` header is anyone's to write, and believing it would
    let a guesser pose as a new address on every try. (uvicorn's default
    believes it from 127.0.0.1, so it is switched off here.) Behind a TLS
    proxy, every connection comes from the proxy: its ``X-Forwarded-For``
    names the client, and only the proxy's (``settings.trusted_proxy``) is
    believed.
    """
    if not settings.behind_tls_proxy:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": settings.trusted_proxy}


def serve(settings, *, host: str = "127.0.0.1", port: int = 8000, log=print) -> None:
    import uvicorn

    from triage.web.app import create_app

    _log_to_stderr()
    if not is_loopback(host):
        log(LOOPBACK_ONLY.format(host=host))
    app = create_app(settings)
    log(f"intake page: http://{host}:{port}/  (store {settings.store.resolve()})")
    # One worker: the store's writer and the scorer live in this process.
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        workers=1,
        **uvicorn_options(settings),
    )
