"""Whether a run routes DV-witness notices, and what the card says differently for one.

A routing run (``dv_witness_sorting``) suggests a route, the child guidance centre
or the municipality, not a tier: its card speaks of routes and the CGC's daily
capacity, has no tier confusion, and says why it has no global explanations.
``is_routing_run`` is the card's one test of it. The sentences that differ are
here, in English and Japanese, beside the code that uses them (as ``ground_truth``
keeps its own); each key is the key of ``triage.report._text.TEXT`` it replaces.
"""

from __future__ import annotations

from triage.report._text import TEXT, t
from triage.report.reader import RunRecord

ROUTING_CAPACITY = "routing.cgc_per_day"
"""The metric only a DV-witness routing run logs: the CGC's capacity its routes depend on."""

# Each entry: (English, Japanese), as in ``triage.report._text``.
ROUTING_TEXT: dict[str, tuple[str, str]] = {
    "intended": (
        "Decision support for DV-witness (面前DV) notices from the police: the model suggests "
        "a route, the child guidance centre or the municipality, within the centre's daily "
        "capacity; a qualified worker decides every case.",
        "警察からの面前DV通告の振り分けにおける意思決定支援：モデルは児童相談所の1日の対応能力の"
        "範囲で、振り分け先（児童相談所か市町村）を提案する。すべてのケースは資格を持つ職員が判断する。",
    ),
    "oos_rules": (
        "Not a replacement for the national rules: a notice routed to the municipality whose "
        "child cannot be seen safe within 48 hours goes to the child guidance centre "
        "(R-MUNI-48H), whatever the model suggested.",
        "国のルールの代わりにはならない：市町村に振り分けた通告で48時間以内に安全確認ができない場合は、"
        "モデルの提案にかかわらず児童相談所へ送致する（R-MUNI-48H）。",
    ),
    "perf_intro": (
        "Test period; estimate [{level} interval] from {n_boot} bootstrap resamples{capacity}. "
        "Here the outcome is the route (1: the child guidance centre). 'oracle' scores with "
        "the true probability of harm (the best possible); 'dv_checklist' is the rule "
        "baseline closest to current practice.",
        "テスト期間。推定値［{level}区間］、ブートストラップ {n_boot} 回{capacity}。"
        "ここでの結果は振り分け先（1：児童相談所）。「oracle」は真の危害確率による採点（到達可能な上限）、"
        "「dv_checklist」は現行の実務に最も近いルールベースの基準。",
    ),
    "no_explanations": (
        "Global explanations are not computed for DV-witness routing runs: the model section's "
        "scorecard points and the routing section show what moves a route.",
        "面前DV通告の振り分けの実行では全体的な説明を計算しない：何が振り分け先を左右するかは、"
        "モデルの節のスコアカードの配点と振り分けの節が示す。",
    ),
    "lim_capacity": (
        "Routes depend on the capacity assumption logged as routing.cgc_per_day: the riskiest "
        "notices up to that number a day go to the CGC; another capacity gives other routes.",
        "振り分け先は routing.cgc_per_day として記録された対応能力の仮定に依存する：1日あたりその件数"
        "までリスクの高い通告を児童相談所に送る。対応能力が変われば振り分け先も変わる。",
    ),
}


def is_routing_run(run: RunRecord) -> bool:
    return ROUTING_CAPACITY in run.metrics


def text(run: RunRecord, key: str, lang: str, **fmt: object) -> str:
    """The card's sentence ``key`` for this run: the routing one when the run routes and
    there is one, else the common one."""
    table = ROUTING_TEXT if is_routing_run(run) and key in ROUTING_TEXT else TEXT
    return t(table, key, lang, **fmt)
