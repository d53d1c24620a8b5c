"""The researcher's side: a release folder → notices and recorded outcomes, sampled from a model.

The model is Private-PGM's graphical model fitted to the released tables
(suppressed cells unmeasured; DP tables weighted by their noise), so what it
samples carries only what the tables say. There is no truth file: there is
no truth in a release.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from triage.contract.errors import InvalidParameter

NOTICES_FILE = "notices.parquet"
OUTCOMES_FILE = "outcomes.parquet"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class Synthesized:
    notices: pd.DataFrame
    outcomes: pd.DataFrame  # notice_id and the recorded outcomes, in the notices' order
    manifest: dict[str, Any]  # the release's manifest


def synthesize_release(folder: Path, *, n: int, seed: int) -> Synthesized:
    """``n`` notices sampled from the model of the release in ``folder``; the same seed, the same notices."""
    from triage.aggregates.attributes import to_notices
    from triage.aggregates.fit import fit_model, sample_records
    from triage.aggregates.release_folder import read_release

    if n < 1:
        raise InvalidParameter(f"n: expected a positive number of notices, got {n}", param="n")
    release = read_release(folder)
    budget = release.manifest.get("budget") or {}
    stddev = budget.get("noise_stddev")
    model = fit_model(
        release.tables, release.domain, noise_stddev=None if stddev is None else float(stddev)
    )
    records = sample_records(model, n=n, seed=seed)
    notices, outcomes = to_notices(records, release.domain, seed=seed)
    return Synthesized(notices=notices, outcomes=outcomes, manifest=release.manifest)


def write_synthesized(
    result: Synthesized, out: Path, *, release: Path, seed: int
) -> dict[str, Any]:
    """``notices.parquet``, ``outcomes.parquet`` and ``manifest.json``, as ``triage synth`` lays them out."""
    from triage.notices import write_notices, write_table

    out.mkdir(parents=True, exist_ok=True)
    notices_path = write_notices(result.notices, out / NOTICES_FILE)
    outcomes_path = write_table(result.outcomes, out / OUTCOMES_FILE)
    source = result.manifest
    manifest = {
        "generator": "triage aggregates synthesize",
        "release": str(release),
        "release_method": source.get("method"),
        "release_parameters": source.get("parameters"),
        "release_spec_digest": source.get("spec_digest"),
        "seed": seed,
        "n": len(result.notices),
        "files": {"notices": notices_path.name, "outcomes": outcomes_path.name},
        "sha256": {p.name: _sha256(p) for p in (notices_path, outcomes_path)},
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (out / MANIFEST_FILE).write_text(text, "utf-8")
    return manifest


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
