#!/usr/bin/env bash
# Creates .venv (once) and installs the locked dependencies and the package.
# Re-runs the install only when requirements.lock or pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "triage needs Python 3.11 or newer (found $("$PYTHON" --version))" >&2; exit 1; }
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.triage-installed
want="$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Installing locked dependencies into .venv (first run takes about a minute)..." >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
  echo "$want" > "$stamp"
fi
