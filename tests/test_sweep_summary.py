"""The sweep summary (``triage.sweep.summarize_sweep``): per cell the headline metrics with a
t-interval across seeds, failed cells with their error, a figure per swept key, a
self-contained report in ja and en, kept under reports/<sweep>/ and logged on the parent.

The runs are real: the small learning curve's cells run through the pipeline into child runs
of a real parent in a SQLite store in a temporary folder (cell after cell in this process).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from scipy import stats

from sweep_in_process import rerun_cell, run_in_process, store_in
from triage.sweep.figures import KeyPoints
from triage.sweep.report import SUMMARY_JSON, report_html, report_markdown
from triage.sweep.seed_interval import seed_interval
from triage.sweep.summary import report_folder_name, summarize_sweep
from triage.sweep.sweep_runs import SweepNotFound

REPO = Path(__file__).resolve().parents[1]
SMALL_CURVE = REPO / "configs" / "sweeps" / "small" / "learning_curve.yaml"


def test_the_interval_across_seeds_is_a_t_interval_and_one_seed_has_none():
    values = [0.80, 0.84, 0.83]
    got = seed_interval(values)
    low, high = stats.t.interval(0.95, 2, loc=sum(values) / 3, scale=stats.sem(values))
    assert got is not None and got.n == 3
    assert (got.low, got.high) == (pytest.approx(low), pytest.approx(high))
    alone = seed_interval([0.8, float("nan")])
    assert alone is not None and (alone.n, alone.low, alone.high) == (1, None, None)
    assert alone.text() == "0.800 n=1"
    assert seed_interval([]) is None


def test_the_x_axis_is_logarithmic_from_two_decades():
    assert KeyPoints("data.synthetic.n", [10_000, 100_000, 1_000_000], [[]] * 3).logarithmic
    assert not KeyPoints("data.synthetic.n", [4000, 8000], [[]] * 2).logarithmic
    assert not KeyPoints("missingness_scale", [0.5, 2.0], [[]] * 2).logarithmic
    assert not KeyPoints("calibration.method", ["isotonic", "sigmoid"], [[]] * 2).numeric


def test_a_sweep_name_never_leaves_the_reports_folder():
    assert report_folder_name("learning-curve") == "learning-curve"
    assert "/" not in report_folder_name("../../etc") and report_folder_name("..") == "sweep"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with store_in(tmp_path_factory.mktemp("sweep-store")) as made:
        yield made


def test_a_run_that_is_no_sweep_is_named_in_one_line(store):
    from mlflow import MlflowClient

    folder, uri = store
    client = MlflowClient(uri)
    run_id = client.create_run(client.create_experiment("not-a-sweep")).info.run_id
    with pytest.raises(SweepNotFound) as caught:
        summarize_sweep(client, run_id, folder / "reports")
    assert "\n" not in str(caught.value) and "parent_run_id" in str(caught.value)


@pytest.fixture(scope="module")
def summarized(store):
    """The small learning curve (2 sizes × 2 seeds) with one more cell made to fail, then
    rerun as --resume would: its failed run stays, its finished rerun stands for it."""
    from mlflow import MlflowClient

    from triage.sweep.cells import plan_sweep

    folder, uri = store
    reports = folder / "reports"
    sweep = plan_sweep(SMALL_CURVE)
    broken = {"c002-s2": {"data": {"source": "folder", "folder": str(folder / "no-such")}}}
    parent_id, outcomes = run_in_process(sweep, uri, reports, broken=broken)
    client = MlflowClient(uri)
    before = summarize_sweep(client, parent_id, reports)
    failed_json = json.loads((before.parent / SUMMARY_JSON).read_text("utf-8"))
    rerun_cell(sweep, "c002-s2", uri, parent_id, reports)
    page = summarize_sweep(client, parent_id, reports)
    return client, parent_id, page, outcomes, failed_json


@pytest.mark.slow  # five real pipeline runs (~3 s each) and two summaries
def test_the_summary_gives_each_cell_its_seeds_mean_and_interval(summarized):
    client, parent_id, page, outcomes, _ = summarized
    assert [o.status for o in outcomes].count("FAILED") == 1
    summary = json.loads((page.parent / SUMMARY_JSON).read_text("utf-8"))
    # the keys with two values: the notices and the staff zipped with them
    assert summary["keys"] == ["data.synthetic.n", "tiers.capacity.workers"]
    assert summary["fixed"] == {"evaluation.n_boot": 20, "explanations.enabled": False}
    assert [c["overrides"]["data.synthetic.n"] for c in summary["cells"]] == [4000, 8000]
    for cell in summary["cells"]:
        assert (cell["finished"], cell["failed"]) == (2, 0)  # the rerun stands for the failure
        for name in ("lightgbm", "checklist", "scorecard", "tree"):
            ratio = cell["metrics"][f"true.{name}.auc_ratio"]
            assert ratio["n"] == 2 and ratio["low"] < ratio["mean"] < ratio["high"]
        for name in ("lightgbm", "oracle"):
            recall = cell["metrics"][f"true.{name}.recall_at_k_worst"]
            assert recall["n"] == 2 and 0 <= recall["mean"] <= 1
        assert "recorded.lightgbm.recall_at_k_worst" in cell["metrics"]
    assert summary["question"].startswith("How many notices")


@pytest.mark.slow
def test_a_failed_cell_is_counted_and_listed_with_its_error(summarized):
    *_, failed_json = summarized
    cell = failed_json["cells"][1]
    assert (cell["finished"], cell["failed"]) == (1, 1)
    failed = [r for r in cell["runs"] if r["status"] == "FAILED"]
    assert failed[0]["cell"] == "c002-s2" and "no-such" in failed[0]["error"]
    assert "\n" not in failed[0]["error"]
    assert cell["metrics"]["true.lightgbm.auc_ratio"]["n"] == 1  # the failed seed not averaged


@pytest.mark.slow
def test_the_report_is_self_contained_in_both_languages_and_logged_on_the_parent(summarized):
    client, parent_id, page, *_ = summarized
    folder = page.parent
    assert folder.name == "learning-curve-small" and page.name == report_html("ja")
    for lang in ("ja", "en"):
        html = (folder / report_html(lang)).read_text("utf-8")
        assert "How many notices must a centre hold" in html  # the question heads it
        assert html.count('src="data:image/png;base64,') == 2  # a figure per swept key
        assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing fetched
        assert "true.lightgbm" not in html and "lightgbm" in html
        markdown = (folder / report_markdown(lang)).read_text("utf-8")
        assert f"figure_1.{lang}.png" in markdown and (folder / f"figure_1.{lang}.png").is_file()
    assert "AUC／オラクル比" in (folder / report_html("ja")).read_text("utf-8")
    logged = {a.path for a in client.list_artifacts(parent_id, "report")}
    assert {f"report/{report_html(lang)}" for lang in ("ja", "en")} <= logged
    assert f"report/{SUMMARY_JSON}" in logged
