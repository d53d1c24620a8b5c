"""The synthetic generator: contract-valid notices, separate truth, calibration, determinism."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from triage.cli import app
from triage.contract import notice_fields
from triage.contract.threads import THREADS_ENV
from triage.synth import SpecError, generate, load_spec
from triage.synth.calibrate import (
    CONTEXT_DIMS,
    context_levels,
    fit_context_table,
    published_targets,
)
from triage.synth.check import (
    MIN_N,
    SHARE_ALLOWANCE_PP,
    SHARE_Z,
    auc_with_se,
    check_dataset,
    roc_auc,
    share_tolerance_pp,
)
from triage.synth.generate import TRUTH_COLUMNS

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data" / "published_aggregates.csv"


@pytest.fixture(scope="module")
def spec():
    return load_spec()


@pytest.fixture(scope="module")
def big(spec):
    return generate(spec, n=200_000, seed=1)


def test_published_aggregates_copy_matches_shared():
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data is not present")
    assert (
        REPO / "synthetic" / "published_aggregates.csv"
    ).read_bytes() == SHARED_DATA.read_bytes()


def test_fy2023_targets_are_the_published_figures(spec):
    t = published_targets(spec, 2023)
    assert t["notice_kind"].shares["dv_witness"] == pytest.approx(78914 / 225509)
    assert t["route"].shares["police"] == pytest.approx(116649 / 225509)
    assert t["main_type"].shares["psychological"] == pytest.approx(134948 / 225509, abs=1e-3)
    assert t["age_band"].fiscal_year == 2016  # the latest year that publishes age bands


def test_raking_matches_every_margin_and_keeps_structural_zeros(spec):
    targets = published_targets(spec)
    table = fit_context_table(spec, targets)
    levels = context_levels(spec)
    for axis, dim in enumerate(CONTEXT_DIMS):
        other = tuple(i for i in range(table.ndim) if i != axis)
        want = [targets[dim].shares[lv] for lv in levels[dim]]
        np.testing.assert_allclose(table.sum(axis=other), want, atol=1e-10)
    dv = levels["notice_kind"].index("dv_witness")
    police = levels["route"].index("police")
    assert table[dv, :, [r for r in range(len(levels["route"])) if r != police], :].sum() == 0


def test_generated_shares_within_one_point_of_fy2023(spec, big):
    report = check_dataset(big.notices, big.truth, spec, 2023)
    off = [(r.dimension, r.category, round(r.gap_pp, 2)) for r in report.shares if not r.ok]
    assert off == []
    assert report.ok
    assert max(abs(r.gap_pp) for r in report.shares) <= 1.0  # within one point, as named


def test_oracle_leaves_room_to_learn_and_no_more(spec, big):
    report = check_dataset(big.notices, big.truth, spec, 2023)
    assert 0.78 <= report.oracle_auc <= 0.90


def test_truth_is_a_separate_table_joined_by_notice_id(big):
    assert not set(TRUTH_COLUMNS[1:]) & set(big.notices.columns)
    assert list(big.notices.columns) == list(notice_fields().all)
    assert big.truth["notice_id"].equals(big.notices["notice_id"])
    assert big.notices["notice_id"].is_unique


def test_truth_columns_are_consistent(spec, big):
    truth, notices = big.truth, big.notices
    cuts = spec.outcome.tiers
    expected = np.where(
        truth.p_harm >= cuts["immediate"],
        "immediate",
        np.where(truth.p_harm >= cuts["urgent"], "urgent", "standard"),
    )
    assert (truth.true_tier.astype(str).to_numpy() == expected).all()
    is_dv = notices.notice_kind.eq("dv_witness").to_numpy()
    assert truth.true_dv_route[~is_dv].isna().all()
    to_cgc = truth.true_tier[is_dv].isin(["immediate", "urgent"]).to_numpy()
    assert (truth.true_dv_route[is_dv].eq("cgc").to_numpy() == to_cgc).all()
    # recorded labels differ from the truth, but not wildly
    agree = (truth.recorded_harm_90d == truth.harm_90d).mean()
    assert 0.9 < agree < 1.0


def test_recording_bias_follows_the_spec(big):
    """Families on welfare have harm recorded more often than others with the same true harm."""
    notices, truth = big.notices, big.truth
    welfare = notices.welfare_receipt.fillna(False).to_numpy(bool)
    harmed = truth.harm_90d.to_numpy(bool)
    recorded = truth.recorded_harm_90d.to_numpy(bool)
    assert recorded[harmed & welfare].mean() > recorded[harmed & ~welfare].mean() + 0.05
    assert recorded[~harmed & welfare].mean() > recorded[~harmed & ~welfare].mean()


def test_dv_witness_notices_are_police_psychological_and_only_they_carry_dv_fields(big):
    n = big.notices
    dv = n.notice_kind.eq("dv_witness").to_numpy()
    assert n.route[dv].eq("police").all()
    assert n.alleged_types[dv].map(lambda t: t[0] == "psychological").all()
    for f in notice_fields().dv_only:
        assert n[f][~dv].isna().all(), f
    assert n.dv_repeat_count[dv].notna().all()
    assert n.dv_in_home[dv].dropna().all()


def test_unknowns_are_null_never_false_and_depend_on_route(big):
    n = big.notices
    police = n.route.eq("police").to_numpy()
    nursery = n.route.eq("nursery").to_numpy()
    unknown = n.missed_health_checks.isna().to_numpy()
    assert unknown[police].mean() > unknown[nursery].mean() + 0.2
    general = [f for f in notice_fields().booleans if f not in notice_fields().dv_only]
    share = n[general].isna().to_numpy().mean()
    assert 0.05 < share < 0.4


def test_alleged_types_are_unique_with_main_type_first(big):
    types = big.notices.alleged_types
    assert types.map(lambda t: len(t) == len(set(t)) and len(t) >= 1).all()
    assert (types.map(len) > 1).mean() > 0.1  # co-occurring types exist


def test_received_at_spans_three_fiscal_years_with_weekday_pattern(big):
    r = big.notices.received_at
    assert r.min() >= pd.Timestamp("2021-04-01T00:00:00+09:00")
    assert r.max() < pd.Timestamp("2024-04-01T00:00:00+09:00")
    per_day = r.dt.day_of_week.value_counts(normalize=True)
    assert per_day[6] < per_day[0] * 0.7  # Sundays well below Mondays
    per_fy = (r.dt.year - (r.dt.month < 4)).value_counts().sort_index()
    assert list(per_fy.index) == [2021, 2022, 2023]
    assert per_fy.iloc[2] > per_fy.iloc[0]  # notices grow year on year


def test_safety_confirmation_mostly_within_48h_some_late_some_open(big):
    n = big.notices
    hours = (n.safety_confirmed_at - n.received_at).dt.total_seconds() / 3600
    assert (hours >= 0).all() or hours.dropna().ge(0).all()
    within = (hours < 48).mean()
    late = (hours >= 48).mean()
    still_open = n.safety_confirmed_at.isna().mean()
    assert 0.75 < within < 0.95
    assert late > 0.02
    assert 0 < still_open < 0.05


def test_ages_and_counts_stay_in_contract_ranges(big):
    n = big.notices
    for f, (lo, hi) in notice_fields().integers.items():
        vals = n[f].dropna()
        assert vals.between(lo, hi).all(), f


def test_same_seed_same_bytes_different_seed_differs(tmp_path):
    runner = CliRunner()
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        res = runner.invoke(
            app, ["synth", "--n", "3000", "--seed", str(seed), "--out", str(tmp_path / name)]
        )
        assert res.exit_code == 0, res.output
    for f in ("notices.parquet", "truth.parquet", "manifest.json"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
        assert (tmp_path / "a" / f).read_bytes() != (tmp_path / "c" / f).read_bytes(), f


def test_jsonl_output_validates_against_the_json_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    from triage.contract import load_schema

    res = CliRunner().invoke(
        app, ["synth", "--n", "1500", "--seed", "5", "--out", str(tmp_path), "--format", "jsonl"]
    )
    assert res.exit_code == 0, res.output
    validator = jsonschema.Draft202012Validator(
        load_schema("notice"), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    lines = (tmp_path / "notices.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == 1500
    for i, line in enumerate(lines, 1):
        errors = list(validator.iter_errors(json.loads(line)))
        assert not errors, f"line {i}: {errors[0].message}"
    assert not (tmp_path / "notices.parquet").exists()


def test_check_command_passes_on_a_generated_folder(tmp_path):
    runner = CliRunner()
    out = tmp_path / "syn"
    assert (
        runner.invoke(app, ["synth", "--n", "120000", "--seed", "2", "--out", str(out)]).exit_code
        == 0
    )
    res = runner.invoke(app, ["synth", "--check", str(out)])
    assert res.exit_code == 0, res.output
    assert "oracle AUC" in res.output and "police" in res.output


@pytest.fixture(scope="module")
def readme_small(tmp_path_factory):
    """The README's example, as written: 2,000 notices, seed 7, JSON Lines."""
    out = tmp_path_factory.mktemp("readme") / "small"
    res = CliRunner().invoke(
        app, ["synth", "--n", "2000", "--seed", "7", "--out", str(out), "--format", "jsonl"]
    )
    assert res.exit_code == 0, res.output
    return out


