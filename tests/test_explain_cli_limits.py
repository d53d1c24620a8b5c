"""`triage explain` on any number of notices: text for all, pictures for the first N, in the language asked."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from typer.testing import CliRunner

from triage.cli.app import app
from triage.cli.explain import explain_command
from triage.explain import explain
from triage.explain.figures import figure_lang, global_figures, png
from triage.explain.fonts import cjk_family
from triage.explain.importance import global_explanation
from triage.explain.waterfall import waterfall_figure
from triage.features import NoticeFeatures
from triage.models import make_candidate
from triage.notices import write_notices
from triage.synth.generate import generate
from triage.synth.spec import load_spec

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
MODEL = "models:/explain-limits@champion"
N_TRAIN, N_CAL, N_FILE = 3000, 1500, 130
NO_CJK = (
    "no CJK font installed here (install fonts-noto-cjk): the Japanese picture cannot be checked"
)


@pytest.fixture(scope="module")
def fitted():
    result = generate(load_spec(), n=N_TRAIN + N_CAL + N_FILE, seed=3)
    notices = result.notices
    y = result.truth["harm_90d"].to_numpy(np.int64)
    features = NoticeFeatures().fit(notices)
    X = features.transform(notices)
    names = list(features.get_feature_names_out())
    model = make_candidate(
        "lightgbm", feature_names=names, n_estimators=30, num_leaves=7, num_threads=1
    ).fit(X[:N_TRAIN], y[:N_TRAIN])
    cal = slice(N_TRAIN, N_TRAIN + N_CAL)
    calibrated = CalibratedClassifierCV(FrozenEstimator(model), method="isotonic").fit(
        X[cal], y[cal]
    )
    pipeline = Pipeline([("features", features), ("model", calibrated)])
    risk = pipeline.predict_proba(notices.iloc[cal])[:, 1]
    return {
        "pipeline": pipeline,
        "notices": notices.iloc[N_TRAIN + N_CAL :].reset_index(drop=True),
        "cuts": {
            "tier.immediate": float(np.quantile(risk, 0.97)),
            "tier.urgent": float(np.quantile(risk, 0.85)),
        },
    }


@pytest.fixture(scope="module")
def registry(fitted, tmp_path_factory):
    """An MLflow store in tmp_path holding the pipeline as ``MODEL``, with its tier cuts."""
    import mlflow
    from mlflow import MlflowClient

    from triage.tracking import log_and_register

    root = tmp_path_factory.mktemp("explain-registry")
    env = {
        "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
        "TRIAGE_CACHE_DIR": str(root / "cache"),
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        mlflow.set_tracking_uri(env["MLFLOW_TRACKING_URI"])
        mlflow.set_registry_uri(env["MLFLOW_TRACKING_URI"])
        experiment = MlflowClient().create_experiment(
            "explain-limits", artifact_location=(root / "artifacts").as_uri()
        )
        with mlflow.start_run(experiment_id=experiment):
            log_and_register(
                fitted["pipeline"],
                example_notices=fitted["notices"].iloc[:3],
                registered_model="explain-limits",
                alias="champion",
                version_tags=fitted["cuts"],
            )
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)
    return env


@pytest.fixture
def store(registry, monkeypatch):
    for key, value in registry.items():
        monkeypatch.setenv(key, value)
    return registry


@pytest.fixture(scope="module")
def big_file(fitted, tmp_path_factory):
    path = tmp_path_factory.mktemp("notices") / "notices.jsonl"
    write_notices(fitted["notices"], path)  # more than the 100 notices once refused
    return path


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")) if t.get_text()]


# ---------------------------------------------------------------- any number of notices


def test_a_file_of_more_than_100_notices_gets_text_for_all_and_pictures_for_the_first_n(
    store, big_file, fitted, tmp_path, capsys
):
    out = tmp_path / "out"
    assert explain_command(MODEL, str(big_file), "en", out, pictures=3) == 0
    captured = capsys.readouterr()
    ids = fitted["notices"]["notice_id"].tolist()
    assert len(ids) == N_FILE > 100
    assert sorted(p.stem for p in out.glob("*.txt")) == sorted(ids)
    assert sorted(p.stem for p in out.glob("*.png")) == sorted(ids[:3])
    assert captured.out.count("Explanation of notice") == N_FILE
    assert f"drew 3 picture(s) of {N_FILE} notice(s)" in captured.err
    assert "note:" not in captured.err


def test_pictures_0_draws_none(store, big_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert explain_command(MODEL, str(big_file), "ja", out, pictures=0) == 0
    assert len(list(out.glob("*.txt"))) == N_FILE and not list(out.glob("*.png"))
    assert f"drew 0 picture(s) of {N_FILE} notice(s)" in capsys.readouterr().err


def test_a_notice_id_looked_up_in_a_large_file_is_explained_alone(
    store, big_file, fitted, tmp_path, capsys
):
    notice_id = fitted["notices"]["notice_id"].iloc[120]
    assert explain_command(MODEL, notice_id, "en", tmp_path, notices=big_file) == 0
    assert [p.name for p in tmp_path.glob("*.png")] == [f"{notice_id}.png"]
    assert "drew 1 picture(s) of 1 notice(s)" in capsys.readouterr().err


# ---------------------------------------------------------------- pictures in the language asked


def test_a_japanese_picture_uses_the_cjk_family_and_warns_of_no_missing_glyph(fitted):
    from matplotlib.font_manager import findfont

    family = cjk_family()
    if family is None:
        pytest.skip(NO_CJK)
    e = explain(fitted["pipeline"], fitted["notices"].iloc[[0]], lang="ja")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would raise
        fig = waterfall_figure(e, 0, lang="ja")
        png(fig)
    texts = _texts(fig)
    assert any(JAPANESE.search(t) for t in texts)
    assert "基準値" in texts and "この通告" in texts
    assert any("判断の支援" in t for t in texts)  # the decision-support notice, in Japanese
    label = fig.axes[0].get_yticklabels()[0]
    assert "NotoSansCJK" in findfont(label.get_fontproperties()).replace(" ", "")


def test_the_global_figures_draw_in_japanese_without_missing_glyphs(fitted):
    if cjk_family() is None:
        pytest.skip(NO_CJK)
    g = global_explanation(fitted["pipeline"], fitted["notices"], sample=100, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figures = global_figures(g, top=3, lang="ja")
        for fig in figures.values():
            png(fig)
    assert all(any(JAPANESE.search(t) for t in _texts(fig)) for fig in figures.values())


def test_english_pictures_have_no_japanese(fitted):
    e = explain(fitted["pipeline"], fitted["notices"].iloc[[0]], lang="en")
    fig = waterfall_figure(e, 0, lang="en")
    png(fig)
    texts = _texts(fig)
    assert "base value" in texts and "this notice" in texts
    assert not any(JAPANESE.search(t) for t in texts)


def test_japanese_asked_on_the_command_line_draws_japanese_with_no_note(
    store, big_file, fitted, tmp_path, capsys
):
    if cjk_family() is None:
        pytest.skip(NO_CJK)
    notice_id = fitted["notices"]["notice_id"].iloc[0]
    assert explain_command(MODEL, notice_id, "ja", tmp_path, notices=big_file) == 0
    captured = capsys.readouterr()
    assert "note:" not in captured.err and JAPANESE.search(captured.out)
    assert (tmp_path / f"{notice_id}.png").stat().st_size > 0


@pytest.fixture
def no_cjk_font(monkeypatch):
    """A machine whose matplotlib knows no CJK font (matplotlib's own font list, filtered)."""
    from matplotlib import font_manager

    latin = [f for f in font_manager.fontManager.ttflist if "CJK" not in f.name]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", latin)
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    cjk_family.cache_clear()
    yield
    cjk_family.cache_clear()  # the real fonts again for the tests after this one


def test_without_a_cjk_font_pictures_are_english_with_one_note(
    no_cjk_font, store, big_file, fitted, tmp_path, capsys
):
    assert cjk_family() is None and figure_lang("ja") == "en"
    e = explain(fitted["pipeline"], fitted["notices"].iloc[[0]], lang="ja")
    assert not any(JAPANESE.search(t) for t in _texts(waterfall_figure(e, 0, lang="ja")))
    assert explain_command(MODEL, str(big_file), "ja", tmp_path, pictures=2) == 0
    captured = capsys.readouterr()
    notes = [line for line in captured.err.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "fonts-noto-cjk" in notes[0] and "English" in notes[0]
    assert JAPANESE.search(captured.out)  # the text is still in the language asked for
    assert len(list(tmp_path.glob("*.png"))) == 2


# ---------------------------------------------------------------- errors: one line, exit 2


@pytest.mark.parametrize("value", ["-1", "abc", "1.5"])
def test_a_bad_picture_count_is_a_one_line_error(big_file, tmp_path, value):
    result = CliRunner().invoke(
        app, ["explain", str(big_file), "--pictures", value, "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: --pictures: expected a whole number, 0 or more, got {value!r}"
    ]
    assert not list(tmp_path.iterdir())


def test_other_usage_errors_are_one_line_and_exit_2(big_file, tmp_path, capsys):
    assert explain_command(MODEL, "SYN2023-0000001", "en", tmp_path) == 2
    assert "--notices" in capsys.readouterr().err
    assert explain_command(MODEL, str(big_file), "fr", tmp_path) == 2
    assert capsys.readouterr().err.startswith("error: --lang")
    damaged = tmp_path / "damaged.parquet"
    damaged.write_bytes(b"not parquet")
    assert explain_command(MODEL, str(damaged), "en", tmp_path) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {damaged}: cannot read notices") and err.count("\n") == 1


def test_an_out_folder_that_is_a_file_is_a_one_line_error(store, big_file, tmp_path, capsys):
    taken = tmp_path / "taken"
    taken.write_text("")
    assert explain_command(MODEL, str(big_file), "en", taken, pictures=0) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --out: cannot write to {taken}") and err.count("\n") == 1
