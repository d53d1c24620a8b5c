"""A progress display for pipeline steps (rich), silent with ``--quiet``."""

from __future__ import annotations

import time
from contextlib import contextmanager

from rich.console import Console


class Steps:
    """``with steps("features"): ...`` prints each step with its wall time as it finishes."""

    def __init__(self, console: Console | None = None, *, quiet: bool = False):
        self.console = console or Console(stderr=True)
        self.quiet = quiet
        self.timings: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        start = time.perf_counter()
        if self.quiet:
            yield
        else:
            with self.console.status(f"[bold]{name}[/bold] …"):
                yield
        elapsed = time.perf_counter() - start
        self.timings[name] = elapsed
        if not self.quiet:
            self.console.print(f"[green]✓[/green] {name} [dim]{elapsed:.1f} s[/dim]")
