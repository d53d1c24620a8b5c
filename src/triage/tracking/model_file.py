"""The registered model's file: its digest, and the types it may hold.

The registry keeps the model in skops format, which loads only the types it
is told to trust. Those are ours and our dependencies' (checked when the
model is logged, and again on every load), and the file's SHA-256 is recorded
on the model version, so a file swapped in a cache or an artefact store is
caught before it is read.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from triage.contract.errors import TriageError

MODEL_FILE = "model.skops"
ALLOWED_PREFIXES = (
    "triage.",
    "sklearn.",
    "lightgbm.",
    "numpy.",
    "scipy.",
    "collections.",
    "builtins.",
)


class UntrustedModel(TriageError, ValueError):
    """A model file that is not the registered one, or holds types that are not ours."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checked_types(found: list[str], *, where: str) -> list[str]:
    """``found`` if every type is ours or a dependency's; ``UntrustedModel`` otherwise."""
    strange = [t for t in found if not t.startswith(ALLOWED_PREFIXES)]
    if strange:
        raise UntrustedModel(f"{where}: holds types that are not trusted: {', '.join(strange)}")
    return found


def trusted_types(model: Any) -> list[str]:
    """Types skops may load for this model: ours and our dependencies', nothing else."""
    import skops.io as sio

    return checked_types(sio.get_untrusted_types(data=sio.dumps(model)), where="model")


def load_checked(path: Path, *, expected_sha256: str | None) -> Any:
    """The model in the skops file ``path``, after checking its digest and its types.

    skops never runs code from the file (unlike pickle), and the digest check
    means a file that is not the registered one is not even parsed.
    """
    if expected_sha256 is not None:
        actual = sha256_of(path)
        if actual != expected_sha256:
            raise UntrustedModel(
                f"{path}: sha256 {actual[:16]}… is not the registered model's "
                f"{expected_sha256[:16]}…; the file was changed after registration"
            )
    import skops.io as sio

    types = checked_types(sio.get_untrusted_types(file=path), where=str(path))
    return sio.load(path, trusted=types)
