"""The aggregates-utility experiment's config (``configs/aggregates_utility.yaml``), validated first.

It names a base experiment config for everything a run shares with
``triage run`` (split, candidates' parameters, calibration, tiers, bootstrap)
and adds what this experiment varies: the protection levels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from triage.contract.errors import TriageError
from triage.contract.yaml_files import read_yaml

PositiveInt = Annotated[int, Field(gt=0)]


class UtilityConfigError(TriageError, ValueError):
    """An aggregates-utility config that cannot run, with the key path of each problem."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Records(_Section):
    """The simulated agency: its notices, with the truth only the simulator knows."""

    n: PositiveInt = 200_000
    fiscal_year: int | None = 2023


class Levels(_Section):
    """The protection levels compared, beside the records themselves (``rows``)."""

    rows: bool = True
    sdc_k: list[Annotated[int, Field(ge=2)]] = [5, 10, 20]
    dp_epsilon: list[Annotated[float, Field(gt=0)]] = [0.25, 0.5, 1, 2, 4, 8]
    dp_delta: Annotated[float, Field(ge=0, lt=1)] = 1e-6


class UtilityConfig(_Section):
    utility_version: Literal[1]
    name: str = "aggregates-utility"
    seed: int = 11
    base: str = "configs/intake_urgency.yaml"
    """The experiment config whose split, candidates, calibration, tiers and evaluation are used."""
    release_spec: str | None = None
    """Default: the packaged configs/release.yaml."""
    records: Records = Records()
    synthesize_n: PositiveInt = 200_000
    fit_iterations: PositiveInt = 4000
    """Mirror-descent steps of the graphical model (``triage.aggregates.fit``)."""
    levels: Levels = Levels()
    candidates: list[str] = ["lightgbm", "scorecard"]
    experiment: str = "aggregates-utility"


def find_utility_config(path: str | Path | None) -> Path:
    """The config a user names, else the packaged ``configs/aggregates_utility.yaml``."""
    from triage.aggregates.spec import packaged_release_spec

    packaged = packaged_release_spec().with_name("aggregates_utility.yaml")
    if path is None:
        return packaged
    path = Path(path)
    if not path.exists() and path.name == packaged.name:
        return packaged
    return path


def load_utility_config(path: str | Path) -> UtilityConfig:
    path = Path(path)
    raw: Any = read_yaml(path, "config", UtilityConfigError)
    if not isinstance(raw, dict):
        raise UtilityConfigError(f"{path}: expected a mapping of sections at the top level")
    try:
        return UtilityConfig.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
            for e in exc.errors()
        ]
        raise UtilityConfigError(f"{path} is invalid: " + "; ".join(problems)) from None
