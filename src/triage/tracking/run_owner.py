"""Which process owns a RUNNING run, and when a RUNNING run is known to be dead.

A run killed with ``kill -9`` (or by a power cut) cannot mark itself: it stays
``RUNNING`` for ever unless someone else does. Each run therefore records its
host and process id as tags when it starts, and a heartbeat tag while it
lives; the next run on the store marks a run ``FAILED`` when its process is
gone (same host, no such pid) or its heartbeat stopped long ago (any host).
Runs without these tags (a notebook's, an older toolkit's) are never touched.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime

HOST_TAG = "triage.host"
PID_TAG = "triage.pid"
HEARTBEAT_TAG = "triage.heartbeat"
STALE_NOTE_TAG = "triage.stale_note"

HEARTBEAT_SECONDS = 60.0
# Ten missed beats: a live run on a loaded machine is not declared dead.
STALE_AFTER_SECONDS = 10 * HEARTBEAT_SECONDS


def now_utc() -> datetime:
    return datetime.now(UTC)


def stamp(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def owner_tags(when: datetime | None = None) -> dict[str, str]:
    """The tags a run starts with: who runs it, and its first heartbeat."""
    return {
        HOST_TAG: socket.gethostname(),
        PID_TAG: str(os.getpid()),
        HEARTBEAT_TAG: stamp(when or now_utc()),
    }


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except OSError:
        return False
    return True


def stale_reason(tags: dict[str, str], *, now: datetime | None = None) -> str | None:
    """Why a RUNNING run with these tags is dead, or None if it may be alive (or is not ours)."""
    host, pid, beat = tags.get(HOST_TAG), tags.get(PID_TAG), tags.get(HEARTBEAT_TAG)
    if host is None or pid is None:
        return None
    if host == socket.gethostname() and pid.isdigit() and not process_alive(int(pid)):
        return f"process {pid} on {host} ended without closing the run (killed or crashed)"
    try:
        last = datetime.fromisoformat(beat) if beat else None
    except ValueError:
        last = None
    if last is None or last.tzinfo is None:
        return None
    silent = ((now or now_utc()) - last).total_seconds()
    if silent > STALE_AFTER_SECONDS:
        return f"no heartbeat from process {pid} on {host} for {silent:.0f} s"
    return None


class Heartbeat:
    """Calls ``beat`` every ``every`` seconds in a daemon thread until ``stop``."""

    def __init__(self, beat: Callable[[], object], *, every: float = HEARTBEAT_SECONDS) -> None:
        self._beat = beat
        self._every = every
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="run-heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()

    def _loop(self) -> None:
        while not self._stopped.wait(self._every):
            try:
                self._beat()
            except Exception:  # noqa: BLE001 - a missed beat is harmless; the next one retries
                continue
