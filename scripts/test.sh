#!/usr/bin/env bash
# Set up .venv (first run only), lint, and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check src tests pipelines benchmarks
.venv/bin/python -m pytest "$@"
