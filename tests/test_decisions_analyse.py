"""`triage decisions analyse` and the reviewers' page: what people decided against what was suggested.

One store for the module: the sample's last 600 notices scored by the model the
web tests train (real registry, real SQLite), decided by ``decision_simulator``
with a known habit: welfare-receiving families overridden upward twice as often
as others. The analysis must find that habit, the gap it widened, and suppress
the groups under the audit's minimum cell size.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from decision_simulator import REASON, decide_with_pattern
from test_web import AS_OF, REPO, SAMPLE, add_worker, login, open_web_state, trained_registry
from triage.cli import app as cli
from triage.decisions import DB_NAME, amend_notice, connect

pytestmark = pytest.mark.slow

AUDIT_CONFIG = REPO / "configs" / "audit.yaml"
N_NOTICES = 600
FACTOR = 2.0


@pytest.fixture(scope="module")
def decided(tmp_path_factory):
    """The store, its app state and what the simulator did."""
    registry = trained_registry(tmp_path_factory)
    root = tmp_path_factory.mktemp("analyse")
    notices = root / "notices.jsonl"
    lines = SAMPLE.read_text("utf-8").splitlines(True)[-N_NOTICES:]
    notices.write_text("".join(lines), "utf-8")
    store = root / "store"
    add_worker(store, "worker1")
    state = open_web_state(
        registry, store, routing_model=None, load_sample=False, notices=notices, as_of=AS_OF
    )
    conn = connect(store)
    try:
        simulated = decide_with_pattern(conn, rate=0.3, factor=FACTOR, hours=6.0)
    finally:
        conn.close()
    return store, state, simulated


def _analyse(*args: str):
    return CliRunner().invoke(cli, ["decisions", "analyse", "--config", str(AUDIT_CONFIG), *args])


@pytest.fixture(scope="module")
def report(decided, tmp_path_factory):
    out = tmp_path_factory.mktemp("review")
    result = _analyse("--store", str(decided[0]), "--out", str(out), "--lang", "en")
    assert result.exit_code == 0, result.output
    return out, result, json.loads((out / "decisions.json").read_text("utf-8"))


def _group(rows, feature, group):
    return next(r for r in rows if r["feature"] == feature and r["group"] == group)


def test_analyse_recovers_the_override_pattern_with_intervals(decided, report):
    simulated = decided[2]
    results = report[2]["results"]
    up = results["groups"]["up"]
    welfare = _group(up, "welfare_receipt", "yes")
    assert welfare["reference"] == "no" and welfare["status"] == "flag"
    assert welfare["k"] == simulated.overridden_up[True] == round(0.6 * welfare["n"])
    assert welfare["ratio_low"] <= FACTOR <= welfare["ratio_high"]
    assert welfare["ratio_low"] > 1.0
    # a fact the habit does not depend on shows no such ratio
    for row in up:
        if row["feature"] == "child_disability" and not row["suppressed"]:
            assert row["status"] in ("pass", "reference"), row
    assert results["direction"]["down"]["k"] == 0
    assert results["timing"]["overall"]["median"] == pytest.approx(simulated.hours)


def test_analyse_flags_the_widened_gap_between_groups(report):
    gaps = {g["feature"]: g for g in report[2]["results"]["gaps"]["gaps"]}
    welfare = gaps["welfare_receipt"]
    assert welfare["difference"]["verdict"] == "widened"
    assert welfare["difference"]["change"]["low"] > 0
    assert welfare["difference"]["decided"] > welfare["difference"]["suggested"]
    shares = _group(report[2]["results"]["gaps"]["shares"], "welfare_receipt", "yes")
    assert shares["decided"]["rate"] > shares["suggested"]["rate"]
    assert "widened" in (report[0] / "decisions.md").read_text("utf-8")


def test_a_group_under_the_minimum_cell_size_is_suppressed_without_numbers(report):
    out, _, document = report
    results = document["results"]
    min_n = results["settings"]["min_n"]
    for rows in (*results["groups"].values(), results["gaps"]["shares"]):
        row = _group(rows, "child_sex", "unknown")  # 38 of the sample's 2,000
        assert row == {"feature": "child_sex", "group": "unknown", "suppressed": True}
    md = (out / "decisions.md").read_text("utf-8")
    suppressed = [line for line in md.splitlines() if line.startswith("| Child's sex | not known")]
    assert suppressed and all(f"fewer than {min_n}" in line for line in suppressed)
    assert all("/" not in line.split("|")[3] for line in suppressed)  # no k/n in the cell


def test_the_report_is_aggregates_only_in_three_files(decided, report):
    out, result, document = report
    assert [line.split()[-1] for line in result.stdout.splitlines()[:3]] == [
        str(out / name) for name in ("decisions.html", "decisions.md", "decisions.json")
    ]
    assert f"{decided[2].decided} decisions by 3 workers" in result.stdout.splitlines()[-1]
    assert document["results"]["workers"]["workers"] == 3
    ids = [json.loads(line)["notice_id"] for line in SAMPLE.read_text("utf-8").splitlines()[-3:]]
    for name in ("decisions.html", "decisions.md", "decisions.json"):
        text = (out / name).read_text("utf-8")
        for secret in ("worker1", "worker2", "worker3", REASON, *ids, "SYN20"):
            assert secret not in text, (name, secret)
    html = (out / "decisions.html").read_text("utf-8")
    assert "<script" not in html and "http" not in html.split("<body>")[1]


def test_the_report_is_japanese_by_default(decided, tmp_path):
    result = _analyse("--store", str(decided[0]), "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    md = (tmp_path / "decisions.md").read_text("utf-8")
    assert "集団間の格差" in md and "秘匿" in md and "Summary" not in md


def test_with_the_truth_overrides_are_counted_toward_or_away_from_the_true_tier(decided, tmp_path):
    truth = REPO / "synthetic" / "sample" / "truth.parquet"
    result = _analyse("--store", str(decided[0]), "--out", str(tmp_path), "--truth", str(truth))
    assert result.exit_code == 0, result.output
    moved = json.loads((tmp_path / "decisions.json").read_text("utf-8"))["results"]["truth"]
    overridden = decided[2].overridden_up
    assert moved["overrides"] == moved["with_truth"] == overridden[True] + overridden[False]
    assert sum(moved[k]["k"] for k in ("toward", "away", "neither")) == moved["with_truth"]
    # one tier up moves toward the truth exactly when the suggestion was below it
    import pandas as pd

    true_tier = pd.read_parquet(truth).set_index("notice_id")["true_tier"]
    conn = connect(decided[0])
    rows = conn.execute("SELECT notice_id, record FROM decisions").fetchall()
    conn.close()
    order = ("immediate", "urgent", "standard")
    expected = sum(
        1
        for r in rows
        if (rec := json.loads(r["record"]))["tier_overridden"]
        and order.index(str(true_tier[r["notice_id"]])) < order.index(rec["suggested_tier"])
    )
    assert moved["toward"]["k"] == expected


@pytest.mark.parametrize(
    "case, expected",
    [
        ("missing store", "error: no intake store at"),
        ("no decisions", "holds no decisions yet"),
        ("bad config", "error: --config: "),
        ("missing truth", "error: --truth: "),
    ],
)
def test_unusable_inputs_are_one_line_errors(tmp_path, case, expected):
    store, args = tmp_path / "store", []
    if case != "missing store":
        connect(store).close()
    if case == "bad config":
        bad = tmp_path / "audit.yaml"
        bad.write_text("min_n: -1\n", "utf-8")
        args = ["--config", str(bad)]
    if case == "missing truth":
        args = ["--truth", str(tmp_path / "nowhere.parquet")]
    result = CliRunner().invoke(
        cli, ["decisions", "analyse", "--store", str(store), "--out", str(tmp_path / "o"), *args]
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "o").exists()


def test_a_tampered_store_is_refused(decided, tmp_path):
    import sqlite3

    store = tmp_path / "store"
    shutil.copytree(decided[0], store)
    db = sqlite3.connect(store / DB_NAME)
    db.execute("DROP TRIGGER decisions_no_update")
    db.execute("UPDATE decisions SET record = record || ' ' WHERE decision_id = 2")
    db.commit()
    db.close()
    result = _analyse("--store", str(store), "--out", str(tmp_path / "o"))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: refusing to analyse: decision 2")


def test_groups_come_from_the_notice_version_decided_on(decided, tmp_path):
    from triage.decisions.review.notice_facts import notice_records

    store = tmp_path / "store"
    shutil.copytree(decided[0], store)
    conn = connect(store)
    try:
        notice_id = conn.execute("SELECT notice_id FROM notices LIMIT 1").fetchone()[0]
        first = notice_records(conn, [(notice_id, 1)])[(notice_id, 1)]
        changed = not first["welfare_receipt"]
        amend_notice(
            conn, notice_id, {"welfare_receipt": changed}, entered_by="worker1", source="page"
        )
        both = notice_records(conn, [(notice_id, 1), (notice_id, 2)])
    finally:
        conn.close()
    assert both[(notice_id, 1)] == first
    assert both[(notice_id, 2)]["welfare_receipt"] is changed


def test_weighted_kappa_on_resampled_tables_is_sklearns():
    from sklearn.metrics import cohen_kappa_score

    from triage.decisions.review.agreement import weighted_kappa

    rng = np.random.default_rng(3)
    for _ in range(5):
        a, b = rng.integers(0, 3, 200), rng.integers(0, 3, 200)
        b = np.where(rng.random(200) < 0.6, a, b)
        table = np.bincount(a * 3 + b, minlength=9).reshape(3, 3)
        expected = cohen_kappa_score(a, b, labels=[0, 1, 2], weights="linear")
        assert weighted_kappa(table) == pytest.approx(expected)


def test_the_reviewers_page_shows_the_report_in_the_sessions_language(decided):
    from triage.web.app import create_app

    app = create_app(state=decided[1])
    with TestClient(app, follow_redirects=False) as anon:
        r = anon.get("/review")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    with TestClient(app, follow_redirects=False) as client:
        client.headers["X-CSRF-Token"] = login(client)
        page = client.get("/review")
        assert page.status_code == 200
        assert "集団間の格差" in page.text and "秘匿" in page.text
        assert "worker2" not in page.text and REASON not in page.text
        assert "<script>" not in page.text
