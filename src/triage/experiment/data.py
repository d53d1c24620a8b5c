"""The data step: notices and their truth, generated or loaded as the config says.

The data's fingerprint (a hash of every column) takes a core for a while, so a
pipeline starts it with ``fingerprint_in_background`` right after loading, keeps
the ``Future`` itself, and hands its logging step a ``Dataset`` that holds the
resolved digest (``with_fingerprint``): no ``Future`` travels inside the data.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from triage.experiment.background import in_background
from triage.experiment.config import DataConfig


@dataclass(frozen=True)
class Dataset:
    notices: pd.DataFrame
    truth: pd.DataFrame  # joined by notice_id, aligned row for row with notices
    info: dict[str, str] = field(default_factory=dict)
    fingerprint: str | None = None  # of the data the notices were drawn from

    def tags(self) -> dict[str, str]:
        """``info`` and ``data.fingerprint``: what a run records of its data."""
        if self.fingerprint is None:
            return dict(self.info)
        return {**self.info, "data.fingerprint": self.fingerprint}

    def with_fingerprint(self, digest: str) -> Dataset:
        return replace(self, fingerprint=digest)


def load_data(cfg: DataConfig, *, seed: int) -> Dataset:
    if cfg.source == "folder":
        from triage.synth.output import read_dataset

        folder = cfg.folder or ""  # the config's own check makes it non-empty for a folder
        notices, truth, manifest = read_dataset(resolve_path(folder))
        info = {
            "data.source": f"folder {folder}",
            "synth.spec_version": str(manifest.get("spec_version")),
            "synth.spec_digest": str(manifest.get("spec_digest")),
            "synth.seed": str(manifest.get("seed")),
        }
    else:
        from triage.synth import generate, load_spec

        spec = load_spec(resolve_path(cfg.synthetic.spec) if cfg.synthetic.spec else None)
        result = generate(spec, n=cfg.synthetic.n, seed=seed, fiscal_year=cfg.synthetic.fiscal_year)
        notices, truth = result.notices, result.truth
        info = {
            "data.source": "synthetic",
            "synth.spec_version": spec.spec_version,
            "synth.spec_digest": spec.digest,
            "synth.seed": str(seed),
        }
    truth = align_truth(notices, truth)
    info["data.n"] = str(len(notices))
    return Dataset(notices=notices, truth=truth, info=info)


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
    """The generator spec behind the data when they are synthetic, else None (real data)."""
    from triage.synth import load_spec

    if cfg.source != "synthetic":
        return None
    return load_spec(resolve_path(cfg.synthetic.spec) if cfg.synthetic.spec else None)


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
            return "\n".join(map(repr, s.tolist())).encode()
        # Lists of types: codes in order of first appearance plus the distinct values,
        # as exact as the values and without writing out a million tuples one by one.
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        return repr(list(uniques)).encode() + codes.astype(np.int64).tobytes()
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.to_numpy(dtype="datetime64[us]").view("int64").tobytes()
    return s.to_numpy(dtype="float64", na_value=np.nan).tobytes()
