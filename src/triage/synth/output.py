"""Write a synthetic data set to a folder, and read it back.

A data set folder holds ``notices.parquet`` (or ``notices.jsonl``), the ground
truth apart in ``truth.parquet`` (joined by ``notice_id``, never among the
features), and ``manifest.json`` saying how it was made. Nothing in it depends
on the clock, so the same spec and seed give byte-identical files.

Calibrated to a user's own table (``Spec.user_aggregates``), the manifest also
says which (``aggregates``: its name and sha256, the rows left out, the national
file the other margins came from); each target's ``source`` names its file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from triage.contract.errors import InvalidParameter
from triage.synth.calibrate import Target, user_aggregates
from triage.synth.generate import SynthResult
from triage.synth.spec import Spec, aggregates_path

MANIFEST = "manifest.json"
TRUTH_FILE = "truth.parquet"
NOTICE_FILES = {"parquet": "notices.parquet", "jsonl": "notices.jsonl"}


def write_dataset(
    result: SynthResult,
    out: Path,
    *,
    spec: Spec,
    seed: int,
    fiscal_year: int,
    fmt: Literal["parquet", "jsonl"] = "parquet",
) -> dict[str, Any]:
    from triage.notices import write_notices, write_table

    out.mkdir(parents=True, exist_ok=True)
    for stale in NOTICE_FILES.values():  # one notices file per folder, never two that disagree
        (out / stale).unlink(missing_ok=True)
    notices_path = write_notices(result.notices, out / NOTICE_FILES[fmt])
    truth_path = write_table(result.truth, out / TRUTH_FILE)
    manifest = {
        "generator": "triage synth",
        "spec_version": spec.spec_version,
        "spec_digest": spec.digest,
        "spec_file": Path(spec.source).name,
        "seed": seed,
        "n": len(result.notices),
        "fiscal_year": fiscal_year,
        "span": [result.span[0].isoformat(), result.span[1].isoformat()],
        "files": {
            "notices": notices_path.name,
            "truth": truth_path.name,
        },
        "sha256": {p.name: _sha256(p) for p in (notices_path, truth_path)},
        "targets": {
            dim: {"fiscal_year": t.fiscal_year, "source": t.source, "shares": t.shares}
            for dim, t in result.targets.items()
        },
    }
    if spec.user_aggregates:
        manifest["aggregates"] = aggregates_record(spec, result.targets)
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return manifest


def aggregates_record(spec: Spec, targets: dict[str, Target]) -> dict[str, Any]:
    """What the manifest says of a user's aggregates table: the file by name and sha256
    (never its folder), the rows left out and why, and which margins are national."""
    table = user_aggregates(spec)
    if table is None:
        raise InvalidParameter("spec: expected one with user_aggregates", param="spec")
    national = aggregates_path(spec)
    return {
        "file": table.name,
        "sha256": table.sha256,
        "rows_used": len(table.rows),
        "rows_left_out": [{"line": r.line, "reason": r.reason} for r in table.left_out],
        "national": {"file": national.name, "sha256": _sha256(national)},
        "margins_from_national": [dim for dim, t in targets.items() if t.fallback],
    }


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(
            f"{folder} is not a synthetic data set: {MANIFEST} is missing (make one with `triage synth --out {folder}`)"
        )
    return json.loads(path.read_text("utf-8"))


def read_dataset(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Notices (validated, as a notice frame), truth (or recorded outcomes only), and manifest."""
    from triage.notices import validate_notices

    manifest = read_manifest(folder)
    result = validate_notices(folder / manifest["files"]["notices"])
    if result.errors:
        first = result.errors[0]
        raise ValueError(
            f"{folder}: {len(result.errors)} problems in the notices, first: row {first.row} {first.field}: {first.message}"
        )
    files = manifest["files"]
    # `triage aggregates synthesize` writes recorded outcomes only (there is no truth in a release)
    truth = pd.read_parquet(folder / files.get("truth", files.get("outcomes", TRUTH_FILE)))
    return result.valid, truth, manifest


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
