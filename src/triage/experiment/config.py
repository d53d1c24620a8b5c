"""Experiment configs: one versioned YAML file per experiment, validated before anything runs.

An unknown key, a wrong type or a bad value fails at once with the key path
and what was expected (``tiers.capacity.workers: expected a number greater
than 0, got -3``). Everything an experiment does is in its config; nothing
depends on the machine it runs on.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)
from pydantic_core import ErrorDetails

from triage.contract.errors import TriageError
from triage.contract.names import CANDIDATE, URGENCY_MODEL
from triage.contract.yaml_files import read_yaml

CONFIG_VERSION = 1

PositiveInt = Annotated[int, Field(gt=0)]
Probability = Annotated[float, Field(gt=0, lt=1)]


class ConfigError(TriageError, ValueError):
    """A config that cannot run, with every problem's key path."""


class ConfigNotFound(ConfigError):
    """No config where the user pointed: a usage mistake (exit 2), not a config's content."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SyntheticData(_Section):
    n: PositiveInt = 300_000
    spec: str | None = Field(
        default=None, description="generator spec; default synthetic/spec.yaml"
    )
    fiscal_year: int | None = None
    welfare_recording_bias: Annotated[float, Field(ge=-5, le=5, allow_inf_nan=False)] = 0.0
    """Log-odds added to the welfare-receipt term of ``recording.false_record`` (surveillance
    bias: harm recorded that did not happen), the recorded-label bias the audit's label check
    measures. 0 leaves the spec as it is."""
    missingness_scale: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)] = 1.0
    """Multiplies the odds that an intake fact is unknown, for every missingness group and
    route: the odds scale keeps every share in (0, 1) and, for the spec's shares of about
    0.1, is close to multiplying the share itself. 1 leaves the spec as it is."""


class ReleaseData(_Section):
    """Notices synthesized from an aggregates release: its folder, and how many to draw."""

    path: str = Field(description="a release folder: manifest.json and tables/*.csv")
    n: PositiveInt = 200_000


class DataConfig(_Section):
    source: Literal["synthetic", "folder", "release"] = "synthetic"
    synthetic: SyntheticData = SyntheticData()
    folder: str | None = Field(
        default=None,
        description="a data set folder laid out as `triage synth` writes it; its truth file "
        "may hold the recorded outcomes only (an agency's own records)",
    )
    release: ReleaseData | None = None
    """Only for ``source: release``: a release holds no truth, so its runs judge recorded outcomes."""

    @model_validator(mode="after")
    def _folder_given(self) -> DataConfig:
        if self.source == "folder" and not self.folder:
            raise ValueError(
                "source 'folder' needs data.folder: the path of a `triage synth` folder"
            )
        return self


class SplitConfig(_Section):
    """Temporal split: train on the earliest months, calibrate on the next, test on the latest."""

    calibration_months: PositiveInt = 3
    test_months: PositiveInt = 6
    gap_days: Annotated[int, Field(ge=0, le=365)] = 90
    """Days left out before calibration and before test: a 90-day outcome is not yet known for
    notices closer than that to the next window's start, so they would leak the future."""


class FeatureConfig(_Section):
    include_sensitive: bool = False


class CandidateConfig(_Section):
    enabled: bool = True
    params: dict[str, Any] = {}


CandidateName = Literal["checklist", "dv_checklist", "scorecard", "lightgbm", "tree"]

PIPELINE_CANDIDATES: dict[str, tuple[CandidateName, ...]] = {
    "intake_urgency": ("checklist", "scorecard", "lightgbm", "tree"),
    "dv_witness_sorting": ("dv_checklist", "scorecard", "lightgbm", "tree"),
}
"""The candidates each pipeline knows; the first of each is its checklist baseline."""


def _default_candidates(pipeline: str = "intake_urgency") -> dict[CandidateName, CandidateConfig]:
    return {name: CandidateConfig() for name in PIPELINE_CANDIDATES[pipeline]}


class CalibrationConfig(_Section):
    method: Literal["isotonic", "sigmoid"] = "isotonic"


class CutPoints(_Section):
    immediate: Probability = 0.40
    urgent: Probability = 0.15

    @model_validator(mode="after")
    def _ordered(self) -> CutPoints:
        if self.immediate <= self.urgent:
            raise ValueError("immediate must be above urgent")
        return self


class Capacity(_Section):
    """What the caseworkers can take: ``workers × cases_per_worker / case_days`` new CGC cases a day."""

    workers: Annotated[float, Field(gt=0)] = 90
    cases_per_worker: Annotated[float, Field(gt=0)] = 40  # national staffing standard
    case_days: Annotated[float, Field(gt=0)] = 60
    immediate_share: Probability = 0.25

    @property
    def per_day(self) -> float:
        return self.workers * self.cases_per_worker / self.case_days


