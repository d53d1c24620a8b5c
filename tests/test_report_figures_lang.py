"""Figures in the language asked for: every figure a model card shows, drawn by the same function
at run time (English) and at card time (the card's language), and a card of an older run.

The drawings are checked on their matplotlib texts (titles, axis labels, legends, tick labels,
annotations) before they are saved, under ``warnings.simplefilter("error")`` so that a missing
glyph fails. The cards are made from real runs in a real MLflow store in ``tmp_path``, logged
the way runs before card-time drawing were (only the English PNG) and the way runs are now.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from test_explain_cli_limits import JAPANESE, NO_CJK, no_cjk_font  # noqa: F401 (a fixture)
from triage.audit.report import disparity_figure
from triage.evaluation.capacity_curve import capacity_curve, capacity_curve_figure
from triage.evaluation.reliability_diagram import reliability_data, reliability_diagram
from triage.explain.figures import figure_lang, importance_figure, png, truth_check_figure
from triage.explain.fonts import cjk_family
from triage.report import build_card, render_markdown
from triage.report._text import TEXT

WORD = re.compile(r"[A-Za-z]{3,}")
MATHTEXT = re.compile(r"\$[^$]*\$")  # log-axis ticks such as $\mathdefault{10^{0}}$
IDENTIFIERS = {"checklist", "scorecard", "lightgbm", "tree", "oracle", "spearman", "ate"}
"""Words that stay as they are in a Japanese figure: candidate names and a statistic's name."""


def _curve() -> dict:
    rng = np.random.default_rng(0)
    y = rng.random(400) < 0.2
    scores = {"lightgbm": y + rng.normal(0, 1, 400), "oracle": y + rng.normal(0, 0.5, 400)}
    return capacity_curve(
        {"true": y, "recorded": y}, scores, per_day=[1, 2, 4, 8], days=40, configured=2
    )


def _reliability() -> dict:
    rng = np.random.default_rng(1)
    p = rng.random(300)
    return reliability_data(rng.random(300) < p, {"scorecard": p, "oracle": p**1.1}, bins=5)


IMPORTANCE = {"weapon_used": 0.4, "child_age_years": 0.3, "route": 0.1}
TRUTH_ROWS = [
    {"feature": f, "importance": v, "true_effect": v * 1.5} for f, v in IMPORTANCE.items()
]
DISPARITIES = pd.DataFrame(
    {
        "feature": ["foreign_national_household", "foreign_national_household", "region_urbanity"],
        "group": ["yes", "yes", "rural"],
        "metric": ["fnr", "fpr", "fnr"],
        "ratio": [1.4, 0.9, 1.1],
        "ratio_low": [1.1, 0.7, 0.8],
        "ratio_high": [1.8, 1.2, 1.5],
        "flag": [True, False, False],
        "suppressed": [False, False, False],
    }
)
DRAWINGS = {
    "capacity": lambda lang: capacity_curve_figure(_curve(), outcome="true", lang=lang),
    "capacity_recorded": lambda lang: capacity_curve_figure(
        _curve(), outcome="recorded", lang=lang
    ),
    "reliability": lambda lang: reliability_diagram(_reliability(), lang=lang),
    "importance": lambda lang: importance_figure(IMPORTANCE, lang=lang),
    "truth_check": lambda lang: truth_check_figure(
        TRUTH_ROWS, spearman=0.8, top5_overlap=0.6, lang=lang
    ),
    "disparities": lambda lang: disparity_figure(
        DISPARITIES,
        band=(0.8, 1.25),
        name="true outcome" if lang == "en" else "真の結果",
        lang=lang,
    ),
}


