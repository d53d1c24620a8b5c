"""The cards entirely in the language asked for, and the DV card complete (issue 17).

Built from the CI and DV-witness runs of ``test_report.py`` (made once per session worker,
side by side). How a card is checked for the other language: its Markdown, with code
spans removed, then the strings a reader is meant to see as they are (the run's and the
model's names, candidate names, checklist question ids, the cited sources of the published
aggregates, names Japanese by nature) removed, is cut into words. A word with ``_ . / = @``
or a digit in it is an identifier (a column, a file, a parameter, a date), an upper-case
word an abbreviation or a rule id (AUC, DV, R-SEVERE); every other Latin word in a
Japanese card is English left in it. An English card has no kana or kanji left.
"""

from __future__ import annotations

import re

import pytest

from test_report import _dv_started, ci_run, dv_run
from triage.audit.runs import PREDICTIONS_PATH
from triage.report import build_card, render_markdown
from triage.report.reader import RunRecord, read_card_inputs
from triage.report.sections.fairness import fairness_section

pytestmark = pytest.mark.slow

RUNS = {"intake": "intake-urgency-ci", "dv": "dv-witness-sorting-ci"}
CODE_SPAN = re.compile(r"`[^`]*`")
LATIN_WORD = re.compile(r"[A-Za-z](?:[A-Za-z0-9_\-./=@+]*[A-Za-z0-9_])?")
IDENTIFIER = re.compile(r"[_./=@0-9]|^[A-Z][A-Z0-9\-]*$|^[IVX]+$")
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
NAMES = {"oracle", "champion", "Brier", "Spearman", "git", "k"}
"""Words a Japanese card keeps: the oracle candidate and the registry's champion alias (both
identifiers a reviewer types), two proper names, the tool git, and the capacity's symbol k."""
JAPANESE_BY_NATURE = ("面前DV", "重大な結果", "児童虐待防止対策の強化に向けた緊急総合対策")
"""Japanese an English card quotes: a kind of notice and the names of two official texts."""


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.getbasetemp()
    _dv_started(root)  # the DV run alongside the CI run
    intake = ci_run(root)
    dv = dv_run(root)
    return {"intake": (intake, intake.runs[RUNS["intake"]]), "dv": (dv, dv.runs[RUNS["dv"]])}


@pytest.fixture(scope="module")
def cards(runs):
    out = {}
    for kind, (store, run_id) in runs.items():
        for lang in ("ja", "en"):
            card = build_card(run_id, lang=lang, client=store.client)
            out[kind, lang] = (card, render_markdown(card))
    return out


def _section(card: dict, sid: str) -> dict:
    return next(s for s in card["sections"] if s["id"] == sid)


def _shown_as_they_are(card: dict) -> list[str]:
    """Names and quotations a card shows in any language (see the module's docstring)."""
    model = _section(card, "model")
    facts = {f["key"]: f["value"] for f in model["facts"]}
    keep = [card["run"]["run_name"], facts["registered_model"], facts["git_commit"]]
    keep += [facts["calibration"], *facts["candidates"].split(", ")]
    keep += [r[0] for tb in model["tables"] if "checklist" in tb["caption"] for r in tb["rows"]]
    for table in _section(card, "data")["tables"]:
        if len(table["columns"]) == 2:  # the published aggregates: dimension, cited sources
            keep += [part for row in table["rows"] for part in row[1].split("; ")]
    return sorted(set(keep), key=len, reverse=True)


def english_words(card: dict, markdown: str) -> list[str]:
    text = CODE_SPAN.sub(" ", markdown)
    kept = _shown_as_they_are(card)
    for phrase in (k for k in kept if " " in k):  # a cited source
        text = text.replace(phrase, " ")
    names = NAMES | {k for k in kept if " " not in k}  # whole words only: not inside a column
    return [w for w in LATIN_WORD.findall(text) if not IDENTIFIER.search(w) and w not in names]


def japanese_left(card: dict, markdown: str) -> list[str]:
    text = markdown
    for kept in (*_shown_as_they_are(card), *JAPANESE_BY_NATURE):
        text = text.replace(kept, " ")
    return [line for line in text.splitlines() if JAPANESE.search(line)]


@pytest.mark.parametrize("kind", RUNS)
def test_the_japanese_card_has_no_english_word_left(cards, kind):
    card, markdown = cards[kind, "ja"]
    assert english_words(card, markdown) == []
    # the ones found before, by name
    for english in ("synthetic", " notices)", "(base points)", "per unit", ": False", " vs "):
        assert english not in markdown, english
    assert "学習の目的変数：recorded" not in markdown


def test_the_tokenizer_finds_english_and_passes_identifiers(cards):
    card, markdown = cards["intake", "ja"]
    planted = markdown + "\n- 通告 `code span` injury=serious R-SEVERE AUC lightgbm (base points)\n"
    assert english_words(card, planted) == ["base", "points"]


