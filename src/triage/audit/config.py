"""Audit defaults, validated with pydantic (``configs/audit.yaml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from triage.contract.errors import InvalidParameter
from triage.contract.yaml_files import read_yaml
from triage.features import SENSITIVE_FIELDS

from .errors import BAD_BAND, AuditConfigMissing

DEFAULT_CONFIG = Path("configs/audit.yaml")
DISPARITY_METRICS: tuple[str, ...] = ("flag_rate", "fnr", "fpr", "for", "precision")
"""Layer-2 metrics: all are ratios of per-group confusion counts, so they bootstrap fast."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Band(_Section):
    low: float = 0.8
    high: float = 1.25

    @model_validator(mode="after")
    def _around_parity(self) -> Band:
        if not 0.0 < self.low < 1.0 < self.high:
            raise ValueError(BAD_BAND.format(low=self.low, high=self.high))
        return self


class AuditConfig(_Section):
    """Defaults of every audit; the CLI overrides some of them per call."""

    sensitive: tuple[str, ...] = SENSITIVE_FIELDS
    intersections: tuple[tuple[str, ...], ...] = ()
    min_n: Annotated[int, Field(ge=1)] = 30
    band: Band = Band()
    reference: str = "largest"
    n_boot: Annotated[int, Field(ge=0)] = 1000
    level: Annotated[float, Field(gt=0, lt=1)] = 0.95
    seed: int = 0
    ece_bins: Annotated[int, Field(ge=1)] = 10
    flag_tiers: tuple[str, ...] = ("immediate", "urgent")
    verify_max_rows: Annotated[int, Field(ge=0)] = 20_000
    """Tables up to this size are cross-checked against fairlearn's MetricFrame."""
    experiment: str = "fairness-audit"


DEFAULTS = AuditConfig()
"""Built-in defaults (frozen, so safe as a default argument)."""


def load_audit_config(path: str | Path | None = None) -> AuditConfig:
    """``configs/audit.yaml`` (or ``path``) validated; built-in defaults when absent."""
    path = Path(path) if path is not None else DEFAULT_CONFIG
    if not path.exists():
        if path == DEFAULT_CONFIG:
            return AuditConfig()
        raise AuditConfigMissing(path)
    raw = read_yaml(path, "audit config", lambda m: InvalidParameter(m, param="config")) or {}
    raw.pop("audit_version", None)
    return AuditConfig.model_validate(raw)
