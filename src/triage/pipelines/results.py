"""What a pipeline run returns: the logged run and what the command line prints of it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importing ``triage.pipelines`` stays light: the steps load with a pipeline
    from triage.experiment.assessment import Assessment
    from triage.experiment.routing_assessment import RoutingAssessment
    from triage.experiment.run_log import LoggedRun


@dataclass(frozen=True)
class UrgencyResult:
    """An intake-urgency run: every candidate and the oracle on the test period."""

    logged: LoggedRun
    assessment: Assessment
    card_dir: Path  # the model card kept on disk (it is also under report/ in the run)


@dataclass(frozen=True)
class RoutingResult:
    """A DV-witness routing run, with the references its table is read against."""

    logged: LoggedRun
    assessment: RoutingAssessment
    card_dir: Path
    survey_share: float  # the 2023 survey's share of these notices judged mild (municipality)
    capacity: str  # the capacity the cuts were set from (as the oracle's cut states it)


PipelineResult = UrgencyResult | RoutingResult
