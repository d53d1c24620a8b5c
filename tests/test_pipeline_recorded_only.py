"""``triage run`` on data without a simulator's truth: an agency's own records (a data set
folder whose truth file holds the recorded outcomes only), and the ``release`` data source.

One real run on a small agency folder, in a real MLflow store in a temporary folder; the
refusals need no run at all.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
import yaml

from triage.contract.columns import RECORDED_HARM, RECORDED_TIER, TRUE_HARM
from triage.contract.errors import InvalidParameter
from triage.experiment.config import ConfigError, ExperimentConfig, parse_config

REPO = Path(__file__).resolve().parents[1]
CI_CONFIG = REPO / "configs" / "ci.yaml"
CI_DV_CONFIG = REPO / "configs" / "ci_dv.yaml"
RUN_NAME = "intake-urgency-recorded-only"
N = 8_000  # three fiscal years of notices, few enough that the run is mostly MLflow's own time

pytestmark = pytest.mark.slow


def _agency_folder(folder: Path, *, n: int = N, keep: tuple[str, ...] = ()) -> Path:
    """A ``triage synth`` folder made to look like an agency's extract: its truth file holds
    ``notice_id`` and the recorded outcomes only (plus ``keep``), and its manifest says
    nothing of a generator."""
    from triage.synth import generate, load_spec
    from triage.synth.output import write_dataset

    spec = load_spec()
    result = generate(spec, n=n, seed=7, fiscal_year=2023)
    write_dataset(result, folder, spec=spec, seed=7, fiscal_year=2023)
    outcomes = result.truth[["notice_id", RECORDED_HARM, RECORDED_TIER, *keep]].copy()
    outcomes[RECORDED_HARM] = outcomes[RECORDED_HARM].astype("int64")  # as an agency writes it
    outcomes.to_parquet(folder / "truth.parquet", index=False)
    manifest = {"files": {"notices": "notices.parquet", "truth": "truth.parquet"}}
    (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    return folder


def _config(base: Path = CI_CONFIG, **changes: object) -> ExperimentConfig:
    raw = yaml.safe_load(base.read_text("utf-8"))
    raw.update(name=RUN_NAME, evaluation={"n_boot": 50})
    if raw["pipeline"] == "intake_urgency":
        raw["explanations"] = {"sample": 200}
    raw.update(changes)
    return parse_config(raw)


@pytest.fixture(scope="module")
def agency(tmp_path_factory) -> Path:
    return _agency_folder(tmp_path_factory.mktemp("agency") / "records")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """The folder whose embedded MLflow store (``mlflow.db``, artefacts in ``mlruns/``) holds this module's runs."""
    return tmp_path_factory.mktemp("recorded-store")


def _run_in(work: Path, cfg: ExperimentConfig):
    """``cfg``'s pipeline in-process, its store in ``work`` (MLflow's in-process URIs restored
    after); the result and a client of the store."""
    import mlflow.tracking._model_registry.utils as registry_utils
    import mlflow.tracking._tracking_service.utils as tracking_utils
    from mlflow import MlflowClient

    from triage.pipelines import run_pipeline

    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("MLFLOW_")]:
            mp.delenv(key)
        mp.setattr(tracking_utils, "_tracking_uri", None)
        mp.setattr(registry_utils, "_registry_uri", None)
        mp.chdir(work)  # the embedded store: work/mlflow.db
        result = run_pipeline(cfg, quiet=True, reports=work / "reports")
    uri = f"sqlite:///{work / 'mlflow.db'}"
    return result, MlflowClient(tracking_uri=uri, registry_uri=uri)


@pytest.fixture(scope="module")
def recorded_run(agency, store):
    """The CI config on the agency folder."""
    cfg = _config(data={"source": "folder", "folder": str(agency)})
    result, client = _run_in(store, cfg)
    return store, result, client


def _artefacts(client, run_id: str, folder: str) -> set[str]:
    return {a.path for a in client.list_artifacts(run_id, folder)}


