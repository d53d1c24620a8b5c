"""Model cards built from real CI runs: files, schema, self-containment, sections, numbers, privacy.

One store holds the CI run, a second run on the same notices with markers planted in three of
them (the next model version) and a fairness audit of each; the DV-witness run has its own.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import subprocess
import sys
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
import yaml
from mlflow import MlflowClient

from made_once import Making, made_once
from triage.cli.report import report_command
from triage.report import (
    FILES,
    build_card,
    card_schema,
    log_card,
    write_card,
)

REPO = Path(__file__).resolve().parents[1]
CI_CONFIG = REPO / "configs" / "ci.yaml"
CI_DV_CONFIG = REPO / "configs" / "ci_dv.yaml"
AUDIT_CONFIG = REPO / "configs" / "audit.yaml"
TRIAGE = str(Path(sys.executable).with_name("triage"))
NOTICE_ID = re.compile(r"SYN\d{4}-\d{7}")
EXTERNAL_REF = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
PLANTED_RUN = "intake-urgency-ci-planted"
MARKERS = {
    "notice_id": "ZZPLANTEDMARKER",  # + a digit: three notices
    "region_code": "ZZMARKREGION",
    "received_at": "987654",  # microseconds of the earliest notice's receipt time
}

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Store:
    """A real MLflow store made by the CLI in ``work``; ``runs``: run name → run id."""

    client: MlflowClient
    uri: str
    work: Path
    runs: dict[str, str]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}


def _triage(*args: str, cwd: Path) -> None:
    proc = subprocess.run(
        [TRIAGE, *args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-3000:]


def _store(work: Path, names: list[str]) -> Store:
    uri = f"sqlite:///{work / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = {}
    for name in names:
        (run,) = client.search_runs(experiments, filter_string=f"tags.mlflow.runName = '{name}'")
        runs[name] = run.info.run_id
    return Store(client=client, uri=uri, work=work, runs=runs)


@functools.cache
def ci_run(root: Path) -> Store:
    """``triage run configs/ci.yaml`` in an empty folder (once per test session, for every
    worker: ``made_once``). Shared with ``test_report_browser.py`` and
    ``test_card_completeness.py`` through the session's base temp folder ``root``."""
    work = made_once(root, "report-store", lambda w: _triage("run", str(CI_CONFIG), "--quiet", cwd=w))
    return _store(work, ["intake-urgency-ci"])


