"""The consoles every command prints to (the one place they are made)."""

from __future__ import annotations

import sys

from rich.console import Console

# Piped output keeps long lines whole instead of wrapping at the terminal's width
# (rich would assume 80 columns in a file or a CI log).
console = Console(width=None if sys.stdout.isatty() else 150)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 150)
