"""The audit of a run's logged test predictions: which columns it reads, and the audit itself.

``triage audit --run`` and a sweep's cells (``audit: true`` in a sweep file) audit a
run the same way: the run's decision (an intake run's suggested tier, a DV run's
route) against its recorded outcome, and against the true outcome as well when the
run has one (synthetic data), flagged as the run's tags or the audit config say.
"""

from __future__ import annotations

from dataclasses import dataclass

from triage.audit._audit import AuditResult, audit
from triage.audit.config import AuditConfig
from triage.audit.label_bias import LabelBiasAudit, audit_against_truth
from triage.audit.runs import LoggedPredictions


@dataclass(frozen=True)
class RunAuditColumns:
    """What the audit of a run reads: given options first, else the run's roles."""

    label: str
    truth: str | None
    score: str | None
    threshold: float | None
    tier: str | None
    flag_tiers: list[str] | None


def run_audit_columns(
    logged: LoggedPredictions,
    config: AuditConfig,
    *,
    label: str | None = None,
    truth: str | None = None,
    score: str | None = None,
    threshold: float | None = None,
    tier: str | None = None,
    flag_tiers: list[str] | None = None,
) -> RunAuditColumns:
    roles = logged.roles
    label = label or roles.label
    if truth is None and roles.truth is not None and label != roles.truth:
        truth = roles.truth
    if score is None and threshold is not None:
        score = "score"
    if threshold is None and tier is None:
        tier = roles.decision
        flag_tiers = flag_tiers or list(roles.flagged or config.flag_tiers)
    return RunAuditColumns(label, truth, score, threshold, tier, flag_tiers)


def audit_logged_run(
    logged: LoggedPredictions, config: AuditConfig
) -> AuditResult | LabelBiasAudit:
    """The audit ``triage audit --run`` makes with no options: recorded, and true when known."""
    cols = run_audit_columns(logged, config)
    if cols.truth:
        return audit_against_truth(
            logged.frame, recorded_label=cols.label, true_label=cols.truth, score=cols.score,
            threshold=cols.threshold, tier=cols.tier, flag_tiers=cols.flag_tiers,
            config=config, model_inputs=logged.model_inputs,
        )  # fmt: skip
    return audit(
        logged.frame, label=cols.label, score=cols.score, threshold=cols.threshold,
        tier=cols.tier, flag_tiers=cols.flag_tiers, config=config,
        model_inputs=logged.model_inputs,
    )  # fmt: skip
