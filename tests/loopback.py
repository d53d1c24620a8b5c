"""A free TCP port on 127.0.0.1, for the tests that start a real server (MLflow, the
intake page, ``mlflow models serve``)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port the OS says is free now (another process could take it before use: the
    servers started with it are single-use and a clash fails loudly)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
