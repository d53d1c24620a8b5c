"""The generator spec: a versioned YAML file, validated before anything is drawn."""

from __future__ import annotations

import hashlib
import math
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from triage.contract.errors import TriageError
from triage.contract.yaml_files import parse_yaml


def packaged_data(name: str) -> Path:
    """A file of ``triage/synth/data`` (a copy of the project's ``synthetic/`` folder).

    pip installs a wheel as plain files, so the resource is a path on disk.
    """
    return Path(str(files("triage.synth") / "data" / name))


LOCAL_SPEC = Path("synthetic") / "spec.yaml"
"""The default spec when the working folder has one (the project's copy, the one people edit)."""
DEFAULT_SPEC = packaged_data("spec.yaml")
"""The packaged copy of ``synthetic/spec.yaml``: the default anywhere else."""

Condition = dict[str, str | list[str]]
Terms = dict[str, float]


class SpecError(TriageError, ValueError):
    """A spec file that cannot be used, with the key path that is wrong."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Association(_Strict):
    when: Condition
    log_weight: float


class Calibration(_Strict):
    aggregates: str
    fiscal_year: int
    route_map: dict[str, str]
    remainder_weights: dict[str, Annotated[float, Field(gt=0)]]
    age_bands: dict[str, tuple[int, int]]
    dv_witness_category: str
    associations: list[Association]


class TimeSpec(_Strict):
    fiscal_years: Annotated[int, Field(ge=1, le=10)]
    timezone: str
    yearly_growth: float
    weekday_weights: Annotated[
        list[Annotated[float, Field(gt=0)]], Field(min_length=7, max_length=7)
    ]
    month_weights: Annotated[
        list[Annotated[float, Field(gt=0)]], Field(min_length=12, max_length=12)
    ]
    hour_profile: dict[
        Literal["office", "police"], Annotated[list[float], Field(min_length=24, max_length=24)]
    ]


class Shift(_Strict):
    when: Condition
    add: dict[str, float]


class CategoricalNode(_Strict):
    kind: Literal["categorical"]
    probs: dict[str, Annotated[float, Field(gt=0)]]
    shifts: list[Shift] = []
    only_if: Condition | None = None


class BernoulliNode(_Strict):
    kind: Literal["bernoulli"]
    logit: float
    terms: Terms = {}
    only_if: Condition | None = None


class PoissonNode(_Strict):
    kind: Literal["poisson"]
    log_mean: float
    terms: Terms = {}
    max: int
    only_if: Condition | None = None


class NormalNode(_Strict):
    kind: Literal["normal"]
    mean: float
    sd: Annotated[float, Field(ge=0)]
    terms: Terms = {}
    only_if: Condition | None = None


class OrdinalNode(_Strict):
    kind: Literal["ordinal"]
    levels: list[str]
    cutpoints: list[float]
    terms: Terms = {}
    only_if: Condition | None = None

    @model_validator(mode="after")
    def _cutpoints_fit_levels(self) -> OrdinalNode:
        if len(self.cutpoints) != len(self.levels) - 1 or self.cutpoints != sorted(self.cutpoints):
            raise ValueError("expected one increasing cut point between each pair of levels")
        return self


Node = Annotated[
    CategoricalNode | BernoulliNode | PoissonNode | NormalNode | OrdinalNode,
    Field(discriminator="kind"),
]


class Outcome(_Strict):
    logit: float
    terms: Terms
    tiers: dict[Literal["immediate", "urgent"], Annotated[float, Field(gt=0, lt=1)]]

    @field_validator("tiers")
    @classmethod
    def _ordered(cls, v: dict[str, float]) -> dict[str, float]:
        if set(v) != {"immediate", "urgent"} or v["immediate"] <= v["urgent"]:
            raise ValueError("expected both cut points, immediate above urgent")
        return v


class LinearPart(_Strict):
    logit: float
    terms: Terms = {}


class TierPerception(_Strict):
    noise_sd: Annotated[float, Field(ge=0)]
    terms: Terms = {}


class Recording(_Strict):
    detection: LinearPart
    false_record: LinearPart
    tier_perception: TierPerception


class Missingness(_Strict):
    groups: dict[str, list[str]]
    base: dict[str, Annotated[float, Field(ge=0, lt=1)]]
    route_shift: dict[str, dict[str, float]]


class SafetyCheck(_Strict):
    median_hours: Annotated[float, Field(gt=0)]
    log_sd: Annotated[float, Field(gt=0)]
    terms: Terms = {}
    never_confirmed_logit: float
    never_confirmed_terms: Terms = {}


class Spec(_Strict):
    spec_version: str
    calibration: Calibration
    time: TimeSpec
    nodes: dict[str, Node]
    outcome: Outcome
    recording: Recording
    missingness: Missingness
    safety_check: SafetyCheck
    regions: dict[Literal["urban", "suburban", "rural"], list[str]]

    # Filled by load_spec: where the spec came from and a digest of its bytes.
    source: str = ""
    digest: str = ""
    # Filled by with_user_aggregates (`triage synth --aggregates`): a table of the user's own,
    # in the format of calibration.aggregates, that the margins come from first.
    user_aggregates: str = ""

    @model_validator(mode="after")
    def _groups_known(self) -> Spec:
        for group, fields in self.missingness.groups.items():
            if group not in self.missingness.base:
                raise ValueError(f"missingness.base has no rate for group '{group}'")
            for f in fields:
                if f not in self.nodes:
                    raise ValueError(f"missingness.groups.{group}: '{f}' is not a node")
        return self


def load_spec(path: str | Path | None = None) -> Spec:
    """Read and validate a spec; errors name the key path and what was expected.

    Without ``path``: ``synthetic/spec.yaml`` of the working folder when there is
    one, else the packaged copy (:data:`DEFAULT_SPEC`).
    """
    path = Path(path) if path is not None else default_spec_path()
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read spec {path}: {exc.strerror}") from exc
    raw = parse_yaml(raw_bytes, path, lambda message: SpecError("spec " + message))
    if not isinstance(raw, dict):
        raise SpecError(f"spec {path}: expected a mapping at the top level")
    try:
        spec = Spec.model_validate(raw)
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise SpecError(f"spec {path} is invalid:\n" + "\n".join(lines)) from None
    digest = hashlib.sha256(raw_bytes).hexdigest()[:16]
    return spec.model_copy(update={"source": str(path), "digest": digest, "user_aggregates": ""})


def with_user_aggregates(spec: Spec, path: str | Path) -> Spec:
    """``spec`` calibrated to ``path`` first, margin by margin (see ``triage.synth.calibrate``).

    The path is kept as given, so that messages name the file as the user wrote it.
    """
    return spec.model_copy(update={"user_aggregates": str(path)})


def default_spec_path() -> Path:
    """``synthetic/spec.yaml`` of the working folder if it is there, else the packaged copy."""
    return LOCAL_SPEC.resolve() if LOCAL_SPEC.is_file() else DEFAULT_SPEC


def aggregates_path(spec: Spec) -> Path:
    """The spec's aggregates file, relative to the spec; the packaged copy when none is there.

    The national figures: a user's own table (``Spec.user_aggregates``) comes before them.
    """
    beside = Path(spec.source).parent / spec.calibration.aggregates
    if beside.exists():
        return beside
    packaged = packaged_data(spec.calibration.aggregates)
    return packaged if packaged.is_file() else beside


def is_structural_zero(weight: float) -> bool:
    return math.isinf(weight) and weight < 0
