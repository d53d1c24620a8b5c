"""The sweeps shipped in configs/sweeps/: each states its question, every cell validates in
under a second, each has a small sibling in configs/sweeps/small/ that the suite runs
(cell after cell in this process, real pipeline runs in a temporary store) and summarises."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from sweep_in_process import run_in_process, store_in
from triage.sweep.cells import plan_sweep
from triage.sweep.report import SUMMARY_JSON
from triage.sweep.summary import summarize_sweep

REPO = Path(__file__).resolve().parents[1]
SWEEPS = REPO / "configs" / "sweeps"
SHIPPED = ("learning_curve", "label_bias", "missingness", "dv_capacity")
ALL_FILES = [SWEEPS / f"{n}.yaml" for n in SHIPPED] + [SWEEPS / "small" / f"{n}.yaml" for n in SHIPPED]


def test_the_four_sweeps_and_their_small_versions_are_shipped():
    assert {p.stem for p in SWEEPS.glob("*.yaml")} == set(SHIPPED)
    assert {p.stem for p in (SWEEPS / "small").glob("*.yaml")} == set(SHIPPED)


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_cell_of_a_shipped_sweep_validates_in_under_a_second(path):
    plan_sweep(SWEEPS / "small" / "label_bias.yaml")  # imports paid once, not by the timing
    started = time.perf_counter()
    sweep = plan_sweep(path)
    assert time.perf_counter() - started < 1.0
    assert sweep.cells and sweep.file.question.strip()
    assert path.read_text("utf-8").startswith("# ")  # the question, said in the header


@pytest.mark.parametrize("name", SHIPPED)
def test_a_full_sweep_asks_its_question_with_three_seeds_and_its_small_one_the_same_key(name):
    full = yaml.safe_load((SWEEPS / f"{name}.yaml").read_text("utf-8"))
    small = yaml.safe_load((SWEEPS / "small" / f"{name}.yaml").read_text("utf-8"))
    assert full["seeds"] == [1, 2, 3] and (SWEEPS / f"{name}.yaml").read_text().startswith(
        "# Question:"
    )
    swept = next(iter(full.get("zip") or full["grid"]))
    small_values = small.get("zip", {}).get(swept) or small["grid"].get(swept, [])
    assert len(small_values) >= 2, swept


def test_the_learning_curve_spans_10k_to_1m_notices_with_the_staff_scaled_alike():
    sizes = yaml.safe_load((SWEEPS / "learning_curve.yaml").read_text("utf-8"))["zip"]
    n, workers = sizes["data.synthetic.n"], sizes["tiers.capacity.workers"]
    assert min(n) == 10_000 and max(n) == 1_000_000
    base = yaml.safe_load((REPO / "configs" / "intake_urgency.yaml").read_text("utf-8"))
    share = base["tiers"]["capacity"]["workers"] / base["data"]["synthetic"]["n"]
    assert [w / size for w, size in zip(workers, n, strict=True)] == pytest.approx([share] * 5)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with store_in(tmp_path_factory.mktemp("shipped-sweeps")) as made:
        yield made


def _run_small(name: str, store) -> dict:
    from mlflow import MlflowClient

    folder, uri = store
    sweep = plan_sweep(SWEEPS / "small" / f"{name}.yaml")
    parent_id, outcomes = run_in_process(sweep, uri, folder / "reports")
    assert [o.error for o in outcomes if o.failed] == []
    page = summarize_sweep(MlflowClient(uri), parent_id, folder / "reports")
    assert page.is_file() and (page.parent / "figure_1.ja.png").is_file()
    summary: dict = json.loads((page.parent / SUMMARY_JSON).read_text("utf-8"))
    return summary


@pytest.mark.slow  # two real pipeline runs
def test_the_small_label_bias_sweep_compares_recorded_and_true_figures(store):
    from mlflow import MlflowClient

    from triage.audit.runs import OF_RUN_TAG
    from triage.sweep import tags

    summary = _run_small("label_bias", store)
    assert summary["keys"] == ["data.synthetic.welfare_recording_bias"]
    client = MlflowClient(store[1])
    for cell in summary["cells"]:
        for outcome in ("true", "recorded"):
            assert f"{outcome}.lightgbm.recall_at_k_worst" in cell["metrics"]
        # each cell audited as `triage audit --run` does: its flags against both outcomes and
        # of the labels, in all and for the welfare households, and an audit run naming it
        for part in ("recorded", "true", "labels"):
            assert f"audit.{part}.flags" in cell["audit"], sorted(cell["audit"])
            assert f"audit.{part}.flags.welfare_receipt" in cell["audit"]
        (run,) = cell["runs"]
        audit_id = client.get_run(run["run_id"]).data.tags[tags.AUDIT_RUN]
        assert client.get_run(audit_id).data.tags[OF_RUN_TAG] == run["run_id"]
    report = (store[0] / "reports" / "label-bias-small" / "sweep_report.en.md").read_text("utf-8")
    assert "Flags of the recorded labels themselves" in report and "welfare_receipt" in report


@pytest.mark.slow  # two real pipeline runs
def test_the_small_missingness_sweep_runs_and_is_summarised(store):
    summary = _run_small("missingness", store)
    assert [c["overrides"]["data.synthetic.missingness_scale"] for c in summary["cells"]] == [
        0.5,
        2.0,
    ]
    assert all("true.lightgbm.auc_ratio" in c["metrics"] for c in summary["cells"])


@pytest.mark.slow  # two real pipeline runs
def test_the_small_dv_capacity_sweep_routes_less_harm_away_with_more_capacity(store):
    summary = _run_small("dv_capacity", store)
    assert summary["pipeline"] == "dv_witness_sorting"
    low, high = (c["metrics"]["true.oracle.under_routing"]["mean"] for c in summary["cells"])
    assert high <= low
    assert all("true.lightgbm.over_routing" in c["metrics"] for c in summary["cells"])
