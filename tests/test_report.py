"""Model cards built from one real CI run: files, schema, self-containment, numbers, privacy."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from triage.report import (
    FILES,
    build_card,
    card_schema,
    log_card,
    report_command,
    write_card,
)

REPO = Path(__file__).resolve().parents[1]
CI_CONFIG = REPO / "configs" / "ci.yaml"
TRIAGE = str(Path(sys.executable).with_name("triage"))
NOTICE_ID = re.compile(r"SYN\d{4}-\d{7}")
EXTERNAL_REF = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """``triage run configs/ci.yaml`` in an empty folder; returns (client, uri, run_id, work)."""
    from mlflow import MlflowClient

    work = tmp_path_factory.mktemp("report")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    proc = subprocess.run(
        [TRIAGE, "run", str(CI_CONFIG), "--quiet"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    uri = f"sqlite:///{work / 'mlruns' / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    exp = client.get_experiment_by_name("intake-urgency-ci")
    (run,) = client.search_runs([exp.experiment_id])
    return client, uri, run.info.run_id, work


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
    client.log_param(rid, "mlflow.registered_model", "intake-urgency")
    for key, value in {
        "true.scorecard.auc": 0.71,
        "true.scorecard.auc_low": 0.69,
        "true.scorecard.auc_high": 0.73,
        "true.scorecard.brier": 0.09,
    }.items():
        client.log_metric(rid, key, value)
    client.set_terminated(rid)
    return rid


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


def test_sections_say_plainly_what_the_run_does_not_have(cards):
    card = cards["en"][0]
    fairness = _section(card, "fairness")
    assert not fairness["available"]
    assert "No fairness audit was logged for this run" in fairness["notes"][0]
    comparison = _section(card, "comparison")
    assert "no current champion" in comparison["notes"][0]
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


def test_comparison_with_the_champion_gives_metric_deltas(store, bare_run):
    client, _, run_id, _ = store
    client.set_registered_model_alias("intake-urgency", "champion", "1")
    try:
        card = build_card(bare_run, lang="en", client=client)
        self_card = build_card(run_id, lang="en", client=client)
    finally:
        client.delete_registered_model_alias("intake-urgency", "champion")
    comp = _section(card, "comparison")
    assert comp["available"]
    assert comp["data"]["champion_run_id"] == run_id
    champion_auc = client.get_run(run_id).data.metrics["true.lightgbm.auc"]
    (auc,) = [d for d in comp["data"]["deltas"] if d["metric"] == "auc"]
    assert auc["champion"] == champion_auc
    assert auc["delta"] == pytest.approx(0.71 - champion_auc)
    assert "current champion" in _section(self_card, "comparison")["notes"][0]


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
