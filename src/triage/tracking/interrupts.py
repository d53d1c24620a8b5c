"""SIGTERM and SIGINT end a run as ``KILLED`` instead of leaving it ``RUNNING``.

Python turns SIGINT into ``KeyboardInterrupt``; SIGTERM (what ``kill``, a
container stop or a scheduler sends) kills the process outright. Around an
MLflow run both raise ``KeyboardInterrupt`` in the main thread, so the run's
context can mark it ``KILLED``; the signal received is kept so the command
line can exit with the conventional 128 + its number.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

HANDLED = (signal.SIGTERM, signal.SIGINT)
_received: list[int] = []


def received_signal() -> int | None:
    """The last SIGTERM or SIGINT a run was interrupted by in this process, if any."""
    return _received[-1] if _received else None


def _interrupt(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextmanager
def signals_interrupt() -> Iterator[None]:
    """While inside, SIGTERM and SIGINT raise ``KeyboardInterrupt``; handlers restored after.

    Outside the main thread (signals are delivered there only) nothing is installed.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _interrupt) for s in HANDLED}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
