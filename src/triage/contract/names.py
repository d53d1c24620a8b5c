"""Registered model names and aliases: how runs hand models to scoring.

A run registers its chosen model under ``URGENCY_MODEL`` or ``ROUTING_MODEL``
with the alias ``CANDIDATE``; a person moves ``CHAMPION`` to a version they
trust (``triage promote``), and scoring uses the champion.
"""

from __future__ import annotations

URGENCY_MODEL = "intake-urgency"
ROUTING_MODEL = "dv-witness-routing"
CANDIDATE = "candidate"
CHAMPION = "champion"


def model_uri(name: str, alias: str = CHAMPION) -> str:
    """``models:/NAME@ALIAS``, the URI MLflow resolves to the version the alias points at."""
    return f"models:/{name}@{alias}"


DEFAULT_MODEL = model_uri(URGENCY_MODEL)
DEFAULT_ROUTING_MODEL = model_uri(ROUTING_MODEL)
