#!/usr/bin/env bash
# Set up .venv (first run only), lint, check the layers and the types, and run the
# whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check src tests pipelines benchmarks
.venv/bin/lint-imports --no-cache   # the layer contract in pyproject.toml
.venv/bin/mypy                      # src/triage, strictness in pyproject.toml
# Both cores, one test file per worker (module fixtures train once per file), handed
# out in the order tests/conftest.py sets: the few long files first.
# The 25 slowest tests close the report: where the 15-minute budget goes.
.venv/bin/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=25 "$@"
