"""Fixed words of the review of people's decisions (``triage decisions analyse`` and ``/review``).

Pure data, (en, ja) like the catalogue's tables; ``{name}`` fields are filled in.
Tiers, routes, fields and their values are the catalogue's own labels
(``tier_label``, ``field_label``, ``value_label``), never repeated here.
"""

from __future__ import annotations

REVIEW_TEXT: dict[str, tuple[str, str]] = {
    "title": ("What people decided: suggestions and decisions", "判断の振り返り：提案と実際の判断"),
    "header": (
        "{n} decided notices (the latest decision on each) · generated {generated}",
        "判断済みの通告 {n} 件（各通告の最新の判断）· 作成 {generated}",
    ),
    "aggregates_only": (
        "Aggregates only: no notice id, no worker's name, no reason's text. Groups with fewer "
        "than {min_n} decisions are suppressed. Intervals: {level:.0%} (Wilson for shares, "
        "paired bootstrap of {n_boot} resamples, seed {seed}, for ratios, kappa and gaps).",
        "集計値のみ：通告ID、職員の氏名、理由の文面は含まない。判断が {min_n} 件未満の集団は秘匿する。"
        "区間は {level:.0%}（割合は Wilson、比・カッパ・格差は {n_boot} 回の対応のあるブートストラップ、"
        "シード {seed}）。",
    ),
    # sections
    "s_summary": ("Summary", "概要"),
    "s_agreement": ("Agreement between suggestion and decision", "提案と判断の一致"),
    "s_overrides": ("How often the suggestion was overridden", "提案が変更された割合"),
    "s_direction": ("Direction of overrides", "変更の方向"),
    "s_groups": ("Overrides by group", "集団別の変更"),
    "s_gaps": (
        "Gaps between groups: suggestions and final decisions",
        "集団間の格差：提案と最終判断",
    ),
    "s_timing": ("Time from receipt to decision", "受理から判断までの時間"),
    "s_reasons": ("Override reasons (length only)", "変更理由（文字数のみ）"),
    "s_truth": (
        "Overrides and the true tier (synthetic notices)",
        "変更と真の緊急度（合成データ）",
    ),
    # facts
    "f_decisions": ("Decided notices", "判断済みの通告"),
    "f_workers": ("Workers who decided", "判断した職員の数"),
    "f_per_worker": (
        "Decisions per worker (median, most)",
        "職員1人あたりの判断件数（中央値、最大）",
    ),
    "f_overridden": ("Tier overridden", "緊急度の変更"),
    "f_kappa": (
        "Weighted kappa (linear), suggestion vs decision",
        "重み付きカッパ（線形）：提案と判断",
    ),
    "f_up": (
        "Overridden upward (of those that could go up)",
        "上方への変更（上げられるもののうち）",
    ),
    "f_down": (
        "Overridden downward (of those that could go down)",
        "下方への変更（下げられるもののうち）",
    ),
    "f_below_floor": (
        "Decided below the rules' floor (of notices with a floor)",
        "ルールの下限を下回る判断（下限のある通告のうち）",
    ),
    "f_route": ("DV route overridden (DV-witness notices)", "面前DVの振り分けの変更（面前DV通告）"),
    "f_reasons": ("Overrides with a reason", "理由のある変更"),
    "f_median_chars": ("Median length (characters)", "文字数の中央値"),
    "f_p90_chars": ("90th percentile (characters)", "文字数の90パーセンタイル"),
    "f_truth_n": (
        "Overrides on notices with a true tier (of all overrides)",
        "真の緊急度のある通告での変更（全変更のうち）",
    ),
    # notes
    "agreement_note": (
        "Kappa within one suggested tier is undefined (the suggestion does not vary), so each "
        "tier shows the share of its suggestions kept and its own kappa (is this tier, "
        "suggested vs decided).",
        "提案が一つの緊急度に限られるとカッパは定義できないため、緊急度ごとに提案どおりの割合と、"
        "その緊急度か否かについてのカッパを示す。",
    ),
    "groups_note": (
        "Rates with their Wilson interval; the ratio to the reference group ({reference}) with "
        "the audit's paired bootstrap interval, flagged when the interval excludes 1 and the "
        "ratio lies outside {low:g}-{high:g}.",
        "割合と Wilson 区間。基準集団（{reference}）との比と監査の対応のあるブートストラップ区間。"
        "区間が1を含まず、比が {low:g}〜{high:g} の外にあるときフラグを立てる。",
    ),
    "gaps_note": (
        "Share sent {tiers} in each group, by the suggestion and by the decision. The gap is "
        "the largest share over the smallest (ratio) and the largest minus the smallest "
        "(difference); a change whose interval lies above 0 widened the gap, below 0 narrowed it.",
        "各集団で {tiers} とされた割合（提案と判断）。格差は最大の割合と最小の割合の比、および差。"
        "変化の区間が0より上なら格差は拡大、0より下なら縮小。",
    ),
    "timing_note": (
        "Hours from the notice's receipt to the latest decision on it.",
        "通告の受理から最新の判断までの時間（時間単位）。",
    ),
    "reasons_note": (
        "The text of reasons is never shown; decisions record no reason categories.",
        "理由の文面は示さない。判断の記録に理由の分類はない。",
    ),
    "truth_note": (
        "Toward: the decided tier is nearer the true tier than the suggestion was; away: "
        "farther; neither: as near.",
        "近づいた：判断した緊急度が提案より真の緊急度に近い。遠ざかった：より遠い。変わらず：同じ距離。",
    ),
    "no_truth_rows": (
        "None of the overridden notices has a row in the truth file.",
        "変更された通告のいずれも真値ファイルにない。",
    ),
    "nothing": ("None.", "なし。"),
    # table captions
    "t_table": (
        "Suggested tier (rows) × decided tier (columns), notices",
        "提案された緊急度（行）× 判断した緊急度（列）、件数",
    ),
    "t_by_tier": ("By suggested tier", "提案された緊急度別"),
    "t_by_route": ("By suggested DV route", "提案された面前DVの振り分け別"),
    "t_by_floor": ("By the rules' floor", "ルールの下限の有無別"),
    "t_by_floor_rule": ("By floor rule fired", "発動した下限ルール別"),
    "t_measure_any": ("Any tier override, by group", "集団別の緊急度の変更"),
    "t_measure_up": (
        "Upward overrides, by group (of those that could go up)",
        "集団別の上方への変更（上げられるもののうち）",
    ),
    "t_measure_down": (
        "Downward overrides, by group (of those that could go down)",
        "集団別の下方への変更（下げられるもののうち）",
    ),
    "t_shares": ("Share sent {tiers}, by group", "集団別の {tiers} の割合"),
    "t_gaps": ("Gap between groups, by feature", "属性ごとの集団間の格差"),
    "t_truth": ("Where overrides moved", "変更の向かった先"),
    # columns
    "c_tier": ("suggested tier", "提案された緊急度"),
    "c_n": ("decisions", "判断件数"),
    "c_kept": ("kept [interval]", "提案どおり [区間]"),
    "c_kappa": ("kappa of this tier", "この緊急度のカッパ"),
    "c_rate": ("rate [interval]", "割合 [区間]"),
    "c_overridden": ("overridden", "変更"),
    "c_up": ("up", "上方"),
    "c_down": ("down", "下方"),
    "c_feature": ("feature", "属性"),
    "c_group": ("group", "集団"),
    "c_ratio": ("ratio to reference [interval]", "基準との比 [区間]"),
    "c_status": ("status", "判定"),
    "c_suggested": ("suggestions [interval]", "提案 [区間]"),
    "c_decided": ("decisions [interval]", "判断 [区間]"),
    "c_measure": ("gap", "格差"),
    "c_gap_suggested": ("suggestions", "提案"),
    "c_gap_decided": ("decisions", "判断"),
    "c_change": ("change [interval]", "変化 [区間]"),
    "c_verdict": ("verdict", "判定"),
    "c_median_h": ("median (hours)", "中央値（時間）"),
    "c_p90_h": ("90th percentile (hours)", "90パーセンタイル（時間）"),
    "c_chars": ("length (characters)", "文字数"),
    "c_where": ("moved", "向かった先"),
    "c_share": ("share [interval]", "割合 [区間]"),
    "c_key": ("", ""),
    # values
    "all": ("all decisions", "すべての判断"),
    "no_route": ("not a DV-witness notice", "面前DV通告ではない"),
    "ref_largest": ("the largest group shown", "表示される最大の集団"),
    "floor_absent": ("no floor", "下限なし"),
    "floor_present": ("a floor applied", "下限あり"),
    "m_ratio": ("ratio (largest / smallest)", "比（最大／最小）"),
    "m_difference": ("difference (largest − smallest)", "差（最大−最小）"),
    "v_widened": ("widened", "拡大"),
    "v_narrowed": ("narrowed", "縮小"),
    "v_no_clear_change": ("no clear change", "明確な変化なし"),
    "v_mixed": ("mixed", "一定しない"),
    "st_suppressed": ("suppressed (fewer than {min_n})", "秘匿（{min_n} 件未満）"),
    "st_reference": ("reference", "基準"),
    "st_flag": ("flag", "フラグ"),
    "st_pass": ("within the band", "許容範囲内"),
    "st_undefined": ("undefined", "定義できない"),
    "st_no events": ("no events", "事象なし"),
    "toward": ("toward the true tier", "真の緊急度に近づいた"),
    "away": ("away from it", "遠ざかった"),
    "neither": ("neither", "変わらず"),
    "chars_range": ("{lo}–{hi}", "{lo}〜{hi}"),
    "chars_over": ("over {lo}", "{lo} 超"),
    # the reviewers' page
    "page_empty": (
        "No decision has been recorded yet: there is nothing to review.",
        "まだ判断が記録されていないため、振り返る内容がありません。",
    ),
    "page_error": ("The review cannot be made: {detail}", "振り返りを作成できません：{detail}"),
}
"""The review's words, (en, ja)."""
