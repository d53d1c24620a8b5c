"""``triage aggregates release|check|synthesize`` as a user runs them: the agency's side,
tampering and hostile inputs, and the researcher's side."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from triage.cli.app import app
from triage.contract.columns import RECORDED_HARM, RECORDED_TIER
from triage.synth import generate, load_spec

N = 12_000


@pytest.fixture(scope="module")
def agency(tmp_path_factory) -> Path:
    """A simulated agency: its notices and the outcomes it recorded (no simulator column)."""
    from triage.notices import write_notices

    folder = tmp_path_factory.mktemp("agency")
    sim = generate(load_spec(), n=N, seed=5)
    write_notices(sim.notices, folder / "notices.parquet")
    sim.truth[["notice_id", RECORDED_HARM, RECORDED_TIER]].to_parquet(folder / "outcomes.parquet")
    sim.truth.to_parquet(folder / "truth.parquet")
    return folder


def _triage(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def sdc_release(agency, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rel") / "k10"
    res = _triage(
        "aggregates", "release", "--notices", agency / "notices.parquet",
        "--outcomes", agency / "outcomes.parquet", "--method", "sdc", "--k", "10", "--out", out,
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "next: triage aggregates check" in res.output
    return out


def test_an_sdc_release_publishes_no_small_count_and_passes_its_check(sdc_release):
    manifest = json.loads((sdc_release / "manifest.json").read_text("utf-8"))
    assert manifest["method"] == "sdc" and manifest["parameters"] == {"k": 10}
    suppressed = 0
    for entry in manifest["tables"]:
        table = pd.read_csv(sdc_release / "tables" / f"{entry['name']}.csv", dtype=str)
        assert "notice_id" not in table.columns and "region_code" not in table.columns
        counts = pd.to_numeric(table["count"], errors="coerce")
        assert not counts.between(1, 9).any(), entry["name"]
        suppressed += int(counts.isna().sum())
    assert suppressed > 0  # at 12,000 notices some cells are small: the test would see a leak
    res = _triage("aggregates", "check", sdc_release)
    assert res.exit_code == 0, res.output
    for lang in ("ja", "en"):
        assert (
            (sdc_release / f"report.{lang}.html").read_text("utf-8").startswith("<!DOCTYPE html>")
        )


def test_a_table_edited_after_release_is_refused_naming_it(sdc_release, tmp_path):
    import shutil

    copy = tmp_path / "edited"
    shutil.copytree(sdc_release, copy)
    path = copy / "tables" / "route.csv"
    lines = path.read_text("utf-8").splitlines()
    head, *rows = lines
    cells = rows[0].split(",")
    cells[-1] = str(int(cells[-1] or 0) + 1)
    path.write_text("\n".join([head, ",".join(cells), *rows[1:]]) + "\n", "utf-8")
    res = _triage("aggregates", "check", copy)
    assert res.exit_code == 1
    assert "route" in res.output and "Traceback" not in res.output


def test_an_outcomes_file_with_simulator_columns_is_refused_naming_them(agency, tmp_path):
    res = _triage(
        "aggregates", "release", "--notices", agency / "notices.parquet",
        "--outcomes", agency / "truth.parquet", "--out", tmp_path / "r",
    )  # fmt: skip
    assert res.exit_code == 2
    out = " ".join(res.output.split())
    assert out.startswith("error:") and "p_harm" in out and "harm_90d" in out
    assert not (tmp_path / "r").exists()


def test_a_spec_naming_an_unknown_field_fails_fast_with_its_key_path(agency, tmp_path):
    spec = tmp_path / "release.yaml"
    spec.write_text(
        "release_spec_version: 1\ntables:\n  extra:\n    - [route, chld_age]\n", "utf-8"
    )
    start = time.perf_counter()
    res = _triage(
        "aggregates", "release", "--notices", agency / "notices.parquet",
        "--outcomes", agency / "outcomes.parquet", "--spec", spec, "--out", tmp_path / "r",
    )  # fmt: skip
    assert time.perf_counter() - start < 1.0
    assert res.exit_code == 2
    assert "tables.extra.0" in res.output and "chld_age" in res.output


def test_dp_without_a_budget_is_a_usage_error(agency, tmp_path):
    res = _triage(
        "aggregates", "release", "--notices", agency / "notices.parquet",
        "--outcomes", agency / "outcomes.parquet", "--method", "dp", "--out", tmp_path / "r",
    )  # fmt: skip
    assert res.exit_code == 2 and "--epsilon" in res.output


def test_check_on_a_folder_that_is_no_release_is_one_line(tmp_path):
    res = _triage("aggregates", "check", tmp_path)
    assert res.exit_code in (1, 2)
    assert res.output.startswith("error:") and len(res.output.strip().splitlines()) == 1


SMALL_SPEC = """\
release_spec_version: 1
fields: [received_month, route, notice_kind, main_type, child_age_years, child_sex, injury,
         household_type, prior_notices]
bins:
  child_age_years: [0, 3, 6, 9, 12, 15]
  prior_notices: [0, 1, 2, 3, 6]
"""


def test_notices_synthesized_from_a_release_validate_and_carry_recorded_outcomes(agency, tmp_path):
    from triage.notices import validate_notices

    spec = tmp_path / "small.yaml"
    spec.write_text(SMALL_SPEC, "utf-8")
    release = tmp_path / "release"
    res = _triage(
        "aggregates", "release", "--notices", agency / "notices.parquet",
        "--outcomes", agency / "outcomes.parquet", "--k", "5", "--spec", spec, "--out", release,
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    out = tmp_path / "synthesized"
    res = _triage("aggregates", "synthesize", release, "--n", "3000", "--seed", "2", "--out", out)
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json",
        "notices.parquet",
        "outcomes.parquet",
    ]  # fmt: skip  (no truth file: there is none)
    checked = validate_notices(out / "notices.parquet")
    assert checked.n_valid == 3000 and not checked.errors
    outcomes = pd.read_parquet(out / "outcomes.parquet")
    assert list(outcomes["notice_id"]) == list(checked.valid["notice_id"])
    assert (
        set(outcomes[RECORDED_HARM].unique()) <= {0, 1} and 0 < outcomes[RECORDED_HARM].mean() < 0.5
    )
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["release_method"] == "sdc" and manifest["release_parameters"] == {"k": 5}
