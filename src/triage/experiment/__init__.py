"""Experiments: a validated config in, a tracked MLflow run out.

Owns the experiment config (``config``), the data it names (``data``), the
temporal split (``split``), fitting and calibrating candidates (``training``),
the assessment with bootstrap intervals (``assessment``), DV-witness routing
(``routing``), the truth check of the explanations (``truth_check``), logging a
run and registering its model (``run_log``), and the background work and
progress display the pipeline steps share (``background``, ``progress``).

Layer: experiment, beside ``triage.scoring`` (neither imports the other). May
import tracking, analysis (evaluation, explain, audit) and every layer below.
Modules are imported by name (``from triage.experiment.config import ...``) so
that importing this package stays light.
"""
