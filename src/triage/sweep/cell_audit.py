"""A cell's fairness audit: its run's test predictions audited as ``triage audit --run``
audits them, logged as an audit run naming the cell's run, with the counts of flags
copied onto the cell's run (``audit.<part>.flags`` and ``audit.<part>.flags.<feature>``)
so the summary reads them as it reads the headline metrics.

``part``: ``recorded`` and ``true`` (the decision judged against each outcome) and
``labels`` (the recorded labels judged against the true outcome) for a run with a true
outcome; ``audit`` alone for one without.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from triage.sweep import tags

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from triage.audit import AuditResult
    from triage.audit.label_bias import LabelBiasAudit

PREFIX = "audit."


def audit_cell(client: MlflowClient, run_id: str, cell_id: str, settings: dict[str, Any]) -> str:
    """Audit the finished cell run ``run_id`` (the tracking URI set); the audit run's id."""
    from mlflow.entities import Metric

    from triage.audit.config import AuditConfig
    from triage.audit.of_run import audit_logged_run
    from triage.audit.report import log_audit
    from triage.audit.runs import OF_RUN_TAG, load_logged_predictions

    cfg = AuditConfig.model_validate(settings)
    result = audit_logged_run(load_logged_predictions(run_id), cfg)
    audit_id = log_audit(
        result, experiment=cfg.experiment, run_name=f"audit {cell_id}", tags={OF_RUN_TAG: run_id}
    )
    now = int(time.time() * 1000)
    metrics = [Metric(k, v, now, 0) for k, v in flag_counts(result).items()]
    client.log_batch(run_id, metrics=metrics, tags=[])
    client.set_tag(run_id, tags.AUDIT_RUN, audit_id)
    return audit_id


def flag_counts(result: AuditResult | LabelBiasAudit) -> dict[str, float]:
    """Flagged disparities per audit part, in all and per sensitive feature."""
    from triage.audit.label_bias import LabelBiasAudit

    parts = result.audits if isinstance(result, LabelBiasAudit) else {result.name: result}
    out: dict[str, float] = {}
    for part, audited in parts.items():
        d = audited.disparities
        out[f"{PREFIX}{part}.flags"] = float(d["flag"].sum())
        for feature, rows in d.groupby("feature", sort=True):
            out[f"{PREFIX}{part}.flags.{metric_safe(str(feature))}"] = float(rows["flag"].sum())
    return out


def metric_safe(name: str) -> str:
    """A feature (or an intersection such as ``a×b``) as MLflow allows in a metric's name."""
    return re.sub(r"[^\w\-. /]", "_", name)
