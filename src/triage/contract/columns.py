"""Names of the outcome columns: what a real record holds, and what only a simulator knows.

A real agency's records hold *recorded* outcomes (what the file says happened,
with the biases of recording). Only synthetic data has the *true* ones: the
probability of serious harm, whether it happened, the tier and route it called
for. The names live here, once; a column a simulator alone can know must never
be read from an agency's data.
"""

from __future__ import annotations

# Recorded outcomes: what an agency's case records hold.
RECORDED_HARM = "recorded_harm_90d"
RECORDED_TIER = "recorded_tier"
RECORDED_DV_ROUTE = "recorded_dv_route"
RECORDED_COLUMNS: tuple[str, ...] = (RECORDED_HARM, RECORDED_TIER, RECORDED_DV_ROUTE)

# The truth: known only to a simulator.
P_HARM = "p_harm"
"""True probability of serious harm within 90 days without intervention."""
TRUE_HARM = "harm_90d"
TRUE_TIER = "true_tier"
TRUE_DV_ROUTE = "true_dv_route"
LATENT_SEVERITY = "latent_severity"
TRUE_COLUMNS: tuple[str, ...] = (P_HARM, TRUE_HARM, TRUE_TIER, TRUE_DV_ROUTE, LATENT_SEVERITY)

HARM_TARGETS: dict[str, str] = {"recorded": RECORDED_HARM, "true": TRUE_HARM}
"""A config's ``target`` → the outcome column a model is trained on."""
ROUTE_TARGETS: dict[str, str] = {"recorded": RECORDED_DV_ROUTE, "true": TRUE_DV_ROUTE}
"""A config's ``target`` → the DV-witness route column."""
