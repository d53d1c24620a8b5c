"""The config's knobs on the synthetic data (``data.synthetic.welfare_recording_bias``,
``data.synthetic.missingness_scale``): validated like every key, recorded in the run, and
at their defaults the data are exactly those drawn before the knobs existed."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from triage.contract.columns import RECORDED_HARM, TRUE_HARM
from triage.experiment.config import ConfigError, DataConfig, parse_config
from triage.experiment.data import fingerprint, load_data, synthetic_spec
from triage.experiment.synthetic_knobs import ADJUSTMENTS_TAG
from triage.synth import generate, load_spec

REPO = Path(__file__).resolve().parents[1]
N = 20_000


def _ci(**synthetic: object) -> dict:
    raw = yaml.safe_load((REPO / "configs" / "ci.yaml").read_text("utf-8"))
    raw["data"]["synthetic"].update(synthetic)
    return raw


def test_a_default_config_draws_byte_identical_data():
    seed, n = 5, 4000
    before = generate(load_spec(), n=n, seed=seed)  # what load_data drew before the knobs
    default = load_data(DataConfig(synthetic={"n": n}), seed=seed)
    explicit = load_data(
        DataConfig(synthetic={"n": n, "welfare_recording_bias": 0, "missingness_scale": 1}),
        seed=seed,
    )
    expected = fingerprint(before.notices, before.truth)
    assert fingerprint(default.notices, default.truth) == expected
    assert fingerprint(explicit.notices, explicit.truth) == expected
    assert ADJUSTMENTS_TAG not in default.info
    assert synthetic_spec(DataConfig()) == load_spec()


def test_welfare_recording_bias_adds_log_odds_to_the_welfare_false_record_term():
    plain, biased = (
        synthetic_spec(DataConfig(synthetic={"welfare_recording_bias": b})) for b in (0, 0.5)
    )
    welfare = "welfare_receipt"
    assert biased.recording.false_record.terms[welfare] == pytest.approx(
        plain.recording.false_record.terms[welfare] + 0.5
    )
    assert biased.recording.detection == plain.recording.detection  # one mechanism only
    assert biased.digest == plain.digest  # the file's; the knob is in synth.adjustments


def _false_record_rate(data, *, welfare: bool) -> float:
    in_group = data.notices["welfare_receipt"].astype("boolean").fillna(False).to_numpy(bool)
    harm_free = ~data.truth[TRUE_HARM].to_numpy(bool)
    recorded = data.truth[RECORDED_HARM].to_numpy(bool)
    rows = harm_free & (in_group if welfare else ~in_group)
    return float(recorded[rows].mean())


def test_welfare_recording_bias_records_more_harm_that_did_not_happen_in_welfare_households():
    plain = load_data(DataConfig(synthetic={"n": N}), seed=1)
    biased = load_data(DataConfig(synthetic={"n": N, "welfare_recording_bias": 1.0}), seed=1)
    assert _false_record_rate(biased, welfare=True) > 1.8 * _false_record_rate(plain, welfare=True)
    assert _false_record_rate(biased, welfare=False) == pytest.approx(
        _false_record_rate(plain, welfare=False), rel=0.25
    )
    assert biased.info[ADJUSTMENTS_TAG] == "welfare_recording_bias=1"


def _odds(p: float) -> float:
    return p / (1 - p)


def test_missingness_scale_multiplies_the_odds_of_an_unknown_fact():
    plain = synthetic_spec(DataConfig())
    for scale in (0.5, 2.0, 50.0):
        scaled = synthetic_spec(DataConfig(synthetic={"missingness_scale": scale}))
        for group, p in plain.missingness.base.items():
            q = scaled.missingness.base[group]
            assert 0 < q < 1
            assert _odds(q) == pytest.approx(scale * _odds(p)), group
    doubled = load_data(DataConfig(synthetic={"n": N, "missingness_scale": 2}), seed=2)
    base = load_data(DataConfig(synthetic={"n": N}), seed=2)
    unknown = [doubled.notices["welfare_receipt"].isna().mean()]
    unknown.append(base.notices["welfare_receipt"].isna().mean())
    assert 1.6 < unknown[0] / unknown[1] < 2.2
    assert doubled.info[ADJUSTMENTS_TAG] == "missingness_scale=2"


@pytest.mark.parametrize(
    ("knob", "value", "expected"),
    [
        ("missingness_scale", 0, "greater than 0"),
        ("missingness_scale", "double", "valid number"),
        ("missingness_scale", math.inf, "finite number"),
        ("welfare_recording_bias", 9, "less than or equal to 5"),
        ("welfare_recording_bias", [1], "valid number"),
    ],
)
def test_a_knob_out_of_range_fails_naming_its_key(knob, value, expected):
    with pytest.raises(ConfigError) as caught:
        parse_config(_ci(**{knob: value}), source="ci.yaml")
    problem = str(caught.value).splitlines()[1]
    assert problem.strip().startswith(f"data.synthetic.{knob}: ") and expected in problem


def test_the_knobs_are_run_params():
    params = parse_config(_ci(missingness_scale=0.5, welfare_recording_bias=0.25)).flat()
    assert params["data.synthetic.missingness_scale"] == "0.5"
    assert params["data.synthetic.welfare_recording_bias"] == "0.25"
    defaults = parse_config(_ci()).flat()
    assert defaults["data.synthetic.missingness_scale"] == "1.0"
    assert defaults["data.synthetic.welfare_recording_bias"] == "0.0"


def test_a_dumped_config_parses_again_to_the_same_config():
    # A sweep's cell travels to its worker as the config's JSON dump.
    for name in ("ci", "ci_dv"):
        cfg = parse_config(yaml.safe_load((REPO / "configs" / f"{name}.yaml").read_text("utf-8")))
        assert parse_config(cfg.model_dump(mode="json")) == cfg, name


def test_a_dv_config_that_sets_tiers_is_still_refused():
    raw = yaml.safe_load((REPO / "configs" / "ci_dv.yaml").read_text("utf-8"))
    with pytest.raises(ConfigError, match="tiers: not used by pipeline dv_witness_sorting"):
        parse_config({**raw, "tiers": {"mode": "cut_points"}})