class TierConfig(_Section):
    mode: Literal["cut_points", "capacity"] = "capacity"
    cut_points: CutPoints = CutPoints()
    capacity: Capacity = Capacity()


class RoutingConfig(_Section):
    """DV-witness routing (pipeline ``dv_witness_sorting``): what the centres can take a day.

    The riskiest ``cgc_per_day`` DV-witness notices a day (judged on the
    calibration window) go to the CGC, the rest to the municipality.
    """

    cgc_per_day: Annotated[float, Field(gt=0)] = 25.0
    survey_municipality_share: Probability = 0.57
    """Reference only, printed beside the results: in a 2023 survey centres judged 57% of
    DV-witness notices mild (municipality track)."""


class EvaluationConfig(_Section):
    n_boot: Annotated[int, Field(ge=0, le=10_000)] = 1000
    level: Probability = 0.95
    ece_bins: Annotated[int, Field(ge=2, le=100)] = 10


class SelectionConfig(_Section):
    metric: Literal["auc", "brier", "log_loss"] = "auc"
    among: list[str] | None = None


class ExplanationConfig(_Section):
    """Global explanations and, on synthetic data, the truth check, logged with every run."""

    enabled: bool = True
    sample: Annotated[int, Field(ge=100, le=100_000)] = 2000
    truth_n: Annotated[int, Field(ge=500, le=100_000)] = 3000


class MlflowConfig(_Section):
    experiment: str = URGENCY_MODEL
    registered_model: str = URGENCY_MODEL
    alias: str = CANDIDATE