def test_check_passes_the_readme_example_with_tolerances_from_its_n(readme_small):
    res = CliRunner().invoke(app, ["synth", "--check", str(readme_small)])
    assert res.exit_code == 0, res.output
    assert res.output.rstrip().endswith("check: passed")
    assert "tolerance (pp)" in res.output and "1 pp + 3.5 standard errors at n" in res.output
    police = published_targets(load_spec(), 2023)["route"].shares["police"]
    assert f"±{share_tolerance_pp(police, 2000):.2f}" in res.output  # the police row's: ±4.91


def test_check_fails_a_biased_set_and_names_the_rows(readme_small, tmp_path):
    """Neighbours' notices relabelled as schools': both rows are named, no other is."""
    biased = tmp_path / "biased"
    biased.mkdir()
    for f in ("manifest.json", "truth.parquet"):
        (biased / f).write_bytes((readme_small / f).read_bytes())
    lines = []
    for line in (readme_small / "notices.jsonl").read_text("utf-8").splitlines():
        notice = json.loads(line)
        if notice["route"] == "neighbour":
            notice["route"] = "school"
        lines.append(json.dumps(notice, ensure_ascii=False))
    (biased / "notices.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    res = CliRunner().invoke(app, ["synth", "--check", str(biased)])
    assert res.exit_code == 1, res.output
    verdict = res.output.strip().splitlines()[-1]
    assert verdict.startswith("check: failed: route neighbour off by -")
    assert "; route school off by +" in verdict and "(tolerance ±" in verdict
    assert verdict.count(" off by ") == 2, verdict
    assert res.output.count("off by more than") == 2  # the two rows of the table


def test_check_of_a_tiny_set_says_it_cannot_judge(tmp_path):
    out = tmp_path / "tiny"
    runner = CliRunner()
    made = runner.invoke(app, ["synth", "--n", "300", "--seed", "7", "--out", str(out)])
    assert made.exit_code == 0, made.output
    res = runner.invoke(app, ["synth", "--check", str(out)])
    assert res.exit_code == 3, res.output
    verdict = res.output.strip().splitlines()[-1]
    assert verdict.startswith(
        "check: cannot judge 300 notices: the tolerances come from the sampling error at n, "
        f"and under {MIN_N:,} notices"
    )
    assert "not judged" in res.output
    assert "passed" not in res.output and "failed" not in res.output


def test_tolerance_is_the_allowance_plus_z_standard_errors():
    assert share_tolerance_pp(0.5, 10_000) == pytest.approx(SHARE_ALLOWANCE_PP + SHARE_Z * 0.5)
    assert share_tolerance_pp(0.5, 2_000) > share_tolerance_pp(0.5, 20_000) > SHARE_ALLOWANCE_PP
    assert share_tolerance_pp(0.0, 2_000) == SHARE_ALLOWANCE_PP


def test_min_n_gives_every_published_share_five_expected_notices(spec):
    """The reason MIN_N gives (the normal approximation needs n·p >= 5) holds for the spec's year."""
    rarest = min(p for t in published_targets(spec).values() for p in t.shares.values())
    assert MIN_N * rarest >= 5 > (MIN_N // 2) * rarest


def test_delong_auc_is_sklearns_and_its_se_matches_the_bootstrap():
    rng = np.random.default_rng(4)
    y = rng.random(2000) < 0.1
    score = np.round(rng.normal(y * 1.2, 1.0), 2)  # rounded: ties, counted half
    auc, se = auc_with_se(y, score)
    assert auc == pytest.approx(roc_auc(y, score), abs=1e-12)
    boot = []
    for _ in range(300):
        i = rng.integers(0, len(y), len(y))
        boot.append(roc_auc(y[i], score[i]))
    assert se == pytest.approx(np.std(boot), rel=0.2)
    assert all(np.isnan(auc_with_se(np.zeros(10, bool), np.arange(10.0))))


def test_check_help_states_the_rule_and_the_exit_codes():
    res = CliRunner().invoke(app, ["synth", "--help"], terminal_width=200)
    text = " ".join(res.output.replace("│", " ").split())
    assert f"{SHARE_ALLOWANCE_PP:g} pp + {SHARE_Z:g} standard errors" in text
    assert f"3 cannot judge (fewer than {MIN_N:,} notices)" in text
    assert "0 passed, 1 failed" in text and "2 usage error" in text


def test_check_names_a_missing_folder(tmp_path):
    res = CliRunner().invoke(app, ["synth", "--check", str(tmp_path / "nothing")])
    assert res.exit_code == 2
    assert "manifest.json" in res.output


def test_spec_errors_name_the_key_path(tmp_path):
    text = (REPO / "synthetic" / "spec.yaml").read_text("utf-8")
    bad = tmp_path / "spec.yaml"
    bad.write_text(
        text.replace("  fiscal_years: 3", "  fiscal_years: 3\n  fiscal_yeers: 2"), "utf-8"
    )
    with pytest.raises(SpecError, match=r"time\.fiscal_yeers"):
        load_spec(bad)
    bad.write_text(text.replace("median_hours: 18", "median_hours: -1"), "utf-8")
    with pytest.raises(SpecError, match=r"safety_check\.median_hours"):
        load_spec(bad)


def test_fiscal_year_before_the_published_figures_is_a_clear_error(spec):
    from triage.synth.calibrate import CalibrationError

    with pytest.raises(CalibrationError, match="has no .* figures .* at or before FY2011"):
        published_targets(spec, 2011)


def test_committed_sample_is_what_the_spec_and_seed_make(tmp_path):
    sample = REPO / "synthetic" / "sample"
    res = CliRunner().invoke(
        app, ["synth", "--n", "2000", "--seed", "2023", "--out", str(tmp_path), "--format", "jsonl"]
    )
    assert res.exit_code == 0, res.output
    for f in ("notices.jsonl", "truth.parquet", "manifest.json"):
        assert (tmp_path / f).read_bytes() == (sample / f).read_bytes(), f


# the package's `generate` (a function) hides its module of the same name
gen = importlib.import_module("triage.synth.generate")


def test_chunked_draws_are_the_same_whatever_the_cores(spec, monkeypatch):
    monkeypatch.setattr(gen, "CHUNK", 400)  # 1,000 notices: three streams
    runs = []
    for cores in (1, 2, 8):
        monkeypatch.setenv(THREADS_ENV, str(cores))  # the draws' thread pool: this many
        runs.append(generate(spec, n=1000, seed=4))
    for other in runs[1:]:
        pd.testing.assert_frame_equal(runs[0].notices, other.notices)
        pd.testing.assert_frame_equal(runs[0].truth, other.truth)
    assert runs[0].notices["received_at"].is_monotonic_increasing
    assert runs[0].truth["p_harm"].nunique() == 1000  # no chunk repeats another's stream


def test_the_first_chunk_is_what_one_stream_gives(spec, monkeypatch):
    alone = generate(spec, n=300, seed=6).truth["p_harm"].to_numpy()
    monkeypatch.setattr(gen, "CHUNK", 300)
    chunked = generate(spec, n=700, seed=6).truth["p_harm"].to_numpy()
    assert np.isin(alone, chunked).all()  # the same 300 notices, now among 700
    assert np.isin(chunked, alone).sum() == 300


def test_true_logits_follow_the_chunks_of_generate(spec, monkeypatch):
    monkeypatch.setattr(gen, "CHUNK", 250)
    for interventions in ({}, {"weapon_used": True}):
        drawn = generate(spec, n=600, seed=2, interventions=interventions)
        logits = gen.true_logits(spec, n=600, seed=2, interventions=interventions)
        # notices are sorted by receipt time, logits come in draw order
        np.testing.assert_array_equal(
            np.sort(gen.sigmoid(logits)), np.sort(drawn.truth["p_harm"].to_numpy())
        )
