"""Fairness audits in three layers (aequitas): groups → disparities → flags.

- ``audit(frame, label=..., score=..., threshold=... | tier=..., flag_tiers=...)``:
  per-group metrics (layer 1, checked against fairlearn's ``MetricFrame``),
  disparities against a reference group with paired bootstrap intervals
  (layer 2), flags against a band when the interval excludes parity (layer 3);
- ``audit_against_truth``: on synthetic data, the audit against recorded labels,
  against true outcomes, and of the labels themselves (label bias apart from model bias);
- ``power_table``: how often a planted recording bias of a given size is flagged;
- ``mitigation_experiment`` / ``synthetic_mitigation``: deterministic
  ThresholdOptimizer and ExponentiatedGradient runs, experiments only;
- ``log_audit``: the audit as an MLflow run (``triage.cli`` prints it);
- ``log_test_predictions`` / ``log_predictions``: what a pipeline logs so ``triage audit
  --run`` works, with the ``AuditRoles`` of its columns; ``load_logged_predictions`` reads them.

Layer: analysis (above ``triage.evaluation``, whose metrics it uses). May import
evaluation, tracking (an audit is an MLflow run), the domain (features, synth), labels,
notices and contract.
"""

# Imported on first use (PEP 562): the CLI registers `triage audit` without paying for
# fairlearn and pandas on every `triage` start (scoring start-up counts).
_LAZY = {
    "AuditResult": "_audit",
    "audit": "_audit",
    "audit_inputs": "_audit",
    "BAD_REFERENCE": "errors",
    "BAD_THRESHOLD": "errors",
    "FLAG_RULE": "errors",
    "LABEL_NOT_BINARY": "errors",
    "MISSING_COLUMN": "errors",
    "REFERENCE_UNKNOWN": "errors",
    "SCORE_OUT_OF_RANGE": "errors",
    "AuditConfig": "config",
    "Band": "config",
    "load_audit_config": "config",
    "AuditInputs": "groups",
    "group_table": "groups",
    "metric_frame": "groups",
    "prepare": "groups",
    "LabelBiasAudit": "label_bias",
    "audit_against_truth": "label_bias",
    "mitigation_experiment": "mitigation",
    "synthetic_mitigation": "mitigation",
    "power_table": "power",
    "with_recording_bias": "power",
    "without_recording_bias": "power",
    "log_audit": "report",
    "AuditRoles": "runs",
    "load_logged_predictions": "runs",
    "load_run_predictions": "runs",
    "log_predictions": "runs",
    "log_test_predictions": "runs",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BAD_REFERENCE",
    "BAD_THRESHOLD",
    "FLAG_RULE",
    "LABEL_NOT_BINARY",
    "MISSING_COLUMN",
    "REFERENCE_UNKNOWN",
    "SCORE_OUT_OF_RANGE",
    "AuditConfig",
    "AuditInputs",
    "AuditResult",
    "AuditRoles",
    "Band",
    "LabelBiasAudit",
    "audit",
    "audit_against_truth",
    "audit_inputs",
    "group_table",
    "load_audit_config",
    "load_logged_predictions",
    "load_run_predictions",
    "log_audit",
    "log_predictions",
    "log_test_predictions",
    "metric_frame",
    "mitigation_experiment",
    "power_table",
    "prepare",
    "synthetic_mitigation",
    "with_recording_bias",
    "without_recording_bias",
]
