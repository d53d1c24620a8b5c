"""The data step: notices and their truth, generated or loaded as the config says.

Three sources: the simulator (``synthetic``), a data set folder laid out as
``triage synth`` writes it (``folder``; an agency's own records hold recorded
outcomes only), and notices synthesized from an aggregates release
(``release``; no truth either). Whether the data hold the simulator's truth is
``Dataset.has_truth`` (``triage.experiment.outcomes``); everything downstream
that would read a true column asks it, through ``Dataset.reference``.

The data's fingerprint (a hash of every column) takes a core for a while, so a
pipeline starts it with ``fingerprint_in_background`` right after loading, keeps
the ``Future`` itself, and hands its logging step a ``Dataset`` that holds the
resolved digest (``with_fingerprint``): no ``Future`` travels inside the data.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from triage.contract.errors import TriageError
from triage.experiment.background import in_background
from triage.experiment.config import ConfigError, DataConfig
from triage.experiment.outcomes import (
    GROUND_TRUTH_TAG,
    NO_GROUND_TRUTH,
    RECORDED_ONLY,
    WITH_TRUTH,
    Reference,
    check_outcomes,
    has_truth,
)

RELEASE_MANIFEST = "release/manifest.json"
"""Where a run logs the manifest of the release its notices were synthesized from."""


@dataclass(frozen=True)
class Dataset:
    notices: pd.DataFrame
    truth: pd.DataFrame  # joined by notice_id, aligned row for row with notices
    info: dict[str, str] = field(default_factory=dict)
    fingerprint: str | None = None  # of the data the notices were drawn from
    documents: dict[str, Any] = field(default_factory=dict)
    """JSON documents the run logs beside its data, by artefact path (a release's manifest)."""

    @property
    def has_truth(self) -> bool:
        """Whether the simulator's truth sits beside the notices; else recorded outcomes only."""
        return has_truth(self.truth)

    @property
    def reference(self) -> Reference:
        """What a run on these data is judged against (``triage.experiment.outcomes``)."""
        return WITH_TRUTH if self.has_truth else RECORDED_ONLY

    def tags(self) -> dict[str, str]:
        """``info`` and ``data.fingerprint``: what a run records of its data."""
        if self.fingerprint is None:
            return dict(self.info)
        return {**self.info, "data.fingerprint": self.fingerprint}

    def with_fingerprint(self, digest: str) -> Dataset:
        return replace(self, fingerprint=digest)


def load_data(cfg: DataConfig, *, seed: int) -> Dataset:
    """The notices and their outcomes, checked (``outcomes.check_outcomes``) and aligned.

    Data without the simulator's truth are tagged ``data.ground_truth: none``.
    """
    documents: dict[str, Any] = {}
    if cfg.source == "release":
        notices, truth, info, documents = _from_release(cfg, seed=seed)
    elif cfg.source == "folder":
        from triage.synth.output import read_dataset

        folder = cfg.folder or ""  # the config's own check makes it non-empty for a folder
        notices, truth, manifest = read_dataset(resolve_path(folder))
        info = {"data.source": f"folder {folder}"}
        if "spec_version" in manifest:  # made by `triage synth`; an agency's folder says nothing
            info.update(
                {
                    "synth.spec_version": str(manifest.get("spec_version")),
                    "synth.spec_digest": str(manifest.get("spec_digest")),
                    "synth.seed": str(manifest.get("seed")),
                }
            )
    else:
        from triage.experiment.synthetic_knobs import adjustment_tags
        from triage.synth import generate

        spec = synthetic_spec(cfg)
        result = generate(spec, n=cfg.synthetic.n, seed=seed, fiscal_year=cfg.synthetic.fiscal_year)
        notices, truth = result.notices, result.truth
        info = {
            "data.source": "synthetic",
            "synth.spec_version": spec.spec_version,
            "synth.spec_digest": spec.digest,  # of the file; the knobs are in synth.adjustments
            "synth.seed": str(seed),
            **adjustment_tags(cfg.synthetic),
        }
    check_outcomes(truth, source=info["data.source"])
    truth = align_truth(notices, truth)
    info["data.n"] = str(len(notices))
    if not has_truth(truth):
        info[GROUND_TRUTH_TAG] = NO_GROUND_TRUTH
    return Dataset(notices=notices, truth=truth, info=info, documents=documents)


def check_target(data: Dataset, target: str) -> None:
    """``target: true`` trains on the simulator's outcome: refused, naming ``target``, without it."""
    if target == "true" and not data.has_truth:
        raise ConfigError(
            f"target: 'true' trains on the simulator's harm_90d, and the data "
            f"({data.info.get('data.source')}) hold recorded outcomes only; use target: recorded",
            param="target",
        )


def _from_release(
    cfg: DataConfig, *, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], dict[str, Any]]:
    """Notices synthesized from the release, their recorded outcomes, tags and the manifest."""
    from triage.aggregates.synthesize import synthesize_release

    release = cfg.release
    if release is None:  # the config's own check gives a release source its section
        raise ConfigError("data.release.path: source 'release' needs a release folder")
    try:
        made = synthesize_release(resolve_path(release.path), n=release.n, seed=seed)
    except TriageError as exc:  # a release that cannot be read is the config's data.release.path
        first = " ".join(str(exc).split())
        raise ConfigError(f"data.release.path: {first}", param="data.release.path") from exc
    info = {"data.source": f"release {release.path}", **release_tags(made.manifest)}
    return made.notices, made.outcomes, info, {RELEASE_MANIFEST: made.manifest}


