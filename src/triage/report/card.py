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
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from triage.report._text import FACTS, LANGS, METRICS, TEXT, TITLES, WORDS, t

CARD_VERSION = "1.0.0"
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
CANDIDATE_ORDER: tuple[str, ...] = ("checklist", "scorecard", "lightgbm", "tree")
TOP_FIELDS = 10
CHAMPION = "champion"

ERRORS = {
    "lang": "lang: expected one of {langs}, got {lang!r}.",
    "run": "no MLflow run {run_id!r} at {uri}.",
}

_URL = re.compile(r"\s*(via\s+)?\S*https?://\S+", re.IGNORECASE)
_METRIC_KEY = re.compile(r"^(true|recorded)\.([a-z0-9_]+)\.([a-z0-9_]+)$")


class _Run:
    """Reads one run's logged facts; artefacts are fetched one file at a time, on demand."""

    def __init__(self, client, run_id: str) -> None:
        self.client = client
        self.run = client.get_run(run_id)
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
    others = sorted(found - set(known) - {"oracle"})
    return known + others + (["oracle"] if "oracle" in found else [])


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


def _data(run: _Run, lang: str) -> dict:
    tags = run.tags
    synthetic = tags.get("data.source") == "synthetic"
    facts = [
        _fact("source", tags.get("data.source"), lang),
        _fact("n", tags.get("data.n"), lang),
        _fact("fingerprint", tags.get("data.fingerprint"), lang),
    ]
    if synthetic:
        facts += [
            _fact("spec_version", tags.get("synth.spec_version"), lang),
            _fact("spec_digest", tags.get("synth.spec_digest"), lang),
            _fact("seed", tags.get("synth.seed"), lang),
        ]
    facts += [
        _fact(k, tags[k], lang)
        for k in ("split.train", "split.calibration", "split.test")
        if k in tags
    ]
    target = tags.get("target") or run.params.get("target", "")
    facts.append(_fact("target", target, lang))
    notes = [t(TEXT, "data_synthetic" if synthetic else "data_not_synthetic", lang)]
    notes.append(t(TEXT, "label_bias", lang, target=target))
    tables = []
    if synthetic:
        missing, table = _published_aggregates(tags, lang)
        notes += missing
        if table:
            tables.append(table)
    return _section("data", lang, facts=facts, notes=notes, tables=tables)


def _model(run: _Run, lang: str, candidates: list[str]) -> dict:
    p, tags = run.params, run.tags
    chosen = tags.get("chosen_candidate", "")
    facts = [
        _fact("chosen", chosen, lang),
        _fact("selection", p.get("selection.metric"), lang),
        _fact("calibration", p.get("calibration.method"), lang),
        _fact("candidates", ", ".join(c for c in candidates if c != "oracle"), lang),
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
        cols = [c for c in rows[0] if c != "true_tier"]
        data[cand] = {
            "columns": cols,
            "rows": [[r["true_tier"]] + [int(r[c]) for c in cols] for r in rows],
        }
        under = _cell(run.metrics, f"true.{cand}.under_triage")
        caption = cand
        if under:
            caption += f" — {t(METRICS, 'under_triage', lang)} {_interval(under)}"
            data[cand]["under_triage"] = under
        tables.append(
            {
                "caption": caption,
                "columns": [t(WORDS, "true_tier", lang)]
                + [_safe_tier(c, lang, tier_label) for c in cols],
                "rows": [
                    [_safe_tier(r["true_tier"], lang, tier_label)] + [r[c] for c in cols]
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


def _fairness(run: _Run, lang: str, figures: dict) -> dict:
    files = _walk(run, "audit")
    csvs = [f for f in files if f.endswith(".csv")]
    if not csvs:
        return _section("fairness", lang, available=False, notes=[t(TEXT, "no_fairness", lang)])
    tables = []
    for path in csvs:
        rows = run.csv(path) or []
        if not rows:
            continue
        cols = list(rows[0])
        tables.append(
            {"caption": path, "columns": cols, "rows": [[r[c] for c in cols] for r in rows]}
        )
    figs = []
    for path in (f for f in files if f.endswith(".png")):
        key = _figure(run, path, figures)
        if key:
            figs.append({"key": key, "caption": path})
    return _section(
        "fairness", lang, notes=[t(TEXT, "fairness_intro", lang)], tables=tables, figures=figs
    )


def _walk(run: _Run, folder: str) -> list[str]:
    out = []
    for f in run.client.list_artifacts(run.run_id, folder) if run.listing(folder) else []:
        out.extend(_walk(run, f.path) if f.is_dir else [f.path])
    return out


def _safety_floor(lang: str) -> dict:
    from triage.labels import tier_label
    from triage.rules._table import RULES

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
    other = run.client.get_run(mv.run_id)
    mine_c = run.tags.get("chosen_candidate", "")
    theirs_c = other.data.tags.get("chosen_candidate", "")
    deltas, rows = [], []
    for name_m in COMPARISON_METRICS:
        a = run.metrics.get(f"true.{mine_c}.{name_m}")
        b = other.data.metrics.get(f"true.{theirs_c}.{name_m}")
        if a is None or b is None:
            continue
        deltas.append({"metric": name_m, "this_run": a, "champion": b, "delta": a - b})
        rows.append([t(METRICS, name_m, lang), _fmt(a), _fmt(b), f"{a - b:+.3f}"])
    return _section(
        "comparison",
        lang,
        notes=[t(TEXT, "champion_intro", lang, model=name, version=mv.version, run=mv.run_id)],
        tables=[
            {
                "caption": f"{mine_c} vs {theirs_c}",
                "columns": [t(WORDS, k, lang) for k in ("metric", "this_run", "champion", "delta")],
                "rows": rows,
            }
        ],
        data={"champion_version": str(mv.version), "champion_run_id": mv.run_id, "deltas": deltas},
    )


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
        sections = [
            _intended_use(lang),
            _data(run, lang),
            _model(run, lang, candidates),
            _performance(run, lang, candidates),
            _calibration(run, lang, candidates, figures),
            _tiers(run, lang, candidates),
            _explanations(run, lang, figures),
            _fairness(run, lang, figures),
            _safety_floor(lang),
            _limitations(lang),
            _comparison(run, lang),
            _sign_off(lang),
        ]
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
