"""Folders made once per test session for all xdist workers: a costly store (a pipeline run)
that several test files read is built by whichever worker asks first; the others wait for it
(an exclusive ``flock``) and then read the same folder.

Each worker's base temp folder (``popen-gw0``, ...) sits in the session's shared one.
"""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import IO


def shared_root(root: Path) -> Path:
    """The folder the session's workers share (``root`` itself without xdist)."""
    return root.parent if root.name.startswith("popen-gw") else root


def _done(root: Path, name: str) -> Path:
    return shared_root(root) / f"{name}.done"


def made_once(root: Path, name: str, make: Callable[[Path], None]) -> Path:
    """``shared/name``, made by ``make(folder)`` unless a worker has made it already."""
    shared = shared_root(root)
    work = shared / name
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _done(root, name).exists():
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            make(work)
            _done(root, name).touch()
    return work


class Making:
    """A folder being made in the background (``start`` returned it to this worker)."""

    def __init__(self, root: Path, name: str, lock: IO[str] | None) -> None:
        self.root, self.name, self.lock = root, name, lock
        self.work = shared_root(root) / name

    @classmethod
    def start(cls, root: Path, name: str) -> Making:
        """Take the making of ``name`` if no worker has it or has made it; ``mine`` says so."""
        shared = shared_root(root)
        lock = (shared / f"{name}.lock").open("w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another worker is making it
            lock.close()
            return cls(root, name, None)
        if _done(root, name).exists():
            lock.close()
            return cls(root, name, None)
        making = cls(root, name, lock)
        shutil.rmtree(making.work, ignore_errors=True)
        making.work.mkdir()
        return making

    @property
    def mine(self) -> bool:
        return self.lock is not None

    def finish(self, ok: bool) -> None:
        """This worker's making ended (``ok``: the folder is complete): let the others in."""
        assert self.lock is not None
        if ok:
            _done(self.root, self.name).touch()
        self.lock.close()  # releases the flock

    def wait(self) -> Path:
        """Another worker's making: wait for it to end; the folder, or fail if it failed."""
        with (shared_root(self.root) / f"{self.name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
        assert _done(self.root, self.name).exists(), (
            f"{self.name}: another worker failed to make it"
        )
        return self.work