def test_a_run_without_truth_is_judged_on_recorded_outcomes_with_no_oracle(recorded_run):
    work, result, client = recorded_run
    run_id = result.logged.run_id
    run = client.get_run(run_id)
    metrics, tags = run.data.metrics, run.data.tags
    assert tags["data.ground_truth"] == "none"
    assert tags["data.source"].startswith("folder ") and tags["target"] == "recorded"
    assert not any(k.startswith("synth.") for k in tags)  # the manifest names no generator
    assert not [k for k in metrics if k.startswith(("true.", "truth."))]
    assert not [k for k in metrics if ".oracle." in k or "auc_ratio" in k]
    assert "tiers.oracle.immediate" not in metrics
    for key in ("recorded.lightgbm.auc", "recorded.scorecard.under_triage",
                "recorded.checklist.recall_at_k_worst", "recorded.lightgbm.ece"):  # fmt: skip
        assert metrics[f"{key}_low"] <= metrics[key] <= metrics[f"{key}_high"], key
    assert "tiers.lightgbm.urgent" in metrics and "capacity.k" in metrics
    evaluation = _artefacts(client, run_id, "evaluation")
    assert "evaluation/reliability_recorded_outcome.png" in evaluation
    assert "evaluation/reliability_true_outcome.png" not in evaluation
    assert {a for a in evaluation if a.startswith("evaluation/headline_")} == {
        "evaluation/headline_recorded.csv"
    }
    local = Path(client.download_artifacts(run_id, "evaluation", str(work / "dl")))
    confusion = pd.read_csv(local / "tier_confusion_lightgbm.csv")
    assert confusion.columns[0] == RECORDED_TIER
    assert int(confusion.drop(columns=RECORDED_TIER).to_numpy().sum()) == _n_test(tags)
    curve = json.loads((local / "capacity_curve.json").read_text("utf-8"))
    assert list(curve["outcomes"]) == ["recorded"] and "oracle" not in curve["outcomes"]["recorded"]
    assert "explanations/global.json" in _artefacts(client, run_id, "explanations")
    predictions = _artefacts(client, run_id, "audit_inputs")
    assert predictions == {"audit_inputs/test_predictions.parquet"}
    frame = pd.read_parquet(
        client.download_artifacts(run_id, "audit_inputs/test_predictions.parquet", str(work))
    )
    assert RECORDED_HARM in frame and TRUE_HARM not in frame


def _n_test(tags: dict[str, str]) -> int:
    """The test window's notices, as the run's split tag says (``... (2,024 notices)``)."""
    return int(tags["split.test"].rsplit("(", 1)[1].split()[0].replace(",", ""))


def test_the_result_has_one_headline_outcome_and_refuses_the_true_one_in_one_line(recorded_run):
    _, result, _ = recorded_run
    assessment = result.assessment
    assert assessment.headline_outcome == "recorded"
    assert list(assessment.metrics) == ["recorded"]
    head = assessment.headline()
    assert list(head.index) == ["checklist", "scorecard", "lightgbm", "tree"]
    with pytest.raises(InvalidParameter) as refused:
        assessment.headline("true")
    assert "\n" not in str(refused.value) and str(refused.value).startswith("outcome: ")


def _section(card: dict, sid: str) -> dict:
    return next(s for s in card["sections"] if s["id"] == sid)


def test_the_card_says_plainly_it_was_judged_on_recorded_outcomes_only(recorded_run):
    from triage.report import build_card, card_schema

    work, result, client = recorded_run
    run_id = result.logged.run_id
    said = {"en": "recorded outcomes only", "ja": "記録上の結果のみ"}
    for lang, words in said.items():
        card = build_card(run_id, lang=lang, client=client)
        jsonschema.validate(card, card_schema())
        data = _section(card, "data")
        assert any(words in note for note in data["notes"]), lang
        assert {f["key"]: f["value"] for f in data["facts"]}["ground_truth"].endswith(words)
        perf = _section(card, "performance")
        assert list(perf["data"]["outcomes"]) == ["recorded"]
        assert "auc_ratio" not in perf["data"]["metrics"]
        shown = [row["candidate"] for row in perf["data"]["outcomes"]["recorded"]]
        assert shown == ["checklist", "scorecard", "lightgbm", "tree"]
        assert _section(card, "calibration")["available"] and card["figures"]
        tiers = _section(card, "tiers")
        assert tiers["available"] and all(
            t["under_triage"]["key"].startswith("recorded.") for t in tiers["data"].values()
        )
        assert _section(card, "capacity")["data"]["outcome"] == "recorded"
        assert _section(card, "explanations")["data"]["truth"] == {}
        assert len(_section(card, "explanations")["notes"]) == 2  # and why there is no check
    kept = (work / "reports" / RUN_NAME / "model_card.html").read_text("utf-8")
    assert said["ja"] in kept  # the card `triage run` keeps is in Japanese


