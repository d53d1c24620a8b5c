"""Pipelines: each is a short composition of library steps, from config to model card.

``intake_urgency`` and ``dv_witness_sorting`` run data → split → features →
candidates → calibration → tiers or routing → evaluation → MLflow → model card,
and return a typed result that the command line prints. ``run_pipeline`` picks
the one a config names. They ship inside the package, so an installed wheel runs
them from any folder; the repository's ``pipelines/`` keeps ``MLproject`` and
thin entry points.

Layer: pipelines, above ``triage.report`` (a run ends with its model card) and
below the applications. May import every layer below.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from triage.pipelines.results import PipelineResult, RoutingResult, UrgencyResult

if TYPE_CHECKING:
    from triage.experiment.config import ExperimentConfig
    from triage.experiment.progress import Console

PIPELINES = ("intake_urgency", "dv_witness_sorting")


def load_pipeline(name: str) -> ModuleType:
    """The pipeline module ``name`` (one of ``PIPELINES``)."""
    if name not in PIPELINES:
        raise ValueError(f"pipeline: expected one of {', '.join(PIPELINES)}, got {name!r}")
    return importlib.import_module(f"triage.pipelines.{name}")


def run_pipeline(
    cfg: ExperimentConfig,
    *,
    config_path: Path | None = None,
    console: Console | None = None,
    quiet: bool = False,
    reports: Path = Path("reports"),
) -> PipelineResult:
    """Run the pipeline ``cfg`` names, its progress on ``console``; nothing else is printed."""
    result: PipelineResult = load_pipeline(cfg.pipeline).run(
        cfg, config_path=config_path, console=console, quiet=quiet, reports=reports
    )
    return result


__all__ = [
    "PIPELINES",
    "PipelineResult",
    "RoutingResult",
    "UrgencyResult",
    "load_pipeline",
    "run_pipeline",
]