@pytest.mark.parametrize("kind", RUNS)
def test_the_english_card_has_no_japanese_left(cards, kind):
    card, markdown = cards[kind, "en"]
    assert japanese_left(card, markdown) == []
    assert japanese_left(card, markdown + "\n較正\n") == ["較正"]


def test_the_dv_card_leaves_out_what_a_routing_run_does_not_have(cards):
    for lang in ("en", "ja"):
        card, markdown = cards["dv", lang]
        assert "tiers" not in {s["id"] for s in card["sections"]}  # routes, in their section
        assert (
            "No tier confusion" not in markdown
            and "区分の混同行列が記録されていない" not in markdown
        )
        assert "No global explanations were logged" not in markdown
        explanations = _section(card, "explanations")["notes"][0]
        assert ("not computed for DV-witness" if lang == "en" else "全体的な説明を計算しない") in (
            explanations
        )
        for section in card["sections"]:
            for table in section["tables"]:
                for column, name in enumerate(table["columns"][1:], start=1):
                    values = {str(row[column]) for row in table["rows"]}
                    assert values != {"—"}, (section["id"], table["caption"], name)
    perf = _section(cards["dv", "en"][0], "performance")
    assert all("under-triage" not in tb["columns"] for tb in perf["tables"])
    intake = _section(cards["intake", "en"][0], "performance")  # an intake card keeps it
    assert all("under-triage" in tb["columns"] for tb in intake["tables"])


def test_the_intended_use_fits_the_runs_pipeline(cards):
    def intended(kind: str, lang: str) -> str:
        return " ".join(_section(cards[kind, lang][0], "intended_use")["lists"][0]["items"])

    assert "route" in intended("dv", "en") and "municipality" in intended("dv", "en")
    assert "priority tier" not in intended("dv", "en")
    assert "振り分け" in intended("dv", "ja") and "緊急度区分を提案" not in intended("dv", "ja")
    assert "priority tier" in intended("intake", "en")
    assert "緊急度区分を提案" in intended("intake", "ja")


def test_the_audit_is_recommended_for_a_run_with_test_predictions(runs):
    # The section as it is before any audit: test_report.py audits the shared CI run, and
    # whether it has done so yet depends on the order the files run in.
    for kind in RUNS:
        store, run_id = runs[kind]
        run = read_card_inputs(store.client, run_id).run
        for lang in ("en", "ja"):
            note = fairness_section(run, None, lang, {})["notes"][0]
            assert f"`triage audit --run {run_id}`" in note, (kind, lang)


def test_a_run_without_test_predictions_must_be_made_again(runs):
    store, _ = runs["dv"]
    client = store.client
    exp = client.get_experiment_by_name("dv-witness-routing-ci")
    run_id = client.create_run(exp.experiment_id, tags={"chosen_candidate": "lightgbm"}).info.run_id
    client.log_metric(run_id, "true.lightgbm.auc", 0.9)  # a model run, as logged before
    client.set_terminated(run_id)
    for lang, again in (("en", "make the run again"), ("ja", "実行をやり直し")):
        note = _section(build_card(run_id, lang=lang, client=client), "fairness")["notes"][0]
        assert "triage audit --run" not in note and again in note and PREDICTIONS_PATH in note


def test_whether_predictions_were_logged_is_read_from_the_listing_never_downloaded():
    def refuse(path: str) -> bytes | None:
        raise AssertionError(f"downloaded {path}")

    def record(listed: list[str]) -> RunRecord:
        folders = {"audit_inputs": listed}
        return RunRecord(
            "0" * 32, "1", None, {}, {}, {}, fetch=refuse,
            list_folder=lambda folder: folders.get(folder, []),
        )  # fmt: skip

    assert record([PREDICTIONS_PATH]).has(PREDICTIONS_PATH)
    assert not record([]).has(PREDICTIONS_PATH)
    with_predictions = fairness_section(record([PREDICTIONS_PATH]), None, "en", {})
    assert "`triage audit --run 0000" in with_predictions["notes"][0]
    without = fairness_section(record([]), None, "en", {})
    assert "make the run again" in without["notes"][0]


def test_the_audit_settings_are_shown_in_japanese_and_as_logged_in_english():
    from triage.report.sections.audit_settings import flag_rule, model_inputs

    assert flag_rule("route in {cgc}", "ja") == "振り分け先が「児童相談所」のとき"
    assert (
        flag_rule("tier in {immediate, urgent}", "ja")
        == "提案された区分が「即時対応」・「早期対応」のとき"
    )
    assert flag_rule("route in {cgc}", "en") == "route in {cgc}"
    assert flag_rule("recorded_harm (a label)", "ja") == "recorded_harm (a label)"  # not ours
    assert model_inputs("sensitive features were not model inputs", "ja") == (
        "機微な属性はモデルの入力に使用していない"
    )
    assert model_inputs("sensitive features were not model inputs", "en").startswith("sensitive")
