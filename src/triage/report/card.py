"""The card's data: the sections of one run, in order, under the run's header.

The run is read by ``triage.report.reader``; each section is built by a module of
``triage.report.sections``. Here they are only put together.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from triage.report._text import TITLES, WORDS, t
from triage.report.errors import NotAModelRun, check_lang
from triage.report.reader import CardInputs, RunRecord
from triage.report.sections.calibration import calibration_section, tiers_section
from triage.report.sections.common import Figures, Section, drawn
from triage.report.sections.comparison import comparison_section
from triage.report.sections.data import data_section
from triage.report.sections.explanations import explanations_section
from triage.report.sections.fairness import fairness_section
from triage.report.sections.fixed import intended_use_section, limitations_section, sign_off_section
from triage.report.sections.model import model_section
from triage.report.sections.performance import capacity_section, performance_section
from triage.report.sections.rules import routing_section, safety_floor_section

CARD_VERSION = "1.1.0"
Card = dict[str, Any]

CANDIDATE_ORDER: tuple[str, ...] = (
    "checklist",
    "dv_checklist",
    "dv_checklist_rule",
    "scorecard",
    "lightgbm",
    "tree",
)
_METRIC_KEY = re.compile(r"^(true|recorded)\.([a-z0-9_]+)\.([a-z0-9_]+)$")


def candidates(run: RunRecord) -> list[str]:
    """The run's evaluated candidates: the known ones in their order, then others, then oracles.

    ``NotAModelRun`` when there are none (an audit run, say): a card is made for a model run.
    """
    found = {m.group(2) for k in run.metrics if (m := _METRIC_KEY.match(k))}
    if not found:
        raise NotAModelRun(run.run_id, run.tags.get("kind"))
    known = [c for c in CANDIDATE_ORDER if c in found]
    oracles = sorted(c for c in found if c.startswith("oracle"))
    others = sorted(found - set(known) - set(oracles))
    return known + others + oracles


def assemble_card(inputs: CardInputs, lang: str) -> Card:
    """The card of ``inputs.run`` in ``lang`` (ja or en)."""
    check_lang(lang)
    run = inputs.run
    cands = candidates(run)
    figures: Figures = {}
    sections: list[Section | None] = [
        intended_use_section(run, lang),
        data_section(run, lang),
        model_section(run, lang, cands),
        performance_section(run, lang, cands),
        calibration_section(run, lang, cands, figures),
        tiers_section(run, lang, cands),
        capacity_section(run, lang, figures),
        explanations_section(run, lang, figures),
        fairness_section(run, inputs.audit, lang, figures),
        safety_floor_section(lang),
        routing_section(run, lang, cands),
        limitations_section(run, lang),
        comparison_section(run, inputs.audit, inputs.champion, lang),
        sign_off_section(lang),
    ]
    run_name = run.tags.get("mlflow.runName", run.run_id)
    return {
        "card_version": CARD_VERSION,
        "lang": lang,
        "title": f"{t(TITLES, 'card', lang)}: {run_name}",
        "decision_support_only": t(WORDS, "decision_support", lang),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run": {
            "run_id": run.run_id,
            "run_name": run.tags.get("mlflow.runName", ""),
            "experiment_id": run.experiment_id,
            "start_time": _instant(run.start_time),
            "versions": {
                k[len("version.") :]: v
                for k, v in sorted(run.tags.items())
                if k.startswith("version.")
            },
        },
        "sections": [s for s in sections if s is not None],
        "figures": drawn(figures),
    }


def _instant(ms: int | None) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds") if ms else ""
