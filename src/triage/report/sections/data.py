"""The data section: where the notices came from, the split windows, the planted label biases.

A run without ground truth says so; one whose notices were synthesized from an
aggregates release says it was trained from anonymized aggregates, by which
method and at what level (``ground_truth``).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from triage import labels
from triage.report._text import TEXT, WORDS, t
from triage.report.reader import RunRecord
from triage.report.sections import ground_truth
from triage.report.sections.common import Section, Table, fact, section

DIMENSIONS: dict[str, tuple[str, str]] = {
    "total": ("notices handled, in total", "児童虐待相談対応件数（総数）"),
    "abuse_type": ("type of abuse", "虐待の種別"),
    "route": ("referral route", "通告経路"),
    "psychological_subtype": ("psychological abuse by kind", "心理的虐待の内訳"),
    "npa_police_notified_children_CY": (
        "children the police notified (calendar year)",
        "警察が通告した児童数（暦年）",
    ),
    "abuse_deaths": ("deaths from abuse", "虐待による死亡"),
}
"""The published aggregates' dimensions (``published_aggregates.csv``) in words, (en, ja);
a dimension this version has no words for is shown by its name."""

# Sources of the published aggregates end in a URL; the card names the source only.
_URL = re.compile(r"\s*(via\s+)?\S*https?://\S+", re.IGNORECASE)
_WINDOW = re.compile(r"^(\S+) \.\. (\S+) \((.+?)(?: notices)?\)$")
_ROUTE_TARGET = re.compile(r"^(true|recorded) \((\w+) == cgc\)$")
"""A routing run's target tag (``routing_log.routing_target``): "true (true_dv_route == cgc)"."""


def data_section(run: RunRecord, lang: str) -> Section:
    tags = run.tags
    spec_version = tags.get("synth.spec_version")
    synthetic = tags.get("data.source") == "synthetic" or spec_version not in (None, "None")
    facts = [
        fact("source", _source(tags, lang), lang),
        fact("n", tags.get("data.n"), lang),
        fact("fingerprint", tags.get("data.fingerprint"), lang),
    ]
    if synthetic:
        facts += [
            fact("spec_version", spec_version, lang),
            fact("spec_digest", tags.get("synth.spec_digest"), lang),
            fact("seed", tags.get("synth.seed"), lang),
        ]
    windows = _windows(tags)
    if "train" in windows and "test" in windows:
        facts.append(fact("period", f"{windows['train'][0]} .. {windows['test'][1]}", lang))
    facts += [
        fact(f"split.{name}", t(TEXT, "window", lang, lo=lo, hi=hi, n=n), lang)
        for name, (lo, hi, n) in windows.items()
    ]
    target = _target(tags.get("target") or run.params.get("target", ""), lang)
    facts.append(fact("target", target, lang))
    released = ground_truth.from_release(run)
    if released:
        facts += ground_truth.release_facts(run, lang)
        notes = [ground_truth.release_note(run, lang)]
    else:
        notes = [t(TEXT, "data_synthetic" if synthetic else "data_not_synthetic", lang)]
    if ground_truth.has_ground_truth(run):
        notes.append(t(TEXT, "label_bias", lang, target=target))
    else:
        facts.append(
            ground_truth.fact(
                "ground_truth", t(ground_truth.WORDS, "none_recorded_only", lang), lang
            )
        )
        notes.append(ground_truth.words("no_ground_truth", lang))
        notes.append(ground_truth.words("label_bias", lang, target=target))
    tables: list[Table] = []
    data: dict[str, Any] = {}
    if synthetic:
        missing, table = _published_aggregates(tags, lang)
        notes += missing
        if table:
            tables.append(table)
        bias_notes, bias_tables, data = _recording_bias(run, lang)
        notes += bias_notes
        tables += bias_tables
    return section("data", lang, facts=facts, notes=notes, tables=tables, data=data)


