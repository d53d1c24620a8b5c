#!/usr/bin/env bash
# The main job on embedded defaults: set up .venv (first run only), generate a
# synthetic data set of 200,000 notices and check it against the published figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/triage synth --n 200000 --seed 1 --out out/synthetic
.venv/bin/triage synth --check out/synthetic
