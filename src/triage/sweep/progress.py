"""Where a running sweep stands: cells done, running and failed, and the time left.

Kept apart from any display (the command line draws it with rich): the runner
records each outcome here and hands the whole state to its ``on_progress``.
The time left is estimated from the cells ended so far: their mean duration
times the waves of cells still to run (the cells left shared over the cluster's
worker threads), counting down between endings; unknown until a cell has ended.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field


@dataclass
class SweepProgress:
    total: int  # every cell of the sweep
    skipped: int  # already finished by an earlier run (``--resume``)
    slots: int  # cells the cluster runs at once (its worker threads)
    finished: int = 0
    failed: int = 0
    durations: list[float] = field(default_factory=list)  # of the cells ended, each
    started: float = field(default_factory=time.monotonic)
    last_ended: float | None = None

    @property
    def to_run(self) -> int:
        return self.total - self.skipped

    @property
    def ended(self) -> int:
        return self.finished + self.failed

    @property
    def remaining(self) -> int:
        """Cells not ended yet: running or waiting for a worker."""
        return self.to_run - self.ended

    @property
    def running(self) -> int:
        """Cells on a worker now (every free slot takes a waiting cell at once)."""
        return min(self.slots, self.remaining)

    def record(self, *, failed: bool, seconds: float) -> None:
        if failed:
            self.failed += 1
        else:
            self.finished += 1
        if math.isfinite(seconds):
            self.durations.append(seconds)
        self.last_ended = time.monotonic()

    def seconds_left(self) -> float | None:
        """Estimated seconds until the last cell ends; None before any cell has ended."""
        if self.remaining == 0:
            return 0.0
        if not self.durations:
            return None
        mean = sum(self.durations) / len(self.durations)
        waves = math.ceil(self.remaining / max(self.slots, 1))
        since = time.monotonic() - (self.last_ended or self.started)
        return max(waves * mean - since, 0.0)

    def elapsed(self) -> float:
        return time.monotonic() - self.started
