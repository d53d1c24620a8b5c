"""Whether a run had ground truth, and what the card says when it had not.

A run on data without the simulator's truth (an agency's records, or notices
synthesized from an aggregates release) is tagged ``data.ground_truth: none``
(``triage.experiment.outcomes``); ``has_ground_truth`` is the card's one test
of it. Such a run is judged against recorded outcomes only, so every section
reads its ``recorded`` figures and says so. A run whose notices came from a
release also says, in its data section, that it was trained from anonymized
aggregates, by which method and at what level (``release.*`` tags).

The sentences are here, in English and Japanese, beside the code that uses them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from triage.experiment.outcomes import GROUND_TRUTH_TAG, NO_GROUND_TRUTH
from triage.report._text import t
from triage.report.reader import RunRecord

# Each entry: (English, Japanese), as in ``triage.report._text``.
TEXT: dict[str, tuple[str, str]] = {
    "no_ground_truth": (
        "No ground truth: evaluated against recorded outcomes only. A record holds what was "
        "noticed and written down, with the biases of past recording; there is no oracle "
        "(true probability of harm) to compare with and no truth check.",
        "真値なし：記録上の結果のみで評価した。記録は気づかれ書き残されたことであり、過去の記録の偏りを"
        "含む。比較する oracle（真の危害確率）も、真値との照合もない。",
    ),
    "label_bias": (
        "Training target: {target}. Recorded labels carry the biases of past recording "
        "(who is noticed, what is written down); without ground truth the evaluation uses "
        "the same recorded outcomes, so it cannot show that bias.",
        "学習の目的変数：{target}。記録ラベルには過去の記録の偏り（誰が気づかれ、何が書き残されるか）が"
        "含まれる。真値がないため評価も同じ記録上の結果で行っており、その偏りは示せない。",
    ),
    "release": (
        "Trained from anonymized aggregates: the notices were synthesized from the tables of "
        "release {release}, protected by {method}; no case record reached this run.",
        "匿名化された集計表から学習した：通告は公表集計表（{release}）から合成したものであり、"
        "集計表は{method}で保護されている。個々のケース記録はこの実行に渡っていない。",
    ),
    "sdc": ("small-cell suppression, k = {k}", "小セル秘匿 k = {k}"),
    "dp": (
        "differential privacy ε = {epsilon}, δ = {delta}",
        "差分プライバシー ε = {epsilon}, δ = {delta}",
    ),
    "perf_intro": (
        "Test period, recorded outcome; estimate [{level} interval] from {n_boot} bootstrap "
        "resamples{capacity}. Without ground truth there is no oracle to compare "
        "with; 'checklist' is the rule baseline closest to current practice.",
        "テスト期間、記録上の結果。推定値［{level}区間］、ブートストラップ {n_boot} 回"
        "{capacity}。真値がないため比較する oracle はない。「checklist」は現行の実務に最も近い"
        "ルールベースの基準。",
    ),
    "calibration_intro": (
        "Reliability of predicted risk against the recorded outcome on the test period "
        "(no ground truth).",
        "テスト期間における予測リスクと記録上の結果の信頼性図（真値なし）。",
    ),
    "tiers_intro": (
        "Rows: recorded tier; columns: suggested tier; test period, counts of notices. "
        "Under-triage is the share of notices recorded as immediate or urgent given a lower "
        "tier (no ground truth).",
        "行：記録上の区分、列：提案された区分（テスト期間、通告件数）。"
        "過小トリアージは、記録上即時または緊急とされた通告がより低い区分とされた割合（真値なし）。",
    ),
    "capacity_intro": (
        "Recall and precision (recorded outcome, worst tie ordering; the figure shades up to "
        "the best) when the centres can take the given number of notices a day over the "
        "{days}-day test period; the configured capacity is {configured} a day.",
        "テスト期間（{days}日間）に1日あたり所定の件数を受けられる場合の再現率と適合率（記録上の結果、"
        "同順位は最悪の順序。図では最良の順序までを網掛け）。設定された対応能力は1日 {configured} 件。",
    ),
    "no_truth_check": (
        "No truth check: without ground truth there are no known effects to compare the "
        "explanations with.",
        "真値との照合なし：真値がないため、説明と比べる既知の効果がない。",
    ),
    "champion_intro": (
        "Deltas of the chosen candidate against the champion {model} version {version} "
        "(run {run}); recorded outcome (not both runs had ground truth), this run minus the "
        "champion.",
        "選ばれた候補と champion（{model} バージョン {version}、実行 {run}）との差。"
        "記録上の結果（両方の実行に真値があるわけではない）、この実行 − champion。",
    ),
    "lim_recorded_only": (
        "Results are measured against recorded outcomes only: they show how well the model "
        "reproduces past recording, not how well it finds the children who came to harm; "
        "the biases of recording are learned and go unmeasured.",
        "結果は記録上の結果のみで測定したものであり、モデルが過去の記録をどれだけ再現するかを示すが、"
        "実際に危害を受けた子どもをどれだけ見つけるかは示さない。記録の偏りは学習され、測定されない。",
    ),
    "lim_release": (
        "The notices were synthesized from released tables: relations between fields that no "
        "released table holds are lost, and {method} removes or blurs small counts; results "
        "on real notices may differ.",
        "通告は公表集計表から合成したもの：どの集計表にも含まれない項目間の関係は失われ、"
        "{method}により小さな度数は秘匿またはぼかされる。実際の通告での結果は異なり得る。",
    ),
}

FACTS: dict[str, tuple[str, str]] = {
    "ground_truth": ("ground truth", "真値"),
    "release_method": ("disclosure control of the release", "公表集計表の開示制御"),
    "release_budget": ("privacy budget spent (OpenDP)", "消費したプライバシー予算（OpenDP）"),
    "release_spec_digest": ("release spec digest", "公表仕様のダイジェスト"),
    "release_records": ("records the agency tabulated", "機関が集計した記録数"),
}

WORDS: dict[str, tuple[str, str]] = {
    "none_recorded_only": ("none: recorded outcomes only", "なし：記録上の結果のみ"),
    "recorded_tier": ("recorded tier", "記録上の区分"),
    "no_budget": (
        "none (suppression gives no formal privacy guarantee)",
        "なし（秘匿は形式的なプライバシー保証ではない）",
    ),
}

_EXPONENT = re.compile(r"e([+-])0*(\d)")


def has_ground_truth(run: RunRecord) -> bool:
    """Whether the run's data held the simulator's truth (a run says so only when not)."""
    return run.tags.get(GROUND_TRUTH_TAG) != NO_GROUND_TRUTH


def headline_outcome(run: RunRecord) -> str:
    """The outcome the run is judged on first: ``true``, or ``recorded`` without ground truth."""
    return "true" if has_ground_truth(run) else "recorded"


def words(key: str, lang: str, **fmt: object) -> str:
    """A sentence of ``TEXT`` in ``lang``."""
    return t(TEXT, key, lang, **fmt)


def fact(key: str, value: Any, lang: str) -> dict[str, str]:
    return {"key": key, "label": t(FACTS, key, lang), "value": "" if value is None else str(value)}


def from_release(run: RunRecord) -> bool:
    return "release.method" in run.tags


def release_method(run: RunRecord, lang: str) -> str:
    """The release's protection and its level: ``small-cell suppression, k = 10``."""
    method = run.tags.get("release.method", "")
    params = _mapping(run.tags.get("release.parameters"))
    if method == "sdc":
        return words("sdc", lang, k=_number(params.get("k")))
    if method == "dp":
        return words(
            "dp", lang, epsilon=_number(params.get("epsilon")), delta=_number(params.get("delta"))
        )
    return method or "?"


def release_note(run: RunRecord, lang: str) -> str:
    source = run.tags.get("data.source", "")
    name = Path(source.removeprefix("release ")).name or "?"  # the folder's name, not its path
    return words("release", lang, release=name, method=release_method(run, lang))


def release_facts(run: RunRecord, lang: str) -> list[dict[str, str]]:
    tags = run.tags
    budget = _mapping(tags.get("release.budget"))
    budget_text = (
        ", ".join(f"{k} = {_number(v)}" for k, v in budget.items())
        if budget
        else t(WORDS, "no_budget", lang)
    )
    facts = [
        fact("release_method", release_method(run, lang), lang),
        fact("release_budget", budget_text, lang),
        fact("release_spec_digest", tags.get("release.spec_digest"), lang),
    ]
    if "release.records" in tags:
        facts.append(fact("release_records", tags["release.records"], lang))
    return facts


def _mapping(text: str | None) -> dict[str, Any]:
    """A tag written as compact JSON (``triage.experiment.data.release_tags``); ``{}`` if not."""
    if not text or text == "none":
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> str:
    """``1.0`` → ``1``, ``1e-06`` → ``1e-6``; anything else as written."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "?" if value is None else str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return _EXPONENT.sub(r"e\1\2", f"{value:g}")
