"""The card's data, read from one MLflow run: logged metrics, params, tags and artefacts only.

Nothing is recomputed and nothing row-level is read (``audit_inputs/`` is never
opened). A section the run has no data for says so in its ``notes`` and is
marked ``available: false``.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import io
import json
import math
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from triage.contract.columns import TRUE_TIER
from triage.contract.names import CHAMPION
from triage.report._text import AUDIT_METRICS, FACTS, LANGS, METRICS, TEXT, TITLES, WORDS, t

CARD_VERSION = "1.1.0"
OUTCOMES: tuple[str, ...] = ("true", "recorded")
PERFORMANCE_METRICS: tuple[str, ...] = (
    "auc",
    "auc_ratio",
    "brier",
    "ece",
    "under_triage",
    "recall_at_k_worst",
)
COMPARISON_METRICS: tuple[str, ...] = ("auc", "brier", "ece", "under_triage", "recall_at_k_worst")
CANDIDATE_ORDER: tuple[str, ...] = (
    "checklist",
    "dv_checklist",
    "dv_checklist_rule",
    "scorecard",
    "lightgbm",
    "tree",
)
ROUTING_METRICS: tuple[str, ...] = (
    "share_municipality",
    "under_routing",
    "over_routing",
    "auc",
    "auc_ratio",
)
AUDITS: tuple[str, ...] = ("true", "recorded", "labels")
"""Parts of a fairness audit the card shows, in order (``audit/{name}/`` in the audit run)."""
GROUP_COLUMNS: tuple[str, ...] = ("n", "base_rate", "flag_rate", "fnr", "fpr", "precision")
TOP_FIELDS = 10

ERRORS = {
    "lang": "lang: expected one of {langs}, got {lang!r}.",
    "run": "no MLflow run {run_id!r} at {uri}.",
    "no_metrics": (
        "run {run_id!r} has no evaluation metrics (keys such as true.<candidate>.auc): "
        "a model card is made for a run of `triage run`, not for {kind}."
    ),
}

_URL = re.compile(r"\s*(via\s+)?\S*https?://\S+", re.IGNORECASE)
_METRIC_KEY = re.compile(r"^(true|recorded)\.([a-z0-9_]+)\.([a-z0-9_]+)$")
_WINDOW = re.compile(r"^(\S+) \.\. (\S+) \((.+)\)$")


class _Run:
    """Reads one run's logged facts; artefacts are fetched one file at a time, on demand."""

    def __init__(self, client, run_id: str, run=None) -> None:
        self.client = client
        if run is None:
            try:
                run = client.get_run(run_id)
            except Exception:  # noqa: BLE001 - MLflow raises its own exception for an unknown run
                uri = getattr(client, "tracking_uri", "the tracking store")
                raise LookupError(ERRORS["run"].format(run_id=run_id, uri=uri)) from None
        self.run = run
        self.run_id = run_id
        self.metrics: dict[str, float] = dict(self.run.data.metrics)
        self.params: dict[str, str] = dict(self.run.data.params)
        self.tags: dict[str, str] = dict(self.run.data.tags)
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        self._tmp = tempfile.TemporaryDirectory(prefix="triage-card-")

    def close(self) -> None:
        self._tmp.cleanup()

    def listing(self, folder: str) -> list[str]:
        try:
            return [f.path for f in self.client.list_artifacts(self.run_id, folder)]
        except Exception:  # noqa: BLE001 - a missing folder is "no data"
            return []

    def file(self, path: str) -> Path | None:
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        if path not in self.listing(folder):
            return None
        try:
            return Path(self.client.download_artifacts(self.run_id, path, self._tmp.name))
        except Exception:  # noqa: BLE001
            return None

    def text(self, path: str) -> str | None:
        p = self.file(path)
        return p.read_text("utf-8") if p else None

    def json(self, path: str) -> Any:
        text = self.text(path)
        return json.loads(text) if text is not None else None

    def csv(self, path: str) -> list[dict[str, str]] | None:
        text = self.text(path)
        return list(csv.DictReader(io.StringIO(text))) if text is not None else None


def _section(sid: str, lang: str, *, available: bool = True, **content: Any) -> dict:
    out = {"id": sid, "title": t(TITLES, sid, lang), "available": available}
    out.update({"notes": [], "facts": [], "tables": [], "figures": [], "lists": [], "data": {}})
    out.update(content)
    return out


def _fact(key: str, value: Any, lang: str) -> dict:
    return {"key": key, "label": t(FACTS, key, lang), "value": "" if value is None else str(value)}


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def _interval(cell: dict | None) -> str:
    if not cell:
        return "—"
    if cell.get("low") is None or cell.get("high") is None:
        return _fmt(cell["estimate"])
    return f"{_fmt(cell['estimate'])} [{_fmt(cell['low'])}, {_fmt(cell['high'])}]"


