"""The local copy of a registered model's files, checked against the registry on every load.

The first load of a version downloads its files from the registry into
``~/.cache/triage/models/NAME-VERSION-DIGEST`` (or ``$TRIAGE_CACHE_DIR``); every
load reads the skops file from there, after checking its SHA-256 against the
digest recorded on the version when it was registered (tag ``model.sha256``).
A file changed or swapped in the cache is never parsed: the entry is
downloaded again once, and refused if it still does not match (the registry's
own file was changed).

There is no pickle here any more: a pickled copy loaded faster (about 0.5 s
less, the cost of importing skops) but ran whatever code the file held.
Versions registered before digests were recorded are downloaded afresh into
a temporary folder on every load (skops still refuses types that are not ours).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from triage.tracking.model_file import MODEL_FILE, UntrustedModel, load_checked

Download = Callable[[Path], None]  # fills the given folder with the version's files


def cache_root() -> Path:
    return Path(os.environ.get("TRIAGE_CACHE_DIR", Path.home() / ".cache" / "triage"))


def entry_dir(name: str, version: str, digest: str) -> Path:
    return cache_root() / "models" / f"{name}-{version}-{digest[:20]}"


def _fresh(local: Path, download: Download) -> None:
    """Replace ``local`` with a new download (into a sibling, then renamed)."""
    local.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{local.name}-", dir=local.parent))
    try:
        download(staging)
        shutil.rmtree(local, ignore_errors=True)
        # A half-downloaded entry is never read. If another process put its copy there
        # meanwhile, the rename fails and the digest check decides.
        with contextlib.suppress(OSError):
            staging.rename(local)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def load_registered(name: str, version: str, digest: str | None, download: Download) -> Any:
    """The version's pipeline, from the checked cache entry (see the module docstring)."""
    if digest is None:
        with tempfile.TemporaryDirectory(prefix="triage-model-") as tmp:
            download(Path(tmp))
            return load_checked(Path(tmp) / MODEL_FILE, expected_sha256=None)
    local = entry_dir(name, version, digest)
    if not (local / MODEL_FILE).is_file():
        _fresh(local, download)
    try:
        return load_checked(local / MODEL_FILE, expected_sha256=digest)
    except UntrustedModel:
        _fresh(local, download)  # the cached copy was changed: once more from the registry
        return load_checked(local / MODEL_FILE, expected_sha256=digest)
