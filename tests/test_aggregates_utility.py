"""The aggregates-utility experiment at a small size: rows and one sdc level, tracked in a real
MLflow store in a temporary folder, with its table, figure and card."""

from __future__ import annotations

import mlflow
import pytest

from triage.pipelines.aggregates_utility import levels_of, run_utility
from triage.pipelines.utility_config import UtilityConfig, UtilityConfigError, load_utility_config


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.chdir(tmp_path)
    return tmp_path


SMALL_SPEC = """\
release_spec_version: 1
fields: [received_month, route, notice_kind, main_type, alleged_neglect, child_age_years,
         child_sex, injury, injury_head_face, household_type, prior_notices,
         child_requests_protection, weapon_used]
bins:
  child_age_years: [0, 3, 6, 9, 12, 15]
  prior_notices: [0, 1, 2, 3, 6]
tables:
  extra:
    - [child_age_years, injury, recorded_harm_90d]
"""


def _config(tmp_path=None, **levels) -> UtilityConfig:
    spec = None
    if tmp_path is not None:
        spec = tmp_path / "release.yaml"
        spec.write_text(SMALL_SPEC, "utf-8")
    return UtilityConfig.model_validate(
        {
            "release_spec": None if spec is None else str(spec),
            "fit_iterations": 300,
            "utility_version": 1,
            "name": "utility-test",
            "seed": 4,
            "base": "configs/ci.yaml",
            "records": {"n": 24_000, "fiscal_year": 2023},
            "synthesize_n": 12_000,
            "levels": {"rows": True, "sdc_k": [10], "dp_epsilon": [], **levels},
            "candidates": ["scorecard"],
            "experiment": "utility-test",
        }
    )


@pytest.mark.slow
def test_the_experiment_compares_rows_and_a_release_against_the_truth(store):
    cfg = _config(store)
    result = run_utility(cfg, reports=store / "reports")
    table = result.table
    assert list(table["level"]) == ["rows", "sdc k=10"]
    for _, row in table.iterrows():
        assert 0.5 < row["auc_ratio"] <= 1.05
        assert row["auc_ratio_low"] <= row["auc_ratio"] <= row["auc_ratio_high"]
        assert 0 <= row["under_triage"] <= 1
    # protection costs something, and never more than the data hold
    rows, sdc = table.set_index("level")["auc_ratio"][["rows", "sdc k=10"]]
    assert sdc <= rows + 0.02
    run = mlflow.get_run(result.run_id)
    assert "rows.scorecard.auc_ratio" in run.data.metrics
    assert "sdc_k_10.scorecard.auc_ratio" in run.data.metrics
    logged = {f.path for f in mlflow.MlflowClient().list_artifacts(result.run_id, "utility")}
    assert {"utility/utility.csv", "utility/utility.png", "utility/utility_card.ja.html"} <= logged
    card = (store / "reports" / "utility-test" / "utility_card.en.html").read_text("utf-8")
    assert "sdc k=10" in card and "data:image/png;base64," in card


def test_levels_are_the_rows_then_sdc_then_dp():
    cfg = _config(dp_epsilon=[0.5, 2])
    assert [lv.name for lv in levels_of(cfg)] == ["rows", "sdc k=10", "dp ε=0.5", "dp ε=2"]


def test_a_config_with_an_unknown_key_names_its_path(tmp_path):
    path = tmp_path / "u.yaml"
    path.write_text("utility_version: 1\nlevels: {sdc_kk: [5]}\n", "utf-8")
    with pytest.raises(UtilityConfigError, match=r"levels\.sdc_kk"):
        load_utility_config(path)