def _candidates(metrics: dict[str, float]) -> list[str]:
    found = {m.group(2) for k in metrics if (m := _METRIC_KEY.match(k))}
    known = [c for c in CANDIDATE_ORDER if c in found]
    oracles = sorted(c for c in found if c.startswith("oracle"))
    others = sorted(found - set(known) - set(oracles))
    return known + others + oracles


def _field_label(field: str, lang: str) -> str:
    from triage.labels import field_label

    try:
        return field_label(field, lang)
    except (KeyError, ValueError):
        return field


def _figure(run: _Run, path: str, figures: dict) -> str | None:
    p = run.file(path)
    if p is None:
        return None
    key = path.replace("/", "_").rsplit(".", 1)[0]
    figures[key] = {
        "artifact": path,
        "media_type": "image/png",
        "base64": base64.b64encode(p.read_bytes()).decode("ascii"),
    }
    return key


# ----------------------------------------------------------------------------- sections


def _intended_use(lang: str) -> dict:
    return _section(
        "intended_use",
        lang,
        lists=[
            {
                "title": t(WORDS, "intended", lang),
                "items": [t(TEXT, k, lang) for k in ("intended", "research")],
            },
            {
                "title": t(WORDS, "out_of_scope", lang),
                "items": [
                    t(TEXT, k, lang)
                    for k in ("oos_automated", "oos_low_score", "oos_rules", "oos_real_data")
                ],
            },
            {
                "title": t(WORDS, "lessons", lang),
                "items": [
                    t(TEXT, k, lang)
                    for k in (
                        "lesson_child_voice",
                        "lesson_bare_probability",
                        "lesson_capacity",
                        "lesson_audit",
                        "lesson_past_practice",
                    )
                ],
            },
        ],
    )


def _published_aggregates(tags: dict, lang: str) -> tuple[list[str], dict | None]:
    """Name the aggregates of the packaged spec when the run's spec digest is that spec's."""
    try:
        from triage.synth.spec import aggregates_path, load_spec

        spec = load_spec()
    except Exception:  # noqa: BLE001
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
        "caption": note,
        "columns": [t(WORDS, "dimension", lang), t(WORDS, "sources", lang)],
        "rows": [[dim, "; ".join(sorted(s))] for dim, s in sorted(sources.items())],
    }
    return [], table


def _windows(tags: dict) -> dict[str, tuple[str, str, str]]:
    """Split windows as (from, to, notices), dates only: a window's edge may be one notice's
    receipt time (the earliest notice opens the training window), which is row-level."""
    out = {}
    for name in ("train", "calibration", "test"):
        m = _WINDOW.match(tags.get(f"split.{name}", ""))
        if m:
            lo, hi, count = m.groups()
            out[name] = (lo[:7] if name == "train" else lo[:10], hi[:10], count)
    return out


def _source(tags: dict) -> str:
    source = tags.get("data.source", "")
    if source.startswith("folder "):  # the folder's name, not the local path
        return f"folder {Path(source[len('folder ') :]).name}"
    return source


def _term_label(term: str, lang: str) -> str:
    """A spec term (``welfare_receipt``, ``household_type=single_parent``) in words."""
    from triage.labels import factor_label

    field, sep, value = term.partition("=")
    try:
        return factor_label(field, value if sep else True, lang)
    except (KeyError, ValueError):
        return term


def _recording_bias(run: _Run, lang: str) -> tuple[list[str], list[dict], dict]:
    """The spec's recorded-label biases as logged with the run (``data/recording_bias.json``)."""
    logged = run.json("data/recording_bias.json")
    if not logged:
        return [t(TEXT, "no_recording_bias", lang)], [], {}
    rec = logged.get("recording", {})
    rows, data = [], {}
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
        "caption": "data/recording_bias.json",
        "columns": [t(WORDS, k, lang) for k in ("mechanism", "term", "log_odds")],
        "rows": rows,
    }
    return [note], [table], {"spec_version": logged.get("spec_version"), "recording": data}


def _data(run: _Run, lang: str) -> dict:
    tags = run.tags
    spec_version = tags.get("synth.spec_version")
    synthetic = tags.get("data.source") == "synthetic" or spec_version not in (None, "None")
    facts = [
        _fact("source", _source(tags), lang),
        _fact("n", tags.get("data.n"), lang),
        _fact("fingerprint", tags.get("data.fingerprint"), lang),
    ]
    if synthetic:
        facts += [
            _fact("spec_version", spec_version, lang),
            _fact("spec_digest", tags.get("synth.spec_digest"), lang),
            _fact("seed", tags.get("synth.seed"), lang),
        ]
    windows = _windows(tags)
    if "train" in windows and "test" in windows:
        facts.append(_fact("period", f"{windows['train'][0]} .. {windows['test'][1]}", lang))
    facts += [
        _fact(f"split.{name}", f"{lo} .. {hi} ({count})", lang)
        for name, (lo, hi, count) in windows.items()
    ]
    target = tags.get("target") or run.params.get("target", "")
    facts.append(_fact("target", target, lang))
    notes = [t(TEXT, "data_synthetic" if synthetic else "data_not_synthetic", lang)]
    notes.append(t(TEXT, "label_bias", lang, target=target))
    tables, data = [], {}
    if synthetic:
        missing, table = _published_aggregates(tags, lang)
        notes += missing
        if table:
            tables.append(table)
        bias_notes, bias_tables, data = _recording_bias(run, lang)
        notes += bias_notes
        tables += bias_tables
    return _section("data", lang, facts=facts, notes=notes, tables=tables, data=data)


