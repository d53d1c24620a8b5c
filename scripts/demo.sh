#!/usr/bin/env bash
# The main job on embedded defaults: set up .venv (first run only), then run the
# intake-urgency experiment (500,000 synthetic notices, four candidates and the
# oracle, tracked in MLflow's default store ./mlflow.db, artefacts in ./mlruns).
# Extra arguments go to `triage run` (e.g. --quiet).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/triage run configs/intake_urgency.yaml "$@"
