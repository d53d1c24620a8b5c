"""Experiments: a validated config in, a tracked MLflow run out.

Owns the steps the pipelines (``triage.pipelines``) compose:

- ``config``: the versioned YAML config, validated before anything runs, and the
  packaged configs (``find_config``);
- ``data``, ``split``: the notices and their truth (simulated, a data set folder, or
  synthesized from an aggregates release); train, calibration and test windows;
- ``outcomes``: whether the data hold the simulator's truth, and what a run is then
  judged against (the truth, or recorded outcomes only);
- ``training``: candidates fitted, calibrated and chosen (``TrainedCandidates``);
- ``assessment``, ``routing``, ``routing_assessment``: the test-period assessment
  with bootstrap intervals, and DV-witness routing by capacity;
- ``truth_check``, ``explanations``: global explanations and whether they recover
  the generator's true effects;
- ``run_inputs``, ``run_log``, ``urgency_log``, ``routing_log``: the typed things a
  step hands the logging, and the MLflow run itself;
- ``background``, ``progress``: work in a second thread, and the step display.

Steps hand each other typed dataclasses; background work (``Future``) stays in
the pipeline and is resolved at the step that needs its value.

Layer: experiment, beside ``triage.scoring`` (neither imports the other). May
import analysis (evaluation, explain, audit), tracking and every layer below.
Modules are imported by name (``from triage.experiment.config import ...``) so
that importing this package stays light.
"""