def _published_aggregates(tags: dict[str, str], lang: str) -> tuple[list[str], Table | None]:
    """Name the aggregates of the packaged spec when the run's spec digest is that spec's."""
    try:
        from triage.synth.spec import aggregates_path, load_spec

        spec = load_spec()
    except Exception:  # noqa: BLE001 - without the spec the card says the sources are unknown
        return [t(TEXT, "aggregates_unknown", lang)], None
    if tags.get("synth.spec_digest") != spec.digest:
        return [t(TEXT, "aggregates_unknown", lang)], None
    path = aggregates_path(spec)
    year = str(spec.calibration.fiscal_year)
    sources: dict[str, set[str]] = {}
    try:
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row.get("fiscal_year") == year:
                    name = _URL.sub("", row.get("source", "")).strip(" ,;")
                    sources.setdefault(row.get("dimension", ""), set()).add(name)
    except OSError:
        return [t(TEXT, "aggregates_unknown", lang)], None
    note = t(TEXT, "aggregates_intro", lang, file=path.name, year=year)
    table = {
        "caption": f"{note} {t(TEXT, 'aggregates_cited', lang)}",
        "columns": [t(WORDS, "dimension", lang), t(WORDS, "sources", lang)],
        "rows": [
            [_dimension(dim, lang), "; ".join(sorted(s))] for dim, s in sorted(sources.items())
        ],
    }
    return [], table


def _windows(tags: dict[str, str]) -> dict[str, tuple[str, str, str]]:
    """Split windows as (from, to, notices), dates only: a window's edge may be one notice's
    receipt time (the earliest notice opens the training window), which is row-level."""
    out = {}
    for name in ("train", "calibration", "test"):
        m = _WINDOW.match(tags.get(f"split.{name}", ""))
        if m:
            lo, hi, n = m.groups()
            out[name] = (lo[:7] if name == "train" else lo[:10], hi[:10], n)
    return out


def _source(tags: dict[str, str], lang: str) -> str:
    """Where the notices came from: in words for synthetic data; a folder or release kind
    (the config's own word, an identifier) with the folder's name, not its local path."""
    source = tags.get("data.source", "")
    if source == "synthetic":
        return t(WORDS, "synthetic", lang)
    for kind in ("folder", "release"):
        if source.startswith(f"{kind} "):
            return f"{kind} {Path(source[len(kind) + 1 :]).name}"
    return source


def _target(target: str, lang: str) -> str:
    """The training target in words: an outcome, or (a routing run) an outcome's route."""
    if target in ("true", "recorded"):
        return t(WORDS, target, lang)
    m = _ROUTE_TARGET.match(target)
    if m:
        outcome = t(WORDS, m.group(1), lang)
        return t(TEXT, "route_target", lang, outcome=outcome, column=m.group(2))
    return target


def _dimension(dimension: str, lang: str) -> str:
    return t(DIMENSIONS, dimension, lang) if dimension in DIMENSIONS else dimension


def _term_label(term: str, lang: str) -> str:
    """A spec term (``welfare_receipt``, ``household_type=single_parent``) in words."""
    field, sep, value = term.partition("=")
    try:
        return labels.factor_label(field, value if sep else True, lang)
    except (KeyError, ValueError):
        return term


def _recording_bias(run: RunRecord, lang: str) -> tuple[list[str], list[Table], dict[str, Any]]:
    """The spec's recorded-label biases as logged with the run (``data/recording_bias.json``)."""
    logged = run.json("data/recording_bias.json")
    if not logged:
        return [t(TEXT, "no_recording_bias", lang)], [], {}
    rec = logged.get("recording", {})
    rows: list[list[str]] = []
    data: dict[str, Any] = {}
    for mech in ("detection", "false_record", "tier_perception"):
        part = rec.get(mech) or {}
        data[mech] = {k: part[k] for k in ("logit", "noise_sd", "terms") if k in part}
        base = part.get("logit", part.get("noise_sd"))
        base_key = "base_logit" if "logit" in part else "noise_sd"
        if base is not None:
            rows.append([t(WORDS, mech, lang), t(WORDS, base_key, lang), f"{base:+.2f}"])
        for term, value in (part.get("terms") or {}).items():
            rows.append([t(WORDS, mech, lang), _term_label(term, lang), f"{value:+.2f}"])
    note = t(TEXT, "recording_bias_intro", lang, version=logged.get("spec_version", "?"))
    table = {
        "caption": t(TEXT, "recording_bias_caption", lang),
        "columns": [t(WORDS, k, lang) for k in ("mechanism", "term", "log_odds")],
        "rows": rows,
    }
    return [note], [table], {"spec_version": logged.get("spec_version"), "recording": data}
