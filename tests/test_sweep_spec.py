"""The sweep file and its cells: every cell validated before any runs, each problem one line
naming the file, the key path and the value, in well under a second; ids and digests stable."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from triage.sweep.cells import Sweep, plan_sweep
from triage.sweep.overrides import OverrideError, with_overrides
from triage.sweep.progress import SweepProgress
from triage.sweep.spec import SweepError

TRIAGE = str(Path(sys.executable).with_name("triage"))
HEAD = "name: s\nquestion: Does it?\nbase: ci\n"


def _plan(tmp_path: Path, body: str, head: str = HEAD) -> Sweep:
    path = tmp_path / "sweep.yaml"
    path.write_text(head + body, "utf-8")
    return plan_sweep(path)


def _refusal(tmp_path: Path, body: str, head: str = HEAD) -> str:
    """The one-line message a bad sweep file is refused with, checked to come fast."""
    start = time.perf_counter()
    with pytest.raises(SweepError) as caught:
        _plan(tmp_path, body, head)
    assert time.perf_counter() - start < 1.0
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(tmp_path / "sweep.yaml") + ": ")
    return message


def test_an_unknown_key_path_is_named_with_its_value(tmp_path):
    message = _refusal(tmp_path, "grid:\n  data.synthetic.nn: [6000]\n")
    assert "grid.data.synthetic.nn = 6000" in message
    assert "data.synthetic.nn: unknown key" in message


def test_a_value_of_the_wrong_type_is_named(tmp_path):
    message = _refusal(tmp_path, "grid:\n  data.synthetic.n: [6000, lots]\n")
    assert "grid.data.synthetic.n = 'lots'" in message
    assert "valid integer" in message


def test_zipped_lists_of_different_lengths_are_refused(tmp_path):
    body = "zip:\n  data.synthetic.n: [6000, 7000]\n  evaluation.n_boot: [20]\n"
    message = _refusal(tmp_path, body)
    assert "zip: expected lists of equal length" in message
    assert "data.synthetic.n has 2, evaluation.n_boot has 1" in message


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("grid: {}\n", "grid: expected at least one config key path"),
        ("seeds: [1]\n", "grid: expected at least one config key path"),
        ("grid:\n  data.synthetic.n: []\n", "grid.data.synthetic.n: expected a non-empty list"),
    ],
)
def test_an_empty_grid_is_refused_naming_it(tmp_path, body, named):
    assert named in _refusal(tmp_path, body)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("grid:\n  seed: [1, 2]\n", "grid.seed: seed cannot be varied (set seeds"),
        ("grid:\n  mlflow.experiment: [a]\n", "grid.mlflow.experiment: mlflow cannot be varied"),
        ("grid:\n  seed.x: [1]\n", "grid.seed.x: seed cannot be varied"),
        ("grid:\n  data.synthetic.n: [6000]\nseeds: [1, 1]\n", "seeds: seed 1 is given twice"),
        ("grid:\n  data.synthetic.n: [6000]\nseeds: [one]\n", "seeds.0: Input should be"),
        ("grid:\n  data.synthetic.n: [6000]\nzip:\n  data.synthetic.n: [1]\n", "already varied"),
        ("grid:\n  data..n: [6000]\n", "grid.data..n: expected a dotted config key path"),
        ("grid:\n  split.gap_days.x: [1]\n", "split.gap_days is a value (90), not a section"),
        ("grid:\n  data.synthetic.n: [6000]\ncolour: red\n", "colour: unknown key"),
    ],
)
def test_keys_a_sweep_cannot_vary_and_malformed_lists_are_refused(tmp_path, body, named):
    assert named in _refusal(tmp_path, body)


def test_settings_that_clash_only_together_name_the_cell(tmp_path):
    body = (
        "grid:\n  tiers.cut_points.immediate: [0.3, 0.5]\n"
        "  tiers.cut_points.urgent: [0.35]\nseeds: [3]\n"
    )
    message = _refusal(tmp_path, body)
    assert "cell c001-s3 (tiers.cut_points.immediate = 0.3, tiers.cut_points.urgent = 0.35)" in message
    assert "immediate must be above urgent" in message


def test_a_base_that_is_not_a_config_is_named(tmp_path):
    head = "name: s\nquestion: Does it?\nbase: nowhere\n"
    message = _refusal(tmp_path, "grid:\n  data.synthetic.n: [6000]\n", head)
    assert "base: config nowhere: no such file, and not a packaged config" in message


def test_a_name_that_is_not_one_folder_name_is_refused(tmp_path):
    head = "name: ../up\nquestion: Does it?\nbase: ci\n"
    assert "name: expected letters and digits" in _refusal(tmp_path, "grid: {a: [1]}\n", head)


def test_cells_are_every_combination_times_the_seeds_with_stable_ids_and_digests(tmp_path):
    body = (
        "grid:\n  data.synthetic.n: [6000, 7000]\n"
        "zip:\n  evaluation.n_boot: [20, 30]\n  evaluation.level: [0.9, 0.95]\n"
        "seeds: [1, 2]\n"
    )
    sweep = _plan(tmp_path, body)
    assert [c.id for c in sweep.cells] == [
        f"c00{i}-s{s}" for i in (1, 2, 3, 4) for s in (1, 2)
    ]
    third = sweep.cells[4]
    assert third.overrides == {
        "data.synthetic.n": 7000, "evaluation.n_boot": 20, "evaluation.level": 0.9
    }  # fmt: skip
    assert (third.seed, third.config.seed, third.config.data.synthetic.n) == (1, 1, 7000)
    assert third.config.evaluation.n_boot == 20
    assert len({c.digest for c in sweep.cells}) == len(sweep.cells)
    again = _plan(tmp_path, body)
    assert [c.digest for c in again.cells] == [c.digest for c in sweep.cells]
    assert again.digest == sweep.digest
    assert sweep.experiment == "intake-urgency-ci"


def test_without_seeds_each_cell_keeps_the_base_configs_seed(tmp_path):
    sweep = _plan(tmp_path, "grid:\n  data.synthetic.n: [6000]\n")
    assert [(c.id, c.seed) for c in sweep.cells] == [("c001-s7", 7)]  # configs/ci.yaml: seed 7


def test_two_cells_with_the_same_config_are_refused(tmp_path):
    body = "zip:\n  data.synthetic.n: [6000, 6000]\n  evaluation.n_boot: [20, 20]\n"
    assert "cells c001-s7 and c002-s7 make the same config" in _refusal(tmp_path, body)


def test_an_override_sets_a_deep_key_on_a_copy():
    raw = {"data": {"synthetic": {"n": 1}}, "seed": 3}
    changed = with_overrides(raw, {"data.synthetic.n": 2, "evaluation.n_boot": 20})
    assert changed == {"data": {"synthetic": {"n": 2}}, "seed": 3, "evaluation": {"n_boot": 20}}
    assert raw == {"data": {"synthetic": {"n": 1}}, "seed": 3}
    with pytest.raises(OverrideError, match=r"^seed\.x: seed is a value \(3\), not a section"):
        with_overrides(raw, {"seed.x": 1})


def test_check_says_valid_and_a_bad_file_is_one_error_line_exit_2(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(HEAD + "grid:\n  data.synthetic.n: [6000, 7000]\nseeds: [1, 2, 3]\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(HEAD + "grid:\n  data.synthetic.nn: [6000]\n")
    ok = subprocess.run([TRIAGE, "sweep", str(good), "--check"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "valid; 6 cells (2 settings × 3 seeds)" in ok.stdout
    refused = subprocess.run([TRIAGE, "sweep", str(bad), "--check"], capture_output=True, text=True)
    assert refused.returncode == 2
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith("error: ") and "data.synthetic.nn: unknown key" in line
    assert not (tmp_path / "mlflow.db").exists()


def test_time_left_counts_the_waves_of_cells_still_to_run():
    progress = SweepProgress(total=10, skipped=2, slots=2)
    assert progress.seconds_left() is None  # nothing ended yet: unknown
    assert (progress.running, progress.remaining) == (2, 8)
    progress.record(failed=False, seconds=10.0)
    progress.record(failed=True, seconds=30.0)
    assert (progress.finished, progress.failed, progress.remaining) == (1, 1, 6)
    left = progress.seconds_left()
    assert left is not None and 59.0 < left <= 60.0  # 3 waves of 2 at the mean of 20 s
    for _ in range(6):
        progress.record(failed=False, seconds=1.0)
    assert (progress.running, progress.seconds_left()) == (0, 0.0)


def test_an_audited_sweep_carries_its_audit_config_and_its_cells_other_digests(tmp_path):
    body = "grid:\n  data.synthetic.n: [6000]\n"
    plain = _plan(tmp_path, body)
    audited = _plan(tmp_path, body + "audit: {n_boot: 50}\n")
    assert plain.audit is None and audited.audit is not None
    assert audited.audit["n_boot"] == 50 and audited.audit["min_n"] == 30  # the rest: default
    # --resume must not take a cell run without its audit for the audited sweep's cell
    assert audited.cells[0].digest != plain.cells[0].digest and audited.digest != plain.digest
    assert _plan(tmp_path, body + "audit: true\n").audit["n_boot"] == 1000


@pytest.mark.parametrize(
    ("audit", "named"),
    [("{n_boot: -1}", "audit.n_boot"), ("{bands: 1}", "audit.bands"), ("'yes'", "audit")],
)
def test_a_bad_audit_setting_is_named(tmp_path, audit, named):
    message = _refusal(tmp_path, f"grid:\n  data.synthetic.n: [6000]\naudit: {audit}\n")
    assert f": {named}" in message, message