class ExperimentConfig(_Section):
    config_version: Literal[1]
    pipeline: Literal["intake_urgency", "dv_witness_sorting"]
    name: str
    seed: int = 0
    target: Literal["recorded", "true"] = "recorded"
    """intake_urgency: recorded_harm_90d / harm_90d; dv_witness_sorting: recorded_dv_route /
    true_dv_route (1 = ``cgc``)."""
    data: DataConfig = DataConfig()
    split: SplitConfig = SplitConfig()
    features: FeatureConfig = FeatureConfig()
    candidates: dict[CandidateName, CandidateConfig] = Field(
        default_factory=lambda: _default_candidates()
    )
    calibration: CalibrationConfig = CalibrationConfig()
    tiers: TierConfig = TierConfig()
    routing: RoutingConfig | None = None
    """Only for ``dv_witness_sorting`` (defaults filled in there); intake_urgency uses ``tiers``."""
    evaluation: EvaluationConfig = EvaluationConfig()
    selection: SelectionConfig = SelectionConfig()
    explanations: ExplanationConfig = ExplanationConfig()
    mlflow: MlflowConfig = MlflowConfig()

    @model_validator(mode="before")
    @classmethod
    def _pipeline_defaults(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and raw.get("pipeline") in PIPELINE_CANDIDATES:
            raw = dict(raw)
            if "candidates" not in raw:
                raw["candidates"] = _default_candidates(raw["pipeline"])
            if raw["pipeline"] == "dv_witness_sorting" and raw.get("routing") is None:
                raw["routing"] = {}
        return raw

    @model_validator(mode="after")
    def _sections_fit_the_pipeline(self) -> ExperimentConfig:
        known = PIPELINE_CANDIDATES[self.pipeline]
        for name in self.candidates:
            if name not in known:
                raise ValueError(
                    f"candidates.{name}: not a candidate of pipeline {self.pipeline} "
                    f"(choose from {list(known)})"
                )
        if self.pipeline == "intake_urgency" and self.routing is not None:
            raise ValueError(
                "routing: only pipeline dv_witness_sorting routes; intake_urgency uses tiers"
            )
        if self.pipeline == "dv_witness_sorting" and "tiers" in self.model_fields_set:
            raise ValueError(
                "tiers: not used by pipeline dv_witness_sorting; "
                "its capacity is routing.cgc_per_day"
            )
        return self

    @model_validator(mode="after")
    def _release_source(self) -> ExperimentConfig:
        data = self.data
        if data.source != "release":
            if data.release is not None:
                raise ValueError(
                    f"data.release: used only with data.source 'release', not '{data.source}'"
                )
            return self
        if data.release is None:
            raise ValueError(
                "data.release.path: source 'release' needs the path of a release folder "
                "(manifest.json and tables/)"
            )
        # A release holds recorded outcomes only: nothing in it can stand in for the truth.
        if self.target == "true":
            raise ValueError(
                "target: 'true' trains on the simulator's harm_90d, and a release holds "
                "recorded outcomes only; use target: recorded"
            )
        if self.pipeline == "dv_witness_sorting":
            raise ValueError(
                "data.source: pipeline dv_witness_sorting judges routes against the "
                "simulator's truth (p_harm, true_dv_route), and a release holds recorded "
                "outcomes only"
            )
        return self

    @model_validator(mode="after")
    def _some_candidate(self) -> ExperimentConfig:
        enabled = [n for n, c in self.candidates.items() if c.enabled]
        if not enabled:
            raise ValueError("candidates: enable at least one candidate")
        for name in self.selection.among or []:
            if name not in enabled:
                raise ValueError(
                    f"selection.among: '{name}' is not an enabled candidate ({enabled})"
                )
        return self

    @model_serializer(mode="wrap")
    def _without_unused_tiers(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A dump parses again to the same config (a sweep's cell travels to its worker as
        # one), and a DV config refuses a tiers section: so a DV config's dump has none.
        dumped: dict[str, Any] = handler(self)
        if self.pipeline == "dv_witness_sorting":
            dumped.pop("tiers", None)
        return dumped

    def enabled_candidates(self) -> dict[str, CandidateConfig]:
        return {n: c for n, c in self.candidates.items() if c.enabled}

    @property
    def dv_routing(self) -> RoutingConfig:
        """``routing``, which a ``dv_witness_sorting`` config always has (defaults filled in)."""
        return self.routing or RoutingConfig()

    def flat(self) -> dict[str, str]:
        """The config as dotted key → value strings, for MLflow params."""
        dumped = self.model_dump(mode="json")
        if (
            dumped.get("routing") is None
        ):  # intake_urgency: params exactly as before routing existed
            dumped.pop("routing", None)
        if dumped["data"].get("release") is None:  # the same for data sources other than release
            dumped["data"].pop("release", None)
        return _flatten(dumped)


def _flatten(obj: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(obj, dict):
        out: dict[str, str] = {}
        for key, value in obj.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): "null" if obj is None else str(obj)}


def _describe(err: ErrorDetails) -> str:
    path = ".".join(str(p) for p in err["loc"]) or "(top level)"
    msg = err["msg"]
    if not err["loc"] and err["type"] == "value_error":  # a whole-config check names its own keys
        return f"  {msg.removeprefix('Value error, ')}"
    if err["type"] == "extra_forbidden":
        msg = "unknown key (check the spelling; see configs/intake_urgency.yaml for every key)"
    elif "input" in err and err["type"] not in ("missing",):
        shown = repr(err["input"])
        msg = f"{msg}, got {shown[:60]}"
    return f"  {path}: {msg}"


def parse_config(raw: Any, *, source: str = "config") -> ExperimentConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping of sections at the top level")
    try:
        return ExperimentConfig.model_validate(raw)
    except ValidationError as exc:
        lines = [_describe(e) for e in exc.errors()]
        raise ConfigError(
            f"{source} is invalid ({len(lines)} problem(s)):\n" + "\n".join(lines)
        ) from None


def load_config(path: str | Path) -> ExperimentConfig:
    path = Path(path)
    if not path.is_file():
        raise ConfigNotFound(f"cannot read config {path}: no such file")
    raw = read_yaml(path, "config", ConfigError)
    return parse_config(raw, source=str(path))


PACKAGED_CONFIGS = ("ci", "ci_dv", "dv_witness_sorting", "from_release", "intake_urgency")
"""The experiment configs that ship in the package (copies of the project's ``configs/``)."""


def packaged_config(name: str) -> Path:
    """A file of ``triage/experiment/configs`` (``ci.yaml``, ``rules.yaml``, ...).

    pip installs a wheel as plain files, so the resource is a path on disk.
    """
    return Path(str(files("triage.experiment") / "configs" / name))


def find_config(name_or_path: str | Path) -> Path:
    """The config a user names: a file that exists, else a packaged config by name.

    ``ci`` (or ``ci.yaml``) names the packaged copy of ``configs/ci.yaml`` when
    there is no such file in the working folder. Any other path is returned as
    given (``load_config`` says when it cannot be read); an unknown bare name is
    a :class:`ConfigError` listing the packaged names.
    """
    path = Path(name_or_path)
    # Only a file hides a packaged config: a folder named ``ci`` (a clone, an output
    # folder) beside the user is not a config.
    if path.is_file() or path.is_absolute() or len(path.parts) != 1:
        return path
    if path.suffix in (".yaml", ".yml"):
        return packaged_config(f"{path.stem}.yaml") if path.stem in PACKAGED_CONFIGS else path
    if path.suffix:
        return path
    if path.name in PACKAGED_CONFIGS:
        return packaged_config(f"{path.name}.yaml")
    raise ConfigNotFound(
        f"config {path.name}: no such file, and not a packaged config "
        f"(packaged: {', '.join(PACKAGED_CONFIGS)})"
    )