@functools.cache
def _dv_started(root: Path) -> tuple[subprocess.Popen | None, Making]:
    """The DV run started in the background by the first worker that asks; None elsewhere."""
    making = Making.start(root, "report-dv-store")
    if not making.mine:
        return None, making
    proc = subprocess.Popen(
        [TRIAGE, "run", str(CI_DV_CONFIG), "--quiet"],
        cwd=making.work,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return proc, making


@functools.cache
def dv_run(root: Path) -> Store:
    """``triage run configs/ci_dv.yaml`` in its own store (started early, in parallel)."""
    proc, making = _dv_started(root)
    if proc is None:
        return _store(making.wait(), ["dv-witness-sorting-ci"])
    try:
        out, err = proc.communicate(timeout=300)
    finally:
        making.finish(ok=proc.returncode == 0)
    assert proc.returncode == 0, err[-3000:] + out[-3000:]
    return _store(making.work, ["dv-witness-sorting-ci"])


def plant_markers(folder: Path) -> list[str]:
    """The CI config's synthetic notices written to ``folder`` with marker values planted.

    Where a careless report could show a notice: the earliest notice (its receipt time
    opens the training window), the latest one and the test notice with the highest true
    risk (the first a "top notices" table would list). Their ids and region codes become
    markers, and the earliest receipt time gets marker microseconds. Returns the ids.
    """
    from triage.synth import generate, load_spec
    from triage.synth.output import write_dataset

    cfg = yaml.safe_load(CI_CONFIG.read_text("utf-8"))
    spec = load_spec()
    n, fy = cfg["data"]["synthetic"]["n"], cfg["data"]["synthetic"]["fiscal_year"]
    result = generate(spec, n=n, seed=cfg["seed"], fiscal_year=fy)
    notices, truth = result.notices.copy(), result.truth.copy()
    at = notices["received_at"]
    recent = (at >= at.max() - pd.Timedelta(days=60)).to_numpy()
    rows = {
        int(np.argmin(at.to_numpy())),
        int(np.argmax(at.to_numpy())),
        int(np.argmax(np.where(recent, truth["p_harm"].to_numpy(), -1.0))),
    }
    ids = []
    for i, row in enumerate(sorted(rows)):
        new_id = f"{MARKERS['notice_id']}{i}"
        truth.loc[truth["notice_id"] == notices.at[row, "notice_id"], "notice_id"] = new_id
        notices.at[row, "notice_id"] = new_id
        notices.at[row, "region_code"] = MARKERS["region_code"]
        ids.append(new_id)
    first = int(np.argmin(at.to_numpy()))
    notices.at[first, "received_at"] = at.iloc[first].floor("D") + pd.Timedelta(
        microseconds=int(MARKERS["received_at"])
    )
    planted = dataclasses.replace(result, notices=notices, truth=truth)
    write_dataset(planted, folder, spec=spec, seed=cfg["seed"], fiscal_year=fy)
    return ids


@functools.cache
def audited_store(root: Path) -> Store:
    """The CI run, a second run on planted data (the next model version) and an audit of each.

    The DV-witness run starts first, in its own store, and runs alongside.
    """
    _dv_started(root)
    base = ci_run(root)
    made_once(root, "report-store-audited", lambda _: _plant_and_audit(base.work))
    return _store(base.work, ["intake-urgency-ci", PLANTED_RUN])


def _plant_and_audit(work: Path) -> None:
    plant_markers(work / "planted-data")
    cfg = yaml.safe_load(CI_CONFIG.read_text("utf-8"))
    cfg["name"] = PLANTED_RUN
    cfg["data"] = {"source": "folder", "folder": "planted-data"}
    (work / "planted.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False), "utf-8")
    _triage("run", "planted.yaml", "--quiet", cwd=work)
    store = _store(work, ["intake-urgency-ci", PLANTED_RUN])
    audit_cfg = yaml.safe_load(AUDIT_CONFIG.read_text("utf-8"))
    audit_cfg.update(n_boot=100, verify_max_rows=0)  # fewer resamples; test_audit checks the rest
    (work / "audit.yaml").write_text(yaml.safe_dump(audit_cfg), "utf-8")
    for run_id in store.runs.values():
        _triage("audit", "--run", run_id, "--config", "audit.yaml", cwd=work)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """(client, uri, run_id, work) of the CI run, once the whole store is built."""
    s = audited_store(tmp_path_factory.getbasetemp())
    return s.client, s.uri, s.runs["intake-urgency-ci"], s.work


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Store:
    return audited_store(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def dv(tmp_path_factory) -> Store:
    return dv_run(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def cards(store, tmp_path_factory):
    client, _, run_id, _ = store
    out = {}
    for lang in ("ja", "en"):
        card = build_card(run_id, lang=lang, client=client)
        folder = tmp_path_factory.mktemp(f"card_{lang}")
        out[lang] = (card, write_card(card, folder))
    return out


@pytest.fixture(scope="module")
def bare_run(store):
    """A run holding a few metrics and no artefacts at all: no explanations, no fairness, no plots."""
    client, _, _, _ = store
    exp = client.get_experiment_by_name("intake-urgency-ci")
    run = client.create_run(exp.experiment_id, tags={"chosen_candidate": "scorecard"})
    rid = run.info.run_id
    client.log_param(rid, "mlflow.registered_model", "intake-urgency-ci")
    for key, value in {
        "true.scorecard.auc": 0.71,
        "true.scorecard.auc_low": 0.69,
        "true.scorecard.auc_high": 0.73,
        "true.scorecard.brier": 0.09,
    }.items():
        client.log_metric(rid, key, value)
    client.set_terminated(rid)
    return rid


@contextmanager
def champion(client, version: str, model: str = "intake-urgency-ci"):
    client.set_registered_model_alias(model, "champion", version)
    try:
        yield
    finally:
        client.delete_registered_model_alias(model, "champion")


def _section(card: dict, sid: str) -> dict:
    return next(s for s in card["sections"] if s["id"] == sid)


def test_the_three_files_are_written_and_the_json_follows_the_schema(cards):
    for card, paths in cards.values():
        assert [p.name for p in paths] == list(FILES)
        assert all(p.stat().st_size > 0 for p in paths)
        loaded = json.loads(paths[2].read_text("utf-8"))
        jsonschema.validate(loaded, card_schema())
        assert loaded["card_version"] == card["card_version"]


def test_html_is_self_contained(cards):
    for card, paths in cards.values():
        html = paths[0].read_text("utf-8")
        assert '<meta charset="utf-8">' in html
        assert f'<html lang="{card["lang"]}">' in html
        assert not EXTERNAL_REF.search(html)
        assert "<script" not in html.lower()
        assert "<link" not in html.lower()
        assert "@import" not in html
        srcs = re.findall(r'src="([^"]*)"', html)
        assert srcs, "the calibration plot is embedded"
        assert all(s.startswith("data:image/png;base64,") for s in srcs)


def test_lang_ja_gives_japanese_headings_and_en_english(cards):
    ja_html = cards["ja"][1][0].read_text("utf-8")
    en_html = cards["en"][1][0].read_text("utf-8")
    for heading in ("想定される用途と想定外の用途", "性能", "公平性", "審査者の承認"):
        assert f"<h2>{heading}</h2>" in ja_html
    for heading in ("Intended use and out-of-scope use", "Performance", "Fairness"):
        assert f"<h2>{heading}</h2>" in en_html
    assert "## 性能" in cards["ja"][1][1].read_text("utf-8")


def test_the_card_lists_the_monotone_constraints_the_lightgbm_candidate_was_fitted_under(cards):
    # The CI config leaves LightGBM's `monotone` at its default (True): the card must not
    # say that no constraint was recorded, and the Japanese card gives the reasons in Japanese.
    for lang, word in (("ja", "単調性制約"), ("en", "monotone constraints")):
        card, _ = cards[lang]
        model = _section(card, "model")
        captions = [tb["caption"] for tb in model.get("tables", [])]
        table = next(tb for tb in model["tables"] if tb["caption"].startswith(word))
        assert "lightgbm" in table["caption"], captions
        assert {row[1] for row in table["rows"]} >= {"prior_notices", "dv_strangulation=yes"}
    ja_rows = next(
        tb for tb in _section(cards["ja"][0], "model")["tables"] if "単調性制約" in tb["caption"]
    )["rows"]
    assert all(re.search(r"[ぁ-んァ-ン一-龥]", row[2]) for row in ja_rows)


def test_the_japanese_card_asks_the_checklist_questions_in_japanese(cards):
    def questions(lang):
        model = _section(cards[lang][0], "model")
        return next(tb for tb in model["tables"] if "checklist" in tb["caption"])["rows"]

    assert [r[0] for r in questions("ja")] == [r[0] for r in questions("en")]
    assert all(re.search(r"[ぁ-んァ-ン一-龥]", r[1]) for r in questions("ja"))
    assert all(r[1].endswith("?") for r in questions("en"))


def test_every_figure_of_the_japanese_card_is_drawn_in_japanese_from_the_logged_data(cards):
    # The run and its audit logged English PNGs; the Japanese card draws each figure again
    # from the data beside it (figure texts: tests/test_report_figures_lang.py).
    ja, en = cards["ja"][0], cards["en"][0]
    assert set(ja["figures"]) == set(en["figures"])
    assert {k.split("_")[0] for k in ja["figures"]} == {"evaluation", "explanations", "audit"}
    for key, figure in ja["figures"].items():
        assert figure["base64"] != en["figures"][key]["base64"], key
        assert figure["artifact"].endswith(".json"), figure["artifact"]
        assert en["figures"][key]["artifact"].endswith(".png")

    def captions(card):
        return [f["caption"] for s in card["sections"] for f in s["figures"]]

    english = {w.lower() for c in captions(en) for w in re.findall(r"[A-Za-z]{3,}", c)}
    assert len(captions(ja)) == len(ja["figures"])
    for caption in captions(ja):
        assert re.search(r"[ぁ-んァ-ン一-龥]", caption), caption
        assert not {w.lower() for w in re.findall(r"[A-Za-z]{3,}", caption)} & english, caption
    assert not any(re.search(r"[ぁ-んァ-ン一-龥]", c) for c in captions(en))
    # and the words around the figures: no "vs" in the audit's flags, no English units
    flags = [str(c) for tb in _section(ja, "fairness")["tables"] for row in tb["rows"] for c in row]
    assert not any(re.search(r"\bvs\b", c) for c in flags)
    assert "log-odds" not in " ".join(_section(ja, "explanations")["notes"])
    markdown = cards["ja"][1][1].read_text("utf-8")
    assert "embedded in" not in markdown and "（図は model_card.html に掲載）" in markdown
    assert f"実行 `{ja['run']['run_id']}` · 実験" in markdown
    html = cards["ja"][1][0].read_text("utf-8")
    assert f"<p>実行 {ja['run']['run_id']} · 実験" in html


def test_every_performance_number_is_the_logged_metric(store, cards):
    client, _, run_id, _ = store
    logged = client.get_run(run_id).data.metrics
    card = cards["en"][0]
    perf = _section(card, "performance")
    assert perf["available"]
    outcomes = perf["data"]["outcomes"]
    assert set(outcomes) == {"true", "recorded"}
    names = [row["candidate"] for row in outcomes["true"]]
    assert {"checklist", "scorecard", "lightgbm", "tree", "oracle"} <= set(names)
    n_checked = 0
    for table, (outcome, rows) in zip(perf["tables"], outcomes.items(), strict=True):
        for shown, row in zip(table["rows"], rows, strict=True):
            assert shown[0] == row["candidate"]
            for cell in row["metrics"].values():
                key = cell["key"]
                assert key.startswith(f"{outcome}.{row['candidate']}.")
                assert cell["estimate"] == logged[key]
                assert cell["low"] == logged.get(f"{key}_low")
                assert cell["high"] == logged.get(f"{key}_high")
                assert f"{cell['estimate']:.3f}" in " ".join(shown)
                n_checked += 1
    assert n_checked >= 40


def test_the_dv_card_states_its_capacity_as_configured_and_no_missing_k(dv):
    for lang in ("en", "ja"):
        card = build_card(dv.runs["dv-witness-sorting-ci"], lang=lang, client=dv.client)
        text = json.dumps(card, ensure_ascii=False)
        assert "k = ?" not in text and "k=?" not in text
        routing = next(s for s in card["sections"] if s["data"].get("settings"))
        per_day = routing["data"]["settings"]["routing.cgc_per_day"]
        shown = {f["key"]: f["value"] for f in routing["facts"]}
        assert shown["routing.cgc_per_day"] == f"{per_day:,.6g}"
        assert "." not in shown["routing.cgc_per_day"] or per_day != int(per_day)
        assert shown["routing.survey_municipality_share"].endswith("%")


def test_tier_confusion_and_truth_check_trace_to_the_run(store, cards):
    client, _, run_id, _ = store
    logged = client.get_run(run_id).data.metrics
    card = cards["en"][0]
    tiers = _section(card, "tiers")
    assert tiers["available"]
    for cand, table in tiers["data"].items():
        under = table["under_triage"]
        assert under["estimate"] == logged[f"true.{cand}.under_triage"]
    truth = _section(card, "explanations")["data"]["truth"]
    assert truth and all(v == logged[k] for k, v in truth.items())


def test_sections_say_plainly_what_a_run_does_not_have(dv):
    """The DV-witness run has no fairness audit, no champion and no tiers (since issue 17 it logs
    its capacity curve, as an intake run does)."""
    card = build_card(dv.runs["dv-witness-sorting-ci"], lang="en", client=dv.client)
    fairness = _section(card, "fairness")
    assert not fairness["available"] and not fairness["tables"]
    assert "No fairness audit was logged for this run" in fairness["notes"][0]
    assert f"triage audit --run {dv.runs['dv-witness-sorting-ci']}" in fairness["notes"][0]
    comparison = _section(card, "comparison")
    assert "no current champion" in comparison["notes"][0]
    assert _section(card, "capacity")["available"]
    rules = _section(card, "safety_floor")
    assert "R-48H" in rules["data"]["rule_ids"]


def test_no_row_level_notice_appears_in_any_report_file(cards):
    for _, paths in cards.values():
        for p in paths:
            assert not NOTICE_ID.search(p.read_text("utf-8")), p.name


def test_a_run_without_explanations_or_fairness_still_renders(store, bare_run, tmp_path):
    client, _, _, _ = store
    card = build_card(bare_run, lang="en", client=client)
    paths = write_card(card, tmp_path)
    jsonschema.validate(json.loads(paths[2].read_text("utf-8")), card_schema())
    html = paths[0].read_text("utf-8")
    assert "No global explanations were logged for this run" in html
    assert "No fairness audit was logged for this run" in html
    assert "No calibration plot was logged for this run" in html
    assert "No capacity curve was logged for this run" in html
    perf = _section(card, "performance")["data"]["outcomes"]["true"]
    assert perf == [
        {
            "candidate": "scorecard",
            "metrics": {
                "auc": {"key": "true.scorecard.auc", "estimate": 0.71, "low": 0.69, "high": 0.73},
                "brier": {
                    "key": "true.scorecard.brier",
                    "estimate": 0.09,
                    "low": None,
                    "high": None,
                },
            },
        }
    ]


def test_a_run_that_is_not_a_pipeline_run_gets_a_clear_error(store, planted, tmp_path, monkeypatch):
    client, uri, run_id, _ = store
    (audit_run,) = _audit_runs(client, run_id)
    with pytest.raises(ValueError, match="has no evaluation metrics .* a fairness-audit run"):
        build_card(audit_run.info.run_id, lang="en", client=client)
    with pytest.raises(LookupError, match="no MLflow run '0+'"):
        build_card("0" * 32, lang="en", client=client)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert report_command(audit_run.info.run_id, "en", tmp_path / "bad") == 2
    assert not (tmp_path / "bad").exists()


def test_comparison_with_the_champion_gives_metric_deltas(store, bare_run):
    client, _, run_id, _ = store
    with champion(client, "1"):
        card = build_card(bare_run, lang="en", client=client)
        self_card = build_card(run_id, lang="en", client=client)
    comp = _section(card, "comparison")
    assert comp["available"]
    assert comp["data"]["champion_run_id"] == run_id
    champion_auc = client.get_run(run_id).data.metrics["true.lightgbm.auc"]
    (auc,) = [d for d in comp["data"]["deltas"] if d["metric"] == "auc"]
    assert auc["champion"] == champion_auc
    assert auc["delta"] == pytest.approx(0.71 - champion_auc)
    assert comp["data"]["fairness"] == {"available": False}
    assert "Fairness deltas: not available, this run has no fairness audit." in comp["notes"]
    assert "current champion" in _section(self_card, "comparison")["notes"][0]


def test_comparison_gives_fairness_deltas_when_both_runs_are_audited(planted):
    client = planted.client
    mine, theirs = planted.runs[PLANTED_RUN], planted.runs["intake-urgency-ci"]
    assert client.get_model_version("intake-urgency-ci", "1").run_id == theirs
    with champion(client, "1"):
        card = build_card(mine, lang="en", client=client)
    comp = _section(card, "comparison")
    fair = comp["data"]["fairness"]
    assert fair["available"]
    (a,), (b,) = _audit_runs(client, mine), _audit_runs(client, theirs)
    assert (fair["audit_run_id"], fair["champion_audit_run_id"]) == (a.info.run_id, b.info.run_id)
    assert [f["audit"] for f in fair["flags"]] == ["true", "recorded", "labels"]
    for f in fair["flags"]:
        assert f["this_run"] == a.data.metrics[f"{f['audit']}.flags"]
        assert f["champion"] == b.data.metrics[f"{f['audit']}.flags"]
        assert f["delta"] == f["this_run"] - f["champion"]
    assert fair["ratios"], "the CI audits flag disparities"
    disparities = {
        side: {
            part: pd.read_csv(
                client.download_artifacts(rid, f"audit/{part}/disparities.csv", str(tmp))
            )
            for part in ("true", "recorded")
        }
        for side, rid, tmp in (
            ("this_run", a.info.run_id, planted.work / "dl-a"),
            ("champion", b.info.run_id, planted.work / "dl-b"),
        )
    }
    for r in fair["ratios"]:
        for side in ("this_run", "champion"):
            d = disparities[side][r["audit"]]
            (row,) = d[
                (d["feature"] == r["feature"])
                & (d["group"].astype(str) == r["group"])
                & (d["metric"] == r["metric"])
            ].itertuples()
            assert r[side] == row.ratio
            assert r[f"flag_{side}"] == bool(row.flag)
        assert r["flag_this_run"] or r["flag_champion"]
        assert r["delta"] == pytest.approx(r["this_run"] - r["champion"])
    shown = " ".join(" ".join(row) for tb in comp["tables"] for row in tb["rows"])
    assert f"{fair['ratios'][0]['this_run']:.3f}" in shown


def _audit_runs(client, run_id: str) -> list:
    experiments = [e.experiment_id for e in client.search_experiments()]
    return client.search_runs(experiments, filter_string=f"tags.`audit.of_run` = '{run_id}'")


def test_fairness_section_shows_the_audit_of_the_run_recorded_and_true(store, cards):
    client, _, run_id, work = store
    (audit,) = _audit_runs(client, run_id)
    assert audit.data.tags["kind"] == "fairness-audit"
    card = cards["en"][0]
    fairness = _section(card, "fairness")
    assert fairness["available"]
    assert fairness["data"]["audit_run_id"] == audit.info.run_id
    audits = fairness["data"]["audits"]
    assert list(audits) == ["true", "recorded", "labels"]
    tmp = work / "dl-fairness"
    for part, data in audits.items():
        assert data["flags"] == audit.data.metrics[f"{part}.flags"]
        assert data["disparities"] == audit.data.metrics[f"{part}.disparities"]
        flags = pd.read_csv(
            client.download_artifacts(audit.info.run_id, f"audit/{part}/flags.csv", str(tmp))
        )
        assert len(data["flag_rows"]) == len(flags) == data["flags"]
        for shown, logged in zip(data["flag_rows"], flags.itertuples(), strict=True):
            assert (shown["feature"], shown["metric"]) == (logged.feature, logged.metric)
            assert (shown["ratio"], shown["ratio_low"]) == (logged.ratio, logged.ratio_low)
        groups = pd.read_csv(
            client.download_artifacts(audit.info.run_id, f"audit/{part}/groups.csv", str(tmp))
        )
        assert [g["n"] for g in data["groups"]] == groups["n"].tolist()
        assert [g["fnr"] for g in data["groups"]] == groups["fnr"].tolist()
    captions = [tb["caption"] for tb in fairness["tables"]]
    assert any(c.startswith("true outcome: flags") for c in captions)
    assert any(c.startswith("recorded outcome: flags") for c in captions)
    assert {f["key"] for f in fairness["figures"]} <= set(card["figures"])
    ja = _section(cards["ja"][0], "fairness")
    assert any(tb["caption"].startswith("真の結果") for tb in ja["tables"])
    assert "偽陰性率（過小トリアージ）" in ja["tables"][1]["columns"]


def test_capacity_curve_is_the_logged_one_and_meets_the_run_at_its_capacity(store, cards):
    client, _, run_id, work = store
    logged = json.loads(
        Path(
            client.download_artifacts(run_id, "evaluation/capacity_curve.json", str(work / "dl"))
        ).read_text("utf-8")
    )
    metrics = client.get_run(run_id).data.metrics
    card = cards["en"][0]
    cap = _section(card, "capacity")
    assert cap["available"]
    data = cap["data"]
    assert data["per_day"] == logged["per_day"] and data["k"] == logged["k"]
    assert set(data["recall"]) == {"checklist", "scorecard", "lightgbm", "tree", "oracle"}
    for cand, values in data["recall"].items():
        assert values == logged["outcomes"]["true"][cand]["recall_at_k_worst"]
        assert data["precision"][cand] == logged["outcomes"]["true"][cand]["precision_at_k_worst"]
        # at the run's own capacity the curve is the evaluation's recall at k
        at = data["k"].index(int(metrics["capacity.k"]))
        assert values[at] == pytest.approx(metrics[f"true.{cand}.recall_at_k_worst"], abs=1e-12)
    assert len(data["per_day"]) >= 5
    (fig,) = cap["figures"]
    assert card["figures"][fig["key"]]["artifact"] == "evaluation/capacity_curve.png"


def test_data_section_lists_the_spec_recording_biases(store, cards):
    from triage.synth.spec import load_spec

    spec = load_spec()
    data = _section(cards["en"][0], "data")
    assert data["data"]["spec_version"] == spec.spec_version
    rec = data["data"]["recording"]
    assert rec["detection"]["terms"] == spec.recording.detection.terms
    assert rec["false_record"]["logit"] == spec.recording.false_record.logit
    assert rec["tier_perception"]["noise_sd"] == spec.recording.tier_perception.noise_sd
    (table,) = [tb for tb in data["tables"] if "(data/recording_bias.json)" in tb["caption"]]
    rows = {(r[0], r[1]): r[2] for r in table["rows"]}
    assert rows["false record", "Public assistance or financial hardship: yes"] == (
        f"{spec.recording.false_record.terms['welfare_receipt']:+.2f}"
    )
    assert rows["detection", "Area type: rural"] == "-0.30"
    facts = {f["key"]: f["value"] for f in data["facts"]}
    assert facts["seed"] == "7" and facts["spec_version"] == spec.spec_version
    assert re.fullmatch(r"\d{4}-\d{2} \.\. \d{4}-\d{2}-\d{2}", facts["period"])


def test_dv_witness_routing_figures_with_intervals_per_candidate_and_oracle(dv, cards):
    run_id = dv.runs["dv-witness-sorting-ci"]
    logged = dv.client.get_run(run_id).data.metrics
    card = build_card(run_id, lang="en", client=dv.client)
    jsonschema.validate(card, card_schema())
    routing = _section(card, "routing")
    rows = routing["data"]["outcomes"]["true"]
    names = [r["candidate"] for r in rows]
    assert {"dv_checklist", "scorecard", "lightgbm", "oracle", "oracle_cut"} <= set(names)
    assert names[-2:] == ["oracle", "oracle_cut"]
    for row in rows:
        for name in ("share_municipality", "under_routing"):
            cell = row["metrics"][name]
            key = f"true.{row['candidate']}.{name}"
            assert cell["key"] == key and cell["estimate"] == logged[key]
            assert (cell["low"], cell["high"]) == (logged[f"{key}_low"], logged[f"{key}_high"])
            assert cell["low"] <= cell["estimate"] <= cell["high"]
    assert routing["data"]["settings"]["routing.cgc_per_day"] == logged["routing.cgc_per_day"]
    shown = " ".join(" ".join(r) for r in routing["tables"][0]["rows"])
    assert f"{rows[0]['metrics']['share_municipality']['estimate']:.3f}" in shown
    assert "routing" not in [s["id"] for s in cards["en"][0]["sections"]]
    ja = build_card(run_id, lang="ja", client=dv.client)
    assert _section(ja, "routing")["title"] == "面前DV通告の振り分け"


def test_report_command_writes_the_files_and_log_card_logs_them(store, tmp_path, monkeypatch):
    client, uri, run_id, _ = store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert report_command(run_id, "ja", tmp_path / "out") == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(FILES)
    assert report_command(run_id, "fr", tmp_path / "bad") == 2
    assert report_command("0" * 32, "en", tmp_path / "bad") == 2
    assert not (tmp_path / "bad").exists()
    logged = log_card(run_id, "ja", client=client)
    assert logged == [f"report/{name}" for name in FILES]
    assert sorted(f.path for f in client.list_artifacts(run_id, "report")) == sorted(logged)


# ----------------------------------------------------------------------------- tracing

NUMERIC_CELL = re.compile(r"[-+\d.,\s\[\]*—vs/]+")
NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")
DATE = re.compile(r"\d{4}-\d{2}")
NOT_FROM_THE_RUN = {"intended_use", "safety_floor", "limitations", "sign_off"}


def _numbers_in(value, out: list[float]) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        out.append(float(value))
    elif isinstance(value, str):
        with suppress(ValueError):
            out.append(float(value))
    elif isinstance(value, dict):
        for v in value.values():
            _numbers_in(v, out)
    elif isinstance(value, list | tuple):
        for v in value:
            _numbers_in(v, out)


def _logged_numbers(client, run_ids: list[str], tmp: Path) -> list[float]:
    """Every number a run logged: metrics, params, tags and its JSON/CSV artefacts."""
    out: list[float] = []
    for rid in run_ids:
        run = client.get_run(rid)
        _numbers_in([run.data.metrics, run.data.params, run.data.tags], out)
        for folder in ("evaluation", "explanations", "data", "models", "audit"):
            if not client.list_artifacts(rid, folder):
                continue
            local = Path(client.download_artifacts(rid, folder, str(tmp / rid)))
            for f in local.rglob("*"):
                if f.suffix == ".json":
                    _numbers_in(json.loads(f.read_text("utf-8")), out)
                elif f.suffix == ".csv":
                    _numbers_in(pd.read_csv(f).to_numpy().tolist(), out)
    return out


def _walk_data(value, path: str, found: list[tuple[str, float]], deltas: list[float]) -> None:
    if isinstance(value, dict):
        if {"this_run", "champion", "delta"} <= set(value) and value["delta"] is not None:
            assert value["delta"] == pytest.approx(value["this_run"] - value["champion"]), path
            deltas.append(value["delta"])
            value = {k: v for k, v in value.items() if k != "delta"}
        for k, v in value.items():
            if k != "audit_runs":  # a count of audit runs found, not a figure
                _walk_data(v, f"{path}.{k}", found, deltas)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _walk_data(v, f"{path}[{i}]", found, deltas)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        found.append((path, float(value)))


def _assert_traced(card: dict, logged: list[float]) -> int:
    """Every number in the card's data equals a logged one; every number shown in a table or
    a fact is a logged number rounded as shown. Returns how many numbers were checked."""
    found: list[tuple[str, float]] = []
    deltas: list[float] = []
    for s in card["sections"]:
        if s["id"] not in NOT_FROM_THE_RUN:
            _walk_data(s["data"], s["id"], found, deltas)
    values = np.unique(np.asarray(logged + deltas, dtype=float))
    for path, x in found:
        i = np.searchsorted(values, x)
        near = values[max(i - 1, 0) : i + 1]
        assert np.any(np.isclose(near, x, rtol=1e-12, atol=0)), f"{path} = {x} is not logged"
    shown = 0
    for s in card["sections"]:
        if s["id"] in NOT_FROM_THE_RUN:
            continue
        cells = [c for tb in s["tables"] for row in tb["rows"] for c in row]
        cells += [f["value"] for f in s["facts"]]
        for cell in cells:
            if not NUMERIC_CELL.fullmatch(cell) or not re.search(r"\d", cell) or DATE.search(cell):
                continue  # words, or dates (the split windows, from the run's tags)
            for token in NUMBER.findall(cell):
                x = float(token.replace(",", ""))
                decimals = len(token.split(".")[1]) if "." in token else 0
                half = 0.5 * 10.0**-decimals + 1e-9
                lo, hi = np.searchsorted(values, [x - half, x + half])
                assert hi > lo, f"{s['id']}: {token!r} in {cell!r} rounds no logged number"
                shown += 1
    return len(found) + shown


def test_every_number_in_the_card_traces_to_a_logged_result(store, cards, tmp_path):
    client, _, run_id, _ = store
    (audit,) = _audit_runs(client, run_id)
    logged = _logged_numbers(client, [run_id, audit.info.run_id], tmp_path)
    for lang in ("en", "ja"):
        assert _assert_traced(cards[lang][0], logged) > 1500


def test_every_number_of_a_comparison_traces_to_the_two_runs(planted, tmp_path):
    client = planted.client
    mine, theirs = planted.runs[PLANTED_RUN], planted.runs["intake-urgency-ci"]
    with champion(client, "1"):
        card = build_card(mine, lang="en", client=client)
    audits = [r.info.run_id for rid in (mine, theirs) for r in _audit_runs(client, rid)]
    logged = _logged_numbers(client, [mine, theirs, *audits], tmp_path)
    assert _assert_traced(card, logged) > 1500
    comp = _section(card, "comparison")
    assert len(comp["data"]["deltas"]) == 5 and comp["data"]["fairness"]["available"]


# ----------------------------------------------------------------------------- privacy


def test_a_planted_notice_never_reaches_a_report(planted, tmp_path):
    """Markers planted in three notices of the data fed to a run (ids, region codes, a
    receipt time) are in the data, and in no report file nor logged card of that run."""
    from triage.synth.output import read_dataset

    notices, _, _ = read_dataset(planted.work / "planted-data")
    ids = notices["notice_id"][notices["notice_id"].str.startswith(MARKERS["notice_id"])]
    assert len(ids) == 3
    assert (notices["region_code"] == MARKERS["region_code"]).sum() == 3
    assert notices["received_at"].min().microsecond == int(MARKERS["received_at"])

    client, run_id = planted.client, planted.runs[PLANTED_RUN]
    files = list((planted.work / "reports" / PLANTED_RUN).iterdir())  # kept by `triage run`
    assert sorted(p.name for p in files) == sorted(FILES)
    local = Path(client.download_artifacts(run_id, "report", str(tmp_path / "logged")))
    files += list(local.iterdir())
    with champion(client, "1"):  # the fullest card: comparison and fairness deltas too
        for lang in ("ja", "en"):
            card = build_card(run_id, lang=lang, client=client)
            files += write_card(card, tmp_path / lang)
    (audit,) = _audit_runs(client, run_id)  # the aggregates the card's fairness section reads
    audit_dir = Path(client.download_artifacts(audit.info.run_id, "audit", str(tmp_path / "a")))
    files += [f for f in audit_dir.rglob("*") if f.suffix in (".csv", ".json")]
    assert len(files) >= 3 + 3 + 6 + 10
    for f in files:
        text = f.read_text("utf-8")
        for field, marker in MARKERS.items():
            assert marker not in text, f"{f.name} shows the planted {field}"
        assert not NOTICE_ID.search(text), f.name


def test_audit_metric_labels_have_one_english_source():
    from triage.audit.groups import METRIC_LABELS
    from triage.report._text import AUDIT_METRICS

    assert {k: en for k, (en, _) in AUDIT_METRICS.items()} == METRIC_LABELS


def test_triage_run_keeps_the_card_under_reports_and_logs_the_same_card(planted, tmp_path):
    client, run_id = planted.client, planted.runs[PLANTED_RUN]
    kept = planted.work / "reports" / PLANTED_RUN
    assert sorted(p.name for p in kept.iterdir()) == sorted(FILES)
    card = json.loads((kept / "model_card.json").read_text("utf-8"))
    jsonschema.validate(card, card_schema())
    assert card["run"]["run_id"] == run_id and card["lang"] == "ja"
    logged = Path(client.download_artifacts(run_id, "report", str(tmp_path)))
    for name in FILES:
        assert (logged / name).read_bytes() == (kept / name).read_bytes(), name