def test_target_true_on_data_without_truth_is_refused_in_one_line(agency, tmp_path, monkeypatch):
    from triage.pipelines import run_pipeline

    monkeypatch.chdir(tmp_path)
    cfg = _config(target="true", data={"source": "folder", "folder": str(agency)})
    with pytest.raises(ConfigError) as refused:
        run_pipeline(cfg, quiet=True, reports=tmp_path / "reports")
    message = str(refused.value)
    assert message.startswith("target: ") and "\n" not in message
    assert "recorded outcomes only" in message and refused.value.param == "target"
    assert not (tmp_path / "mlflow.db").exists()  # refused before any run was opened


def test_dv_routing_on_data_without_truth_is_refused_in_one_line(agency, tmp_path, monkeypatch):
    from triage.pipelines import run_pipeline

    monkeypatch.chdir(tmp_path)
    cfg = _config(CI_DV_CONFIG, data={"source": "folder", "folder": str(agency)})
    with pytest.raises(ConfigError) as refused:
        run_pipeline(cfg, quiet=True, reports=tmp_path / "reports")
    message = str(refused.value)
    assert message.startswith("pipeline: dv_witness_sorting") and "\n" not in message
    assert not (tmp_path / "mlflow.db").exists()


def test_outcomes_a_run_cannot_be_judged_on_are_refused_naming_the_column(tmp_path):
    from triage.experiment.config import DataConfig
    from triage.experiment.data import load_data

    def refusal(folder: Path) -> str:
        with pytest.raises(ConfigError) as refused:
            load_data(DataConfig(source="folder", folder=str(folder)), seed=0)
        assert "\n" not in str(refused.value) and refused.value.param == "truth"
        return str(refused.value)

    partial = _agency_folder(tmp_path / "partial", n=500, keep=("p_harm",))
    assert "hold p_harm but not harm_90d, true_tier" in refusal(partial)
    gaps = _agency_folder(tmp_path / "gaps", n=500)
    outcomes = pd.read_parquet(gaps / "truth.parquet")
    outcomes[RECORDED_HARM] = outcomes[RECORDED_HARM].astype("Int64")
    outcomes.loc[[3, 9], RECORDED_HARM] = pd.NA
    outcomes.to_parquet(gaps / "truth.parquet", index=False)
    message = refusal(gaps)
    assert message.startswith("truth: recorded_harm_90d: expected 0 or 1, got <NA>")
    assert f"notice_id {outcomes['notice_id'][3]} and 1 more" in message
    outcomes.drop(columns=RECORDED_HARM).to_parquet(gaps / "truth.parquet", index=False)
    assert "have no recorded_harm_90d column" in refusal(gaps)


def _problems(raw_changes: dict) -> list[str]:
    raw = yaml.safe_load(CI_CONFIG.read_text("utf-8"))
    raw.update(raw_changes)
    with pytest.raises(ConfigError) as refused:
        parse_config(raw)
    return str(refused.value).splitlines()[1:]  # one line per problem, under the file's name


def test_a_release_source_is_validated_before_anything_runs():
    release = {"source": "release", "release": {"path": "releases/agency-2024", "n": 20_000}}
    assert _problems({"data": {"source": "release"}}) == [
        "  data.release.path: source 'release' needs the path of a release folder "
        "(manifest.json and tables/)"
    ]
    (missing,) = _problems({"data": {"source": "release", "release": {"n": 100}}})
    assert missing.startswith("  data.release.path: Field required")
    (bad_n,) = _problems({"data": {**release, "release": {"path": "r", "n": 0}}})
    assert bad_n.startswith("  data.release.n: ")
    (target,) = _problems({"data": release, "target": "true"})
    assert target.startswith("  target: 'true' trains on the simulator's harm_90d")
    (stray,) = _problems({"data": {"source": "synthetic", "release": {"path": "r"}}})
    assert stray.startswith("  data.release: used only with data.source 'release'")
    raw_dv = yaml.safe_load(CI_DV_CONFIG.read_text("utf-8"))
    raw_dv.update(data=release, target="recorded")
    with pytest.raises(ConfigError, match=r"\n  data\.source: pipeline dv_witness_sorting"):
        parse_config(raw_dv)
    cfg = _config(data=release)
    assert cfg.data.release is not None and cfg.data.release.n == 20_000
    params = cfg.flat()
    assert params["data.source"] == "release"
    assert params["data.release.path"] == "releases/agency-2024"
    assert params["data.release.n"] == "20000"
    assert not [k for k in _config().flat() if k.startswith("data.release")]  # params as before


