"""The review's settings are the fairness audit's (``configs/audit.yaml``): one place for them.

The sensitive features, the minimum cell size, the reference group, the band,
the bootstrap's size, level and seed and the tiers counted as "sent high" all
come from the audit config, so a reviewer reads decisions with the same
groups and suppression as the model's audit. Here the config is only loaded
with one-line errors and checked against the notice contract.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from triage.audit.config import DEFAULT_CONFIG, AuditConfig, load_audit_config
from triage.audit.groups import parse_intersection
from triage.contract import TIERS, notice_fields

from .errors import BAD_FLAG_TIERS, CONFIG_INVALID, CONFIG_MISSING, UNKNOWN_FEATURE, ReviewError


def load_review_config(path: str | Path | None = None) -> AuditConfig:
    """The audit config at ``path`` (default ``configs/audit.yaml``, else built-in defaults)."""
    shown = Path(path) if path is not None else DEFAULT_CONFIG
    try:
        config = load_audit_config(path)
    except FileNotFoundError:
        raise ReviewError(CONFIG_MISSING.format(path=shown), param="config") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "top level"
        detail = f"{where}: {first['msg']}"
        raise ReviewError(
            CONFIG_INVALID.format(path=shown, detail=detail), param="config"
        ) from None
    except (yaml.YAMLError, AttributeError, TypeError) as exc:
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ReviewError(
            CONFIG_INVALID.format(path=shown, detail=detail), param="config"
        ) from None
    _check_fields(config)
    return config


def review_features(config: AuditConfig) -> tuple[str, ...]:
    """Every notice field the review groups by: the sensitive ones and the intersections' parts."""
    parts = [p for combo in config.intersections for p in parse_intersection(combo)]
    return tuple(dict.fromkeys([*config.sensitive, *parts]))


def _check_fields(config: AuditConfig) -> None:
    known = notice_fields().all
    try:
        features = review_features(config)
    except ValueError as exc:
        raise ReviewError(f"config: {exc}", param="config") from None
    for feature in features:
        if feature not in known:
            raise ReviewError(UNKNOWN_FEATURE.format(feature=feature), param="config")
    if bad := [t for t in config.flag_tiers if t not in TIERS]:
        raise ReviewError(BAD_FLAG_TIERS.format(bad=bad, tiers=list(TIERS)), param="config")
