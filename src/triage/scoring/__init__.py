"""Scoring: one path from notices to score records, and the day's queue.

Owns the model lookup and its local cache (``load_model``), ``Scorer`` (the
model's tier raised to the rule floor, with factors and what to ask next), the
JSON line of a score record (``score_line``) and the queue by tier and deadline
(``build_queue``). Nothing here prints.

Layer: scoring, beside ``triage.experiment`` (neither imports the other). May
import tracking, analysis (``triage.explain``) and every layer below.
"""

from triage.scoring.lines import score_line
from triage.scoring.queue import OVERDUE_RULE, DayCapacity, QueueView, build_queue
from triage.scoring.scorer import (
    DECISION_SUPPORT_NOTICE,
    DEFAULT_MODEL,
    DEFAULT_ROUTING_MODEL,
    LoadedModel,
    ModelUnavailable,
    Scorer,
    load_model,
    parse_as_of,
)

__all__ = [
    "DECISION_SUPPORT_NOTICE",
    "DEFAULT_MODEL",
    "DEFAULT_ROUTING_MODEL",
    "OVERDUE_RULE",
    "DayCapacity",
    "LoadedModel",
    "ModelUnavailable",
    "QueueView",
    "Scorer",
    "build_queue",
    "load_model",
    "parse_as_of",
    "score_line",
]