@pytest.mark.parametrize(
    ("method", "parameters", "budget", "en", "ja"),
    [
        ("sdc", {"k": 10}, None, "small-cell suppression, k = 10", "小セル秘匿 k = 10"),
        (
            "dp",
            {"epsilon": 1.0, "delta": 1e-6},
            {"epsilon": 1.0, "delta": 1e-6, "rho": 0.0123, "accounting": {"nested": 1}},
            "differential privacy ε = 1, δ = 1e-6",
            "差分プライバシー ε = 1, δ = 1e-6",
        ),
    ],
)
def test_the_data_section_says_the_model_was_trained_from_aggregates(
    method, parameters, budget, en, ja
):
    """The tags a release run records (``release_tags`` of its manifest) as the card says them."""
    from triage.experiment.data import release_tags
    from triage.report.reader import RunRecord
    from triage.report.sections.data import data_section
    from triage.report.sections.fixed import limitations_section

    manifest = {"method": method, "parameters": parameters, "budget": budget,
                "spec_digest": "0123456789abcdef", "records": 200_000}  # fmt: skip
    tags = {
        "data.source": "release /home/agency/releases/fy2023-k10",
        "data.n": "50000",
        "data.ground_truth": "none",
        "target": "recorded",
        **release_tags(manifest),
    }
    assert json.loads(tags["release.parameters"]) == parameters
    run = RunRecord("0" * 32, "1", None, {}, {}, tags, fetch=lambda path: None)
    for lang, level in (("en", en), ("ja", ja)):
        section = data_section(run, lang)
        facts = {f["key"]: f["value"] for f in section["facts"]}
        assert facts["source"] == "release fy2023-k10"  # the folder's name, never its path
        assert facts["release_method"] == level
        assert facts["release_spec_digest"] == "0123456789abcdef"
        assert facts["release_records"] == "200000"
        first = section["notes"][0]
        assert level in first and "fy2023-k10" in first and "/home" not in first
        assert ("anonymized aggregates" if lang == "en" else "匿名化された集計表") in first
        recorded_only = "recorded outcomes only" if lang == "en" else "記録上の結果のみ"
        assert any(recorded_only in note for note in section["notes"])
        limits = limitations_section(run, lang)["lists"][0]["items"]
        assert any(level in item for item in limits)
    budget_shown = {f["key"]: f["value"] for f in data_section(run, "en")["facts"]}
    if budget is None:
        assert budget_shown["release_budget"].startswith("none")
    else:
        assert budget_shown["release_budget"] == "epsilon = 1, delta = 1e-6, rho = 0.0123"


# ----------------------------------------------------------------------------- a release

RELEASE_SPEC = {
    "release_spec_version": 1,
    "fields": [
        "received_month",
        "route",
        "notice_kind",
        "main_type",
        "child_age_years",
        "child_sex",
        "injury",
        "household_type",
    ],  # fmt: skip
    "outcomes": [RECORDED_HARM, RECORDED_TIER],
    "bins": {"child_age_years": [0, 3, 6, 12]},
    "tables": {"one_way": False, "by_outcome": True},
}
"""A small release (the fields every notice needs, each by each outcome): fitted in seconds."""
RELEASE_MONTHS = 10
RELEASE_SPLIT = {"calibration_months": 2, "test_months": 2, "gap_days": 30}


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """An agency's last months of records, released under small-cell suppression (k = 5)."""
    from triage.aggregates.attributes import to_records
    from triage.aggregates.release import build_release
    from triage.aggregates.release_folder import write_release
    from triage.aggregates.spec import load_release_spec
    from triage.synth import generate, load_spec

    root = tmp_path_factory.mktemp("release")
    (root / "release.yaml").write_text(yaml.safe_dump(RELEASE_SPEC), "utf-8")
    spec = load_release_spec(root / "release.yaml")
    made = generate(load_spec(), n=20_000, seed=7, fiscal_year=2023)
    at = made.notices["received_at"]
    recent = (at >= at.max() - pd.DateOffset(months=RELEASE_MONTHS)).to_numpy()
    notices = made.notices[recent].reset_index(drop=True)
    outcomes = made.truth.loc[recent, ["notice_id", RECORDED_HARM, RECORDED_TIER]]
    records, domain = to_records(notices, outcomes, spec)
    built = build_release(records, domain, spec.table_attributes(domain), method="sdc", k=5)
    folder = root / "fy2023-k5"
    write_release(
        folder, tables=built.tables, domain=built.domain, method="sdc",
        parameters=built.parameters, budget=built.budget, spec=spec.model_dump(mode="json"),
        spec_digest=spec.digest, records=len(records),
    )  # fmt: skip
    return folder