def _model(run: _Run, lang: str, candidates: list[str]) -> dict:
    p, tags = run.params, run.tags
    chosen = tags.get("chosen_candidate", "")
    facts = [
        _fact("chosen", chosen, lang),
        _fact("selection", p.get("selection.metric"), lang),
        _fact("calibration", p.get("calibration.method"), lang),
        _fact("candidates", ", ".join(c for c in candidates if not c.startswith("oracle")), lang),
        _fact("include_sensitive", p.get("features.include_sensitive"), lang),
        _fact("registered_model", p.get("mlflow.registered_model"), lang),
        _fact("git_commit", tags.get("git_commit"), lang),
    ]
    edges = [f"tiers.{chosen}.immediate", f"tiers.{chosen}.urgent"]
    if all(e in run.metrics for e in edges):
        facts.append(_fact("thresholds", " / ".join(_fmt(run.metrics[e]) for e in edges), lang))
    notes, tables = [], []
    monotone = {k: v for k, v in p.items() if "monoton" in k}
    if monotone:
        tables.append(
            {
                "caption": "monotone constraints",
                "columns": [t(WORDS, "item", lang), t(WORDS, "value", lang)],
                "rows": [[k, v] for k, v in sorted(monotone.items())],
            }
        )
    else:
        notes.append(t(TEXT, "no_monotone", lang))
    points = run.csv("models/scorecard_points.csv")
    if points:
        tables.append(
            {
                "caption": "scorecard (models/scorecard_points.csv)",
                "columns": [t(WORDS, k, lang) for k in ("feature", "field", "points", "counts")],
                "rows": [
                    [
                        r.get("feature", ""),
                        _field_label(r.get("field", ""), lang),
                        r.get("points", ""),
                        r.get("counts", ""),
                    ]
                    for r in points
                ],
            }
        )
    else:
        notes.append(t(TEXT, "no_scorecard", lang))
    questions = run.json("models/checklist_questions.json")
    if questions:
        from triage.labels import tier_label

        tables.append(
            {
                "caption": "checklist (models/checklist_questions.json)",
                "columns": [
                    t(WORDS, "id", lang),
                    t(WORDS, "question", lang),
                    t(WORDS, "tier", lang),
                ],
                "rows": [
                    [
                        q.get("id", ""),
                        q.get("question", ""),
                        _safe_tier(q.get("tier", ""), lang, tier_label),
                    ]
                    for q in questions
                ],
            }
        )
    return _section("model", lang, facts=facts, notes=notes, tables=tables, data={"chosen": chosen})


def _safe_tier(tier: str, lang: str, tier_label) -> str:
    try:
        return tier_label(tier, lang)
    except ValueError:
        return tier


def _cell(metrics: dict, key: str) -> dict | None:
    if key not in metrics:
        return None
    return {
        "key": key,
        "estimate": metrics[key],
        "low": metrics.get(f"{key}_low"),
        "high": metrics.get(f"{key}_high"),
    }


def _performance(run: _Run, lang: str, candidates: list[str]) -> dict:
    m = run.metrics
    data: dict[str, Any] = {
        "k": m.get("capacity.k"),
        "metrics": list(PERFORMANCE_METRICS),
        "outcomes": {},
    }
    tables = []
    for outcome in OUTCOMES:
        rows, shown = [], []
        for cand in candidates:
            cells = {name: _cell(m, f"{outcome}.{cand}.{name}") for name in PERFORMANCE_METRICS}
            cells = {k: v for k, v in cells.items() if v is not None}
            if not cells:
                continue
            rows.append({"candidate": cand, "metrics": cells})
            shown.append([cand] + [_interval(cells.get(name)) for name in PERFORMANCE_METRICS])
        if rows:
            data["outcomes"][outcome] = rows
            tables.append(
                {
                    "caption": t(WORDS, outcome, lang),
                    "columns": [t(WORDS, "candidate", lang)]
                    + [t(METRICS, name, lang) for name in PERFORMANCE_METRICS],
                    "rows": shown,
                }
            )
    if not tables:
        return _section(
            "performance", lang, available=False, notes=[t(TEXT, "no_performance", lang)]
        )
    level = run.params.get("evaluation.level", "0.95")
    with contextlib.suppress(ValueError):
        level = f"{float(level):.0%}"
    k = data["k"]
    note = t(
        TEXT,
        "perf_intro",
        lang,
        level=level,
        n_boot=run.params.get("evaluation.n_boot", "?"),
        k=f"{k:,.0f}" if k is not None else "?",
    )
    return _section("performance", lang, notes=[note], tables=tables, data=data)