def _drawn(name: str, lang: str) -> list[str]:
    """The texts of a figure drawn as a card draws it (language resolved first), glyphs checked."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would raise
        fig = DRAWINGS[name](figure_lang(lang))
        png(fig)  # draws every text, ticks included
    texts = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        texts += [t.get_text() for t in (*ax.get_xticklabels(), *ax.get_yticklabels(), *ax.texts)]
        if ax.get_legend() is not None:
            texts += [t.get_text() for t in ax.get_legend().get_texts()]
    return [MATHTEXT.sub("", t) for t in texts if MATHTEXT.sub("", t).strip()]


def _words(texts: list[str]) -> set[str]:
    return {w.lower() for t in texts for w in WORD.findall(t)} - IDENTIFIERS


@pytest.mark.parametrize("name", list(DRAWINGS))
def test_a_figure_drawn_in_japanese_has_no_english_words_and_in_english_no_japanese(name):
    if cjk_family() is None:
        pytest.skip(NO_CJK)
    ja, en = _drawn(name, "ja"), _drawn(name, "en")
    assert not any(JAPANESE.search(t) for t in en), en
    assert _words(en), en  # the English figure has words to translate
    assert not _words(ja) & _words(en), ja
    assert not _words(ja), ja
    worded = [t for t in ja if any(c.isalpha() for c in t) and t.lower() not in IDENTIFIERS]
    assert worded and all(JAPANESE.search(t) for t in worded), ja


# --- cards of runs logged before and after figures were drawn at card time ----------------


def _store(tmp: Path) -> tuple[MlflowClient, str]:
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    exp = client.create_experiment("figures", artifact_location=(tmp / "artifacts").as_uri())
    return client, exp


def _run(client: MlflowClient, exp: str, tmp: Path, files: dict[str, bytes | str]) -> str:
    """A finished model run with a few evaluation metrics and the given artefacts."""
    run_id = client.create_run(exp, tags={"chosen_candidate": "lightgbm"}).info.run_id
    for key, value in {"true.lightgbm.auc": 0.78, "true.oracle.auc": 0.82}.items():
        client.log_metric(run_id, key, value)
    folder = tmp / run_id
    for path, data in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    if files:
        client.log_artifacts(run_id, str(folder))
    client.set_terminated(run_id)
    return run_id


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One store: a run as logged before this change (capacity JSON + PNG, reliability PNG only),
    a run with the capacity PNG alone, and the client."""
    import json

    tmp = tmp_path_factory.mktemp("figure-runs")
    client, exp = _store(tmp)
    curve = _curve()
    capacity_png = png(capacity_curve_figure(curve))
    reliability_png = png(reliability_diagram(_reliability()))
    old = _run(
        client,
        exp,
        tmp,
        {
            "evaluation/capacity_curve.json": json.dumps(curve),
            "evaluation/capacity_curve.png": capacity_png,
            "evaluation/reliability_true_outcome.png": reliability_png,
        },
    )
    png_only = _run(client, exp, tmp, {"evaluation/capacity_curve.png": capacity_png})
    return client, {"old": old, "png_only": png_only}, capacity_png, reliability_png


def _section(card: dict, sid: str) -> dict:
    return next(s for s in card["sections"] if s["id"] == sid)


def test_a_run_logged_before_card_time_figures_gets_its_english_figure_with_a_note(runs):
    if cjk_family() is None:
        pytest.skip(NO_CJK)
    client, ids, capacity_png, reliability_png = runs
    in_english = TEXT["figure_in_english"]
    ja = build_card(ids["old"], lang="ja", client=client)
    en = build_card(ids["old"], lang="en", client=client)
    calibration = _section(ja, "calibration")
    (fig,) = calibration["figures"]
    assert ja["figures"][fig["key"]]["artifact"] == "evaluation/reliability_true_outcome.png"
    assert in_english[1] in calibration["notes"]
    # its capacity curve's data was logged: drawn again, in Japanese, without a note
    capacity = _section(ja, "capacity")
    (cap,) = capacity["figures"]
    assert ja["figures"][cap["key"]]["artifact"] == "evaluation/capacity_curve.json"
    assert ja["figures"][cap["key"]]["base64"] != en["figures"][cap["key"]]["base64"]
    assert not any(n in capacity["notes"] for n in (in_english[1], TEXT["figure_no_cjk_font"][1]))
    # the English card shows the run's own PNGs and needs no note
    assert {f["artifact"] for f in en["figures"].values()} == {
        "evaluation/capacity_curve.png",
        "evaluation/reliability_true_outcome.png",
    }
    assert not any(in_english[0] in s["notes"] for s in en["sections"])
    assert in_english[1] in render_markdown(ja)


def test_a_run_with_only_the_capacity_png_still_shows_it_in_its_card_with_the_note(runs):
    client, ids, capacity_png, _ = runs
    card = build_card(ids["png_only"], lang="ja", client=client)
    capacity = _section(card, "capacity")
    (fig,) = capacity["figures"]
    assert card["figures"][fig["key"]]["artifact"] == "evaluation/capacity_curve.png"
    assert TEXT["figure_in_english"][1] in capacity["notes"]
    assert TEXT["capacity_figure_only"][1] in capacity["notes"]
    assert not capacity["available"]


@pytest.mark.usefixtures("no_cjk_font")
def test_without_a_cjk_font_a_japanese_card_draws_english_figures_and_says_so(runs):
    client, ids, _, _ = runs
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no empty boxes: no missing glyph
        card = build_card(ids["old"], lang="ja", client=client)
    capacity = _section(card, "capacity")
    assert capacity["figures"] and TEXT["figure_no_cjk_font"][1] in capacity["notes"]
