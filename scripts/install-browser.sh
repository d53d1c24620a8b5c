#!/usr/bin/env bash
# Debian's Chromium and a CJK font for the browser tests (model card, intake page).
# Needs root and apt; the tests skip with a message on machines without Chromium.
set -euo pipefail
packages=(chromium fonts-noto-cjk)
if ! apt-get install -y -q "${packages[@]}" >/dev/null; then
  apt-get update -q >/dev/null
  apt-get install -y -q "${packages[@]}" >/dev/null
fi
chromium --version