def _calibration(run: _Run, lang: str, candidates: list[str], figures: dict) -> dict:
    key = _figure(run, "evaluation/reliability_true_outcome.png", figures)
    rows, data = [], {}
    for cand in candidates:
        cells = {
            n: _cell(run.metrics, f"true.{cand}.{n}") for n in ("cal_slope", "cal_intercept", "ece")
        }
        cells = {k: v for k, v in cells.items() if v is not None}
        if cells:
            data[cand] = cells
            rows.append(
                [cand] + [_interval(cells.get(n)) for n in ("cal_slope", "cal_intercept", "ece")]
            )
    notes = [t(TEXT, "calibration_intro", lang)] if key else [t(TEXT, "no_calibration_plot", lang)]
    tables = (
        [
            {
                "caption": t(WORDS, "true", lang),
                "columns": [t(WORDS, "candidate", lang)]
                + [t(METRICS, n, lang) for n in ("cal_slope", "cal_intercept", "ece")],
                "rows": rows,
            }
        ]
        if rows
        else []
    )
    return _section(
        "calibration",
        lang,
        available=bool(key or rows),
        notes=notes,
        figures=[{"key": key, "caption": t(TEXT, "calibration_intro", lang)}] if key else [],
        tables=tables,
        data={"candidates": data},
    )


def _tiers(run: _Run, lang: str, candidates: list[str]) -> dict:
    from triage.labels import tier_label

    tables, data = [], {}
    for cand in candidates:
        rows = run.csv(f"evaluation/tier_confusion_{cand}.csv")
        if not rows:
            continue
        cols = [c for c in rows[0] if c != TRUE_TIER]
        data[cand] = {
            "columns": cols,
            "rows": [[r[TRUE_TIER]] + [int(r[c]) for c in cols] for r in rows],
        }
        under = _cell(run.metrics, f"true.{cand}.under_triage")
        caption = cand
        if under:
            caption += f" — {t(METRICS, 'under_triage', lang)} {_interval(under)}"
            data[cand]["under_triage"] = under
        tables.append(
            {
                "caption": caption,
                "columns": [t(WORDS, TRUE_TIER, lang)]
                + [_safe_tier(c, lang, tier_label) for c in cols],
                "rows": [
                    [_safe_tier(r[TRUE_TIER], lang, tier_label)] + [r[c] for c in cols]
                    for r in rows
                ],
            }
        )
    if not tables:
        return _section("tiers", lang, available=False, notes=[t(TEXT, "no_tiers", lang)])
    return _section("tiers", lang, notes=[t(TEXT, "tiers_intro", lang)], tables=tables, data=data)


def _explanations(run: _Run, lang: str, figures: dict) -> dict:
    g = run.json("explanations/global.json")
    truth_keys = [
        k
        for k in ("truth.spearman", "truth.top5_overlap", "truth.margin_spearman")
        if k in run.metrics
    ]
    if not g:
        return _section(
            "explanations", lang, available=False, notes=[t(TEXT, "no_explanations", lang)]
        )
    label = f"label_{lang}"
    importance = g.get("importance", [])[:TOP_FIELDS]
    tables = [
        {
            "caption": "explanations/global.json",
            "columns": [t(WORDS, k, lang) for k in ("rank", "field", "contribution")],
            "rows": [
                [
                    str(r.get("rank", "")),
                    r.get(label) or _field_label(r.get("feature", ""), lang),
                    _fmt(r.get("mean_abs_contribution")),
                ]
                for r in importance
            ],
        }
    ]
    notes = [
        t(
            TEXT,
            "explanations_intro",
            lang,
            model=g.get("model", "?"),
            units=g.get("units", "?"),
            n=g.get("n_notices", "?"),
        )
    ]
    if truth_keys:
        tables.append(
            {
                "caption": t(TEXT, "truth_intro", lang),
                "columns": [t(WORDS, "metric", lang), t(WORDS, "value", lang)],
                "rows": [[t(METRICS, k, lang), _fmt(run.metrics[k])] for k in truth_keys],
            }
        )
    figs = []
    for name in ("importance", "truth_check"):
        key = _figure(run, f"explanations/{name}.png", figures)
        if key:
            figs.append({"key": key, "caption": f"explanations/{name}.png"})
    data = {
        "model": g.get("model"),
        "top_fields": g.get("top_fields", []),
        "importance": [
            {"feature": r.get("feature"), "mean_abs_contribution": r.get("mean_abs_contribution")}
            for r in importance
        ],
        "truth": {k: run.metrics[k] for k in truth_keys},
    }
    return _section("explanations", lang, notes=notes, tables=tables, figures=figs, data=data)