def release_tags(manifest: dict[str, Any]) -> dict[str, str]:
    """What a run records of the release behind its notices: method, level, budget, spec."""
    budget = manifest.get("budget")
    tags = {
        "release.method": str(manifest.get("method")),
        "release.parameters": _compact(manifest.get("parameters") or {}),
        "release.spec_digest": str(manifest.get("spec_digest")),
        "release.budget": _compact(budget) if budget else "none",
    }
    if manifest.get("records") is not None:
        tags["release.records"] = str(manifest["records"])
    return tags


def _compact(mapping: dict[str, Any]) -> str:
    """A mapping's scalars as one line of JSON (a nested value would not fit a tag)."""
    flat = {k: v for k, v in mapping.items() if not isinstance(v, dict | list)}
    return json.dumps(flat, separators=(",", ":"), ensure_ascii=False)


def fingerprint_in_background(data: Dataset) -> Future[str]:
    """``fingerprint`` of the data in a thread of its own, while split and features run."""
    return in_background("fingerprint", fingerprint, data.notices, data.truth)


def resolve_path(path: str) -> Path:
    """A config's relative path: from the working folder if it is there, else the packaged copy.

    ``synthetic/...`` and ``configs/...`` files that ship with the package
    (``synthetic/spec.yaml``, ``configs/rules.yaml``, ...) are read from the
    package when the working folder has no such file, so an installed
    ``triage`` runs from any folder; any other path is returned as given.
    """
    from triage.experiment.config import packaged_config
    from triage.synth.spec import packaged_data

    p = Path(path)
    if p.is_absolute() or p.exists():
        return p
    packaged = {"synthetic": packaged_data, "configs": packaged_config}.get(p.parts[0])
    if packaged is not None and len(p.parts) > 1:
        copy = packaged(Path(*p.parts[1:]).as_posix())
        if copy.is_file():
            return copy
    return p


def synthetic_spec(cfg: DataConfig):
    """The generator spec behind the data when they are synthetic, else None (real data).

    With the config's knobs applied (``synthetic_knobs``): the truth check and the recorded
    biases a card shows are those of the spec that drew the data.
    """
    from triage.experiment.synthetic_knobs import adjust_spec
    from triage.synth import load_spec

    if cfg.source != "synthetic":
        return None
    spec = load_spec(resolve_path(cfg.synthetic.spec) if cfg.synthetic.spec else None)
    return adjust_spec(spec, cfg.synthetic)


def align_truth(notices: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """The truth rows in the notices' order; every notice must have its truth."""
    ids = notices["notice_id"].to_numpy(object)
    if len(truth) == len(notices) and (truth["notice_id"].to_numpy(object) == ids).all():
        return truth.reset_index(drop=True)  # already aligned, as the generator writes it
    indexed = truth.set_index("notice_id")
    missing = ~notices["notice_id"].isin(indexed.index)
    if missing.any():
        example = notices["notice_id"][missing].iloc[0]
        raise ValueError(
            f"truth: {int(missing.sum())} notices have no truth row (e.g. notice_id {example})"
        )
    return indexed.loc[notices["notice_id"]].reset_index()


def fingerprint(notices: pd.DataFrame, truth: pd.DataFrame) -> str:
    """A digest of the data's content: the same data give the same fingerprint on any machine."""
    h = hashlib.sha256()
    for frame in (notices, truth):
        for col in frame.columns:
            h.update(col.encode())
            h.update(_column_bytes(frame[col]))
    return h.hexdigest()[:16]


def _column_bytes(s: pd.Series) -> bytes:
    """A column's values as bytes, read straight from its arrays (no per-value hashing)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return repr(list(s.cat.categories)).encode() + s.cat.codes.to_numpy().tobytes()
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        if pd.api.types.infer_dtype(s, skipna=True) == "string":
            return _repr_lines(s.tolist())
        # Lists of types: codes in order of first appearance plus the distinct values,
        # as exact as the values and without writing out a million tuples one by one.
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        return repr(list(uniques)).encode() + codes.astype(np.int64).tobytes()
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.to_numpy(dtype="datetime64[us]").view("int64").tobytes()
    return s.to_numpy(dtype="float64", na_value=np.nan).tobytes()


def _repr_lines(values: list) -> bytes:
    """``"\\n".join(map(repr, values)).encode()``, built without calling ``repr`` per value.

    The repr of a ``str`` (exactly, not a subclass) that holds no quote, no backslash
    and only printable characters is the string between single quotes; ids and area
    codes are such strings, so their lines are one join (0.13 CPU-s instead of 0.22
    for a million ids). Anything else (missing values, escapes) takes ``repr`` itself.
    """
    if values and set(map(type, values)) == {str}:
        body = "".join(values)
        if "'" not in body and "\\" not in body and body.isprintable():
            return ("'" + "'\n'".join(values) + "'").encode()
    return "\n".join(map(repr, values)).encode()
