"""The score-line formatter, for the web modules: it lives in :mod:`triage.score_lines`."""

from triage.score_lines import score_line

__all__ = ["score_line"]