@pytest.fixture(scope="module")
def release_run(release, store, recorded_run):
    """The CI config on 4,000 notices synthesized from the release, in the same store."""
    cfg = _config(
        name="intake-urgency-from-release",
        data={"source": "release", "release": {"path": str(release), "n": 4000}},
        split=RELEASE_SPLIT,
    )
    result, client = _run_in(store, cfg)
    return store, result, client


def test_a_run_from_a_release_logs_its_manifest_and_judges_recorded_outcomes(release, release_run):
    work, result, client = release_run
    run_id = result.logged.run_id
    run = client.get_run(run_id)
    tags, params, metrics = run.data.tags, run.data.params, run.data.metrics
    manifest = json.loads((release / "manifest.json").read_text("utf-8"))
    assert tags["data.source"] == f"release {release}"
    assert tags["data.n"] == "4000" and tags["data.ground_truth"] == "none"
    assert tags["release.method"] == "sdc"
    assert json.loads(tags["release.parameters"]) == {"k": 5}
    assert tags["release.spec_digest"] == manifest["spec_digest"]
    assert tags["release.budget"] == "none"  # suppression spends no privacy budget
    assert tags["release.records"] == str(manifest["records"])
    assert params["data.source"] == "release" and params["data.release.n"] == "4000"
    logged = client.download_artifacts(run_id, "release/manifest.json", str(work / "dl-release"))
    assert json.loads(Path(logged).read_text("utf-8")) == manifest
    assert not [k for k in metrics if k.startswith(("true.", "truth.")) or ".oracle." in k]
    key = "recorded.lightgbm.auc"
    assert metrics[f"{key}_low"] <= metrics[key] <= metrics[f"{key}_high"]
    assert result.assessment.headline_outcome == "recorded"


def test_the_card_of_a_release_run_says_it_was_trained_from_aggregates(release_run):
    from triage.report import build_card, card_schema

    work, result, client = release_run
    said = {
        "en": ("anonymized aggregates", "small-cell suppression, k = 5", "recorded outcomes only"),
        "ja": ("匿名化された集計表", "小セル秘匿 k = 5", "記録上の結果のみ"),
    }
    for lang, phrases in said.items():
        card = build_card(result.logged.run_id, lang=lang, client=client)
        jsonschema.validate(card, card_schema())
        notes = " ".join(_section(card, "data")["notes"])
        assert all(p in notes for p in phrases), lang
        assert "fy2023-k5" in notes and str(work) not in json.dumps(card, ensure_ascii=False)
    kept = (work / "reports" / "intake-urgency-from-release" / "model_card.html").read_text("utf-8")
    assert all(p in kept for p in said["ja"])


def test_a_release_that_cannot_be_read_is_refused_in_one_line(tmp_path, monkeypatch):
    from triage.pipelines import run_pipeline

    monkeypatch.chdir(tmp_path)
    cfg = _config(data={"source": "release", "release": {"path": str(tmp_path / "none")}})
    with pytest.raises(ConfigError) as refused:
        run_pipeline(cfg, quiet=True, reports=tmp_path / "reports")
    message = str(refused.value)
    assert message.startswith("data.release.path: ") and "is not a folder" in message
    assert "\n" not in message and not (tmp_path / "mlflow.db").exists()
