"""What a pipeline hands its logging step: the run's inputs, test predictions and artefacts.

Each field holds a value, never a ``Future``. Background work (the data's
fingerprint, the bootstrap) belongs to the pipeline that started it, which
resolves it at the step boundary where its value is first needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from triage.experiment.config import ExperimentConfig
from triage.experiment.data import Dataset
from triage.experiment.outcomes import WITH_TRUTH, Reference
from triage.experiment.split import TemporalSplit

Cut = TypeVar("Cut")


@dataclass(frozen=True)
class RunInputs:
    """What made a run: its config, the file it came from, the data and their split."""

    cfg: ExperimentConfig
    config_path: Path | None  # None for a config built in code: its dump is logged instead
    data: Dataset  # with its fingerprint resolved
    split: TemporalSplit


@dataclass(frozen=True)
class TestPredictions:
    """The test period: its notices, their truth, and each candidate's risks and tiers."""

    notices: pd.DataFrame
    truth: pd.DataFrame  # the simulator's truth and the recorded outcomes, or the latter only
    risks: dict[str, np.ndarray]  # candidate → calibrated risk
    tiers: dict[str, np.ndarray]  # candidate and oracle → suggested tier
    reference: Reference = WITH_TRUTH  # what the test period is judged against


@dataclass(frozen=True)
class RunArtefacts(Generic[Cut]):
    """What a run registers besides its figures: the model and the cuts.

    (Its input example is a made-up template, ``triage.tracking.input_example``,
    never notices of the run's data.)
    """

    cuts: dict[str, Cut]  # candidate and oracle → tier thresholds (urgency) or route cut (DV)
    model: Pipeline  # notices in, calibrated probabilities out: exactly what was evaluated