def _capacity(run: _Run, lang: str, figures: dict) -> dict:
    curve = run.json("evaluation/capacity_curve.json")
    key = _figure(run, "evaluation/capacity_curve.png", figures)
    if not curve or "true" not in curve.get("outcomes", {}):
        return _section("capacity", lang, available=False, notes=[t(TEXT, "no_capacity", lang)])
    by_cand = curve["outcomes"]["true"]
    per_day, ks = curve["per_day"], curve["k"]
    head = [t(WORDS, "candidate", lang)] + [
        f"{c:g}/{t(WORDS, 'day', lang)} (k={k:,})" for c, k in zip(per_day, ks, strict=True)
    ]
    tables, data = [], {"per_day": per_day, "k": ks, "outcome": "true"}
    data["configured_per_day"] = curve.get("configured_per_day")
    for what in ("recall", "precision"):
        name = f"{what}_at_k_worst"
        data[what] = {cand: m[name] for cand, m in by_cand.items()}
        tables.append(
            {
                "caption": f"{t(METRICS, name, lang)} ({t(WORDS, 'true', lang)})",
                "columns": head,
                "rows": [[cand] + [_fmt(v) for v in m[name]] for cand, m in by_cand.items()],
            }
        )
    configured = curve.get("configured_per_day")
    note = t(
        TEXT,
        "capacity_intro",
        lang,
        days=f"{curve['days']:.0f}",
        configured="?" if configured is None else f"{configured:g}",
    )
    figs = [{"key": key, "caption": "evaluation/capacity_curve.png"}] if key else []
    return _section("capacity", lang, notes=[note], tables=tables, figures=figs, data=data)


def _audit_runs(run: _Run) -> list:
    """Fairness-audit runs that name this run (``triage audit --run RUN_ID``), newest first."""
    from triage.audit.runs import AUDIT_KIND, OF_RUN_TAG

    try:
        experiments = [e.experiment_id for e in run.client.search_experiments()]
        found = run.client.search_runs(
            experiments,
            filter_string=f"tags.`{OF_RUN_TAG}` = '{run.run_id}'",
            order_by=["attributes.start_time DESC"],
        )
    except Exception:  # noqa: BLE001 - a store that cannot be searched has no audits to show
        return []
    return [r for r in found if r.data.tags.get("kind") == AUDIT_KIND]


def _audit_source(run: _Run) -> tuple[_Run | None, int]:
    """The run holding this run's audit (its newest audit run, else the run itself if it holds
    ``audit/``) and how many audit runs name it. The caller closes a returned other run."""
    found = _audit_runs(run)
    if found:
        newest = found[0]
        return _Run(run.client, newest.info.run_id, run=newest), len(found)
    if run.listing("audit"):
        return run, 0
    return None, 0


def _group_label(feature: str, group: str, lang: str) -> str:
    from triage.labels import value_label

    try:
        return value_label(feature, group, lang)
    except (KeyError, ValueError):
        return group


def _num(x: str | None) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _audit_tables(src: _Run, name: str, lang: str, figures: dict) -> tuple[list, list, dict]:
    """One audit part (true / recorded / labels): its flags and its group table, as logged."""
    groups = src.csv(f"audit/{name}/groups.csv")
    if groups is None:
        return [], [], {}
    flags = src.csv(f"audit/{name}/flags.csv") or []
    title = t(WORDS, f"audit_{name}", lang)
    n_flags = src.metrics.get(f"{name}.flags")
    n_disp = src.metrics.get(f"{name}.disparities")
    flag_rows = [
        {
            "feature": r["feature"],
            "group": r["group"],
            "reference": r["reference"],
            "metric": r["metric"],
            **{
                k: _num(r.get(k))
                for k in ("value", "reference_value", "ratio", "ratio_low", "ratio_high")
            },
        }
        for r in flags
    ]
    tables = [
        {
            "caption": f"{title}: {t(WORDS, 'flags', lang)} "
            f"({t(TEXT, 'flag_count', lang, flags=_count(n_flags), of=_count(n_disp))})",
            "columns": [t(WORDS, k, lang) for k in ("feature", "group", "vs", "metric")]
            + [t(WORDS, "value", lang), t(WORDS, "ratio", lang)],
            "rows": [
                [
                    _field_label(f["feature"], lang),
                    _group_label(f["feature"], f["group"], lang),
                    _group_label(f["feature"], f["reference"], lang),
                    _audit_metric(f["metric"], lang),
                    f"{_fmt(f['value'])} vs {_fmt(f['reference_value'])}",
                    f"{_fmt(f['ratio'])} [{_fmt(f['ratio_low'])}, {_fmt(f['ratio_high'])}]",
                ]
                for f in flag_rows
            ]
            or [[t(WORDS, "none", lang), "", "", "", "", ""]],
        }
    ]
    cols = [c for c in GROUP_COLUMNS if groups and c in groups[0]]
    group_rows, shown = [], []
    for r in groups:
        suppressed = str(r.get("suppressed", "")).lower() == "true"
        values = {} if suppressed else {c: _num(r.get(c)) for c in cols}
        group_rows.append(
            {"feature": r["feature"], "group": r["group"], "suppressed": suppressed, **values}
        )
        label = [_field_label(r["feature"], lang), _group_label(r["feature"], r["group"], lang)]
        if suppressed:
            shown.append(label + [t(WORDS, "suppressed", lang)] + [""] * (len(cols) - 1))
        else:
            shown.append(label + [_count(values[c]) if c == "n" else _fmt(values[c]) for c in cols])
    tables.append(
        {
            "caption": f"{title}: {t(WORDS, 'groups', lang)}",
            "columns": [t(WORDS, "feature", lang), t(WORDS, "group", lang)]
            + [t(AUDIT_METRICS, c, lang) for c in cols],
            "rows": shown,
        }
    )
    figs = []
    if name != "labels":
        key = _figure(src, f"audit/{name}/disparities.png", figures)
        if key:
            figs.append({"key": key, "caption": f"{title}: audit/{name}/disparities.png"})
    data = {"flags": n_flags, "disparities": n_disp, "flag_rows": flag_rows, "groups": group_rows}
    return tables, figs, data


