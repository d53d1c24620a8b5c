"""The error of a notice file that cannot be read at all (as opposed to one bad row).

A bad line or row is a row error and the rest of the file still loads; only a
problem of the whole file (missing, a folder, unreadable, not Parquet, not
UTF-8, an unknown kind) is raised, as one line naming the file and what was
expected.
"""

from __future__ import annotations

import os
from pathlib import Path

from triage.contract.errors import TriageError

PARAM = "notices"


class NoticeFileError(TriageError, ValueError):
    """A notice file that cannot be read at all: ``"{path}: {reason}"``, one line.

    ``reason`` alone lets a command put it in its own sentence. A ``ValueError``
    too, so that callers written before it (``except ValueError`` for an
    unsupported file) still catch it.
    """

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{shown_path(self.path)}: {reason}", param=PARAM)


class NoticeFileMissing(NoticeFileError, FileNotFoundError):
    """No file at the path; a ``FileNotFoundError`` too, as callers already expect."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path, "no such file")


def shown_path(path: Path) -> str:
    """The path on one line: as is, or quoted and escaped when it holds a control character."""
    text = str(path)
    return text if text.isprintable() else repr(text)


def one_line(reason: object, limit: int = 200) -> str:
    """A library's own error text on one line, cut to ``limit`` characters.

    The text of a parser's message can quote bytes of a hostile file: cut, it
    still says what went wrong without carrying the file along.
    """
    text = " ".join(str(reason).split()) or type(reason).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
