"""What people decided, for reviewers: suggestions against decisions, aggregates only.

``analyse_store(conn, config, truth)`` verifies the store, reads the latest
decision on each notice with the groups of the notice version it was made on,
and returns the numbers: agreement (3×3 table, weighted kappa), override rates
by tier, DV route, rule floor and group (the fairness audit's sensitive
features, minimum cell size, intervals and flags), the direction of overrides,
time to decision, reasons' lengths, whether decisions widened or narrowed the
gaps between groups that the suggestions had, and, given a synthetic truth, how
often overrides moved toward the true tier. ``review_document(results, lang)``
puts them into sections (ja/en); ``write_review`` writes HTML, Markdown and
JSON; ``body_html`` is what the reviewers' page embeds.

Never in the output: a notice id, a worker's login, a reason's text.

Modules: ``reading`` (the decisions table), ``notice_facts`` (the notice
versions), ``settings`` (the audit config), ``audit_view`` (decisions as the
audit's inputs), ``agreement``, ``override_rates``, ``group_rates``, ``gaps``,
``timing``, ``reasons``, ``workers``, ``truth``, ``analysis``, ``words``,
``sections``, ``render``.
"""

from triage.decisions.review.analysis import analyse_frame, analyse_store
from triage.decisions.review.errors import NoDecisions, ReviewError, StoreTampered
from triage.decisions.review.reading import read_decisions
from triage.decisions.review.render import (
    FILES,
    body_html,
    render_html,
    render_markdown,
    review_document,
    write_review,
)
from triage.decisions.review.settings import load_review_config
from triage.decisions.review.truth import read_truth

__all__ = [
    "FILES",
    "NoDecisions",
    "ReviewError",
    "StoreTampered",
    "analyse_frame",
    "analyse_store",
    "body_html",
    "load_review_config",
    "read_decisions",
    "read_truth",
    "render_html",
    "render_markdown",
    "review_document",
    "write_review",
]
