"""Files only the store's owner may read: 0600 files in a 0700 folder, whatever the umask.

The store holds password hashes, notices, decisions and the keys that make the
chain and the pseudonyms; none of it is for other accounts on the machine.
Modes are set explicitly (``fchmod``/``chmod``) because ``open(..., 0o600)``
only narrows what the umask leaves, and a umask of 0 is not unheard of.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(folder: Path) -> None:
    """Create ``folder`` (and parents) if needed; the folder itself ends up 0700."""
    folder.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    tighten(folder, DIR_MODE)


def tighten(path: Path, mode: int = FILE_MODE) -> None:
    """Remove group and other access from ``path`` if it has any (a missing path is fine)."""
    try:
        current = path.stat().st_mode & 0o777
    except FileNotFoundError:
        return
    if current & 0o077:
        path.chmod(current & ~0o077 & mode)


def create_private(path: Path, data: bytes = b"") -> bool:
    """Write ``data`` to a new 0600 file; False (nothing written) if ``path`` already exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)
    return True


def _write_all(fd: int, data: bytes) -> None:
    os.fchmod(fd, FILE_MODE)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fsync(fd)


def replace_private(path: Path, data: bytes, *, sync_folder: bool = True) -> None:
    """Replace ``path`` by a 0600 file holding ``data``, atomically.

    A reader sees the old or the new contents, never a mix; after a crash or a
    power loss the file is one or the other, whole (the temp file is fsynced
    before the rename). ``sync_folder`` also fsyncs the folder, so that the
    new contents survive a power loss; without it the old ones may come back.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if not sync_folder:
        return
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