def _audit_metric(metric: str, lang: str) -> str:
    return t(AUDIT_METRICS, metric, lang) if metric in AUDIT_METRICS else metric


def _count(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def _fairness(run: _Run, lang: str, figures: dict) -> dict:
    src, n_runs = _audit_source(run)
    if src is None:
        return _section(
            "fairness",
            lang,
            available=False,
            notes=[t(TEXT, "no_fairness", lang, run=run.run_id)],
        )
    try:
        tables, figs, audits = [], [], {}
        for name in AUDITS:
            tb, fg, data = _audit_tables(src, name, lang, figures)
            tables += tb
            figs += fg
            if data:
                audits[name] = data
        p = src.params
        facts = [
            _fact("audit_run", src.run_id, lang),
            _fact("audit_n", p.get("audit.n"), lang),
            _fact("audit_flag_rule", p.get("audit.flag_rule"), lang),
            _fact("audit_band", p.get("audit.band"), lang),
            _fact("audit_min_n", p.get("audit.min_n"), lang),
            _fact("audit_n_boot", p.get("audit.n_boot"), lang),
            _fact("audit_model_inputs", p.get("audit.model_inputs"), lang),
        ]
        if not audits:
            return _section(
                "fairness",
                lang,
                available=False,
                notes=[t(TEXT, "no_fairness", lang, run=run.run_id)],
                facts=facts,
            )
        notes = [t(TEXT, "fairness_intro", lang, run=src.run_id, n=n_runs or 1)]
        data = {"audit_run_id": src.run_id, "audit_runs": n_runs, "audits": audits}
        return _section(
            "fairness", lang, notes=notes, facts=facts, tables=tables, figures=figs, data=data
        )
    finally:
        if src is not run:
            src.close()


def _routing(run: _Run, lang: str, candidates: list[str]) -> dict | None:
    """DV-witness routing figures, when the run has them (``dv_witness_sorting``); else None."""
    m = run.metrics
    if not any(k.endswith(".share_municipality") for k in m):
        return None
    tables, data = [], {"metrics": list(ROUTING_METRICS), "outcomes": {}}
    for outcome in OUTCOMES:
        rows, shown = [], []
        for cand in candidates:
            cells = {n: _cell(m, f"{outcome}.{cand}.{n}") for n in ROUTING_METRICS}
            cells = {k: v for k, v in cells.items() if v is not None}
            if "share_municipality" not in cells:
                continue
            rows.append({"candidate": cand, "metrics": cells})
            shown.append([cand] + [_interval(cells.get(n)) for n in ROUTING_METRICS])
        if rows:
            data["outcomes"][outcome] = rows
            tables.append(
                {
                    "caption": t(WORDS, outcome, lang),
                    "columns": [t(WORDS, "candidate", lang)]
                    + [t(METRICS, n, lang) for n in ROUTING_METRICS],
                    "rows": shown,
                }
            )
    settings = {
        k: m[k] for k in ("routing.cgc_per_day", "routing.survey_municipality_share") if k in m
    }
    cuts = {
        k.split(".")[1]: v for k, v in m.items() if re.fullmatch(r"routing\.[a-z0-9_]+\.cut", k)
    }
    data.update({"settings": settings, "cuts": cuts})
    facts = [_fact(k, _fmt(v), lang) for k, v in settings.items()]
    if cuts:
        tables.append(
            {
                "caption": t(WORDS, "cuts", lang),
                "columns": [t(WORDS, "candidate", lang), t(WORDS, "cut", lang)],
                "rows": [[c, _fmt(v)] for c, v in cuts.items()],
            }
        )
    share = settings.get("routing.survey_municipality_share")
    note = t(
        TEXT,
        "routing_intro",
        lang,
        survey="?" if share is None else f"{share:.0%}",
        per_day="?"
        if "routing.cgc_per_day" not in settings
        else f"{settings['routing.cgc_per_day']:g}",
    )
    return _section("routing", lang, notes=[note], facts=facts, tables=tables, data=data)


def _safety_floor(lang: str) -> dict:
    from triage.labels import tier_label
    from triage.rules import RULES

    rows = [
        [
            r.id,
            r.source,
            r.text_ja if lang == "ja" else r.text_en,
            _safe_tier(r.floor, lang, tier_label) if r.floor else "—",
        ]
        for r in RULES
    ]
    return _section(
        "safety_floor",
        lang,
        notes=[t(TEXT, "rules_intro", lang)],
        tables=[
            {
                "caption": "triage.rules.RULES",
                "columns": [t(WORDS, k, lang) for k in ("id", "source", "rule", "floor")],
                "rows": rows,
            }
        ],
        data={"rule_ids": [r.id for r in RULES]},
    )


def _limitations(lang: str) -> dict:
    return _section(
        "limitations",
        lang,
        lists=[
            {
                "title": t(WORDS, "limitations", lang),
                "items": [
                    t(TEXT, k, lang)
                    for k in ("lim_synthetic", "lim_recorded", "lim_capacity", "lim_intervals")
                ],
            },
            {
                "title": t(WORDS, "ethics", lang),
                "items": [
                    t(TEXT, k, lang) for k in ("eth_sensitive", "eth_human", "eth_subgroups")
                ],
            },
        ],
    )


def _comparison(run: _Run, lang: str) -> dict:
    name = run.params.get("mlflow.registered_model")
    try:
        if not name:
            raise LookupError
        mv = run.client.get_model_version_by_alias(name, CHAMPION)
    except LookupError:
        return _section("comparison", lang, available=False, notes=[t(TEXT, "no_registry", lang)])
    except Exception:  # noqa: BLE001 - no such alias or model
        return _section(
            "comparison", lang, available=False, notes=[t(TEXT, "no_champion", lang, model=name)]
        )
    if mv.run_id == run.run_id:
        return _section(
            "comparison",
            lang,
            available=False,
            notes=[t(TEXT, "champion_is_self", lang, model=name, version=mv.version)],
            data={"champion_version": str(mv.version), "champion_run_id": mv.run_id},
        )
    try:
        other = _Run(run.client, mv.run_id)
    except Exception:  # noqa: BLE001 - a deleted or unreadable champion run
        note = t(TEXT, "champion_unreadable", lang, model=name, version=mv.version, run=mv.run_id)
        return _section("comparison", lang, available=False, notes=[note])
    try:
        mine_c = run.tags.get("chosen_candidate", "")
        theirs_c = other.tags.get("chosen_candidate", "")
        deltas, rows = [], []
        for name_m in COMPARISON_METRICS:
            a = run.metrics.get(f"true.{mine_c}.{name_m}")
            b = other.metrics.get(f"true.{theirs_c}.{name_m}")
            if a is None or b is None:
                continue
            deltas.append({"metric": name_m, "this_run": a, "champion": b, "delta": a - b})
            rows.append([t(METRICS, name_m, lang), _fmt(a), _fmt(b), f"{a - b:+.3f}"])
        tables = [
            {
                "caption": f"{mine_c} vs {theirs_c}",
                "columns": [t(WORDS, k, lang) for k in ("metric", "this_run", "champion", "delta")],
                "rows": rows,
            }
        ]
        notes = [t(TEXT, "champion_intro", lang, model=name, version=mv.version, run=mv.run_id)]
        fair_notes, fair_tables, fair_data = _fairness_deltas(run, other, lang)
        data = {
            "champion_version": str(mv.version),
            "champion_run_id": mv.run_id,
            "deltas": deltas,
            "fairness": fair_data,
        }
        return _section(
            "comparison", lang, notes=notes + fair_notes, tables=tables + fair_tables, data=data
        )
    finally:
        other.close()


def _fairness_deltas(mine: _Run, champion: _Run, lang: str) -> tuple[list[str], list, dict]:
    """Flag counts and the flagged disparities of this run's audit beside the champion's."""
    a, _ = _audit_source(mine)
    b, _ = _audit_source(champion)
    try:
        if a is None or b is None:
            which = "both" if a is None and b is None else ("this_run" if a is None else "champion")
            return [t(TEXT, f"no_fairness_delta_{which}", lang)], [], {"available": False}
        counts, count_rows = [], []
        for part in AUDITS:
            x, y = a.metrics.get(f"{part}.flags"), b.metrics.get(f"{part}.flags")
            if x is None or y is None:
                continue
            counts.append({"audit": part, "this_run": x, "champion": y, "delta": x - y})
            count_rows.append(
                [t(WORDS, f"audit_{part}", lang), _count(x), _count(y), f"{x - y:+,.0f}"]
            )
        ratios, ratio_rows = [], []
        for part in ("true", "recorded"):
            mine_d = _disparities(a, part)
            theirs_d = _disparities(b, part)
            for key in sorted(set(mine_d) | set(theirs_d)):
                x, y = mine_d.get(key), theirs_d.get(key)
                if not ((x and x["flag"]) or (y and y["flag"])) or x is None or y is None:
                    continue
                feature, group, metric = key
                rx, ry = x["ratio"], y["ratio"]
                ratios.append(
                    {
                        "audit": part,
                        "feature": feature,
                        "group": group,
                        "metric": metric,
                        "this_run": rx,
                        "champion": ry,
                        "delta": None if rx is None or ry is None else rx - ry,
                        "flag_this_run": x["flag"],
                        "flag_champion": y["flag"],
                    }
                )
                ratio_rows.append(
                    [
                        t(WORDS, f"audit_{part}", lang),
                        _field_label(feature, lang),
                        _group_label(feature, group, lang),
                        _audit_metric(metric, lang),
                        _fmt(rx) + (" *" if x["flag"] else ""),
                        _fmt(ry) + (" *" if y["flag"] else ""),
                        "—" if rx is None or ry is None else f"{rx - ry:+.3f}",
                    ]
                )
        head = [t(WORDS, k, lang) for k in ("this_run", "champion", "delta")]
        tables = [
            {
                "caption": t(WORDS, "fairness_flags_delta", lang),
                "columns": [t(WORDS, "audit", lang)] + head,
                "rows": count_rows,
            },
            {
                "caption": t(WORDS, "fairness_ratio_delta", lang),
                "columns": [t(WORDS, k, lang) for k in ("audit", "feature", "group", "metric")]
                + head,
                "rows": ratio_rows or [[t(WORDS, "none", lang)] + [""] * 6],
            },
        ]
        note = t(TEXT, "fairness_delta_intro", lang, mine=a.run_id, theirs=b.run_id)
        data = {
            "available": True,
            "audit_run_id": a.run_id,
            "champion_audit_run_id": b.run_id,
            "flags": counts,
            "ratios": ratios,
        }
        return [note], tables, data
    finally:
        for src, owner in ((a, mine), (b, champion)):
            if src is not None and src is not owner:
                src.close()


def _disparities(src: _Run, part: str) -> dict[tuple[str, str, str], dict]:
    rows = src.csv(f"audit/{part}/disparities.csv") or []
    return {
        (r["feature"], r["group"], r["metric"]): {
            "ratio": _num(r.get("ratio")),
            "flag": str(r.get("flag", "")).lower() == "true",
        }
        for r in rows
        if str(r.get("suppressed", "")).lower() != "true"
    }


def _sign_off(lang: str) -> dict:
    fields = ["name", "role", "date", "decision", "comments"]
    return _section(
        "sign_off",
        lang,
        notes=[
            t(TEXT, "sign_off_intro", lang),
            f"{t(WORDS, 'decision', lang)}: {t(TEXT, 'decision_options', lang)}",
        ],
        data={"fields": {f: t(WORDS, f, lang) for f in fields}},
    )


# ----------------------------------------------------------------------------- public


def card_from_client(client, run_id: str, *, lang: str = "ja") -> dict:
    """The card's data for ``run_id``, read through an ``MlflowClient``."""
    if lang not in LANGS:
        raise ValueError(ERRORS["lang"].format(langs=list(LANGS), lang=lang))
    run = _Run(client, run_id)
    try:
        figures: dict[str, dict] = {}
        candidates = _candidates(run.metrics)
        if not candidates:
            kind = f"a {run.tags['kind']} run" if run.tags.get("kind") else "a run without them"
            raise ValueError(ERRORS["no_metrics"].format(run_id=run_id, kind=kind))
        sections = [
            _intended_use(lang),
            _data(run, lang),
            _model(run, lang, candidates),
            _performance(run, lang, candidates),
            _calibration(run, lang, candidates, figures),
            _tiers(run, lang, candidates),
            _capacity(run, lang, figures),
            _explanations(run, lang, figures),
            _fairness(run, lang, figures),
            _safety_floor(lang),
            _routing(run, lang, candidates),
            _limitations(lang),
            _comparison(run, lang),
            _sign_off(lang),
        ]
        sections = [s for s in sections if s is not None]
        info = run.run.info
        return {
            "card_version": CARD_VERSION,
            "lang": lang,
            "title": f"{t(TITLES, 'card', lang)}: {run.tags.get('mlflow.runName', run_id)}",
            "decision_support_only": t(WORDS, "decision_support", lang),
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "run": {
                "run_id": run_id,
                "run_name": run.tags.get("mlflow.runName", ""),
                "experiment_id": info.experiment_id,
                "start_time": datetime.fromtimestamp(info.start_time / 1000, UTC).isoformat(
                    timespec="seconds"
                )
                if info.start_time
                else "",
                "versions": {
                    k[len("version.") :]: v
                    for k, v in sorted(run.tags.items())
                    if k.startswith("version.")
                },
            },
            "sections": sections,
            "figures": figures,
        }
    finally:
        run.close()
