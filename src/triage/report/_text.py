"""The card's fixed words in English and Japanese: one place for headings and sentences."""

from __future__ import annotations

from triage.labels.catalogue import AUDIT_METRIC_LABELS, FIGURE_TEXT

LANGS: tuple[str, ...] = ("en", "ja")

TITLES: dict[str, tuple[str, str]] = {
    "card": ("Model card", "モデルカード"),
    "intended_use": ("Intended use and out-of-scope use", "想定される用途と想定外の用途"),
    "data": ("Data", "データ"),
    "model": ("Model", "モデル"),
    "performance": ("Performance", "性能"),
    "calibration": ("Calibration", "較正"),
    "tiers": ("Tier confusion and under-triage", "緊急度区分の混同行列と過小トリアージ"),
    "capacity": ("Capacity curve", "対応能力曲線"),
    "explanations": ("Global explanations", "全体的な説明"),
    "fairness": ("Fairness", "公平性"),
    "safety_floor": ("Safety-floor rules", "安全基準ルール"),
    "routing": ("DV-witness routing", "面前DV通告の振り分け"),
    "limitations": ("Limitations and ethical considerations", "限界と倫理的配慮"),
    "comparison": ("Comparison with the champion", "現行モデル（champion）との比較"),
    "sign_off": ("Reviewer sign-off", "審査者の承認"),
}

# Each entry: (English, Japanese).
TEXT: dict[str, tuple[str, str]] = {
    "intended": (
        "Decision support for the intake triage of child-abuse notices: the model suggests "
        "a priority tier, shows the rules that fired and the reasons; a qualified worker "
        "decides every case.",
        "児童虐待通告の受理時トリアージにおける意思決定支援：モデルは緊急度区分を提案し、"
        "適用されたルールと理由を示す。すべてのケースは資格を持つ職員が判断する。",
    ),
    "research": (
        "A research instrument (emergency measures 2018, section 3) for comparing models "
        "on synthetic data with known truth.",
        "既知の真値を持つ合成データでモデルを比較するための研究用ツール（2018年緊急総合対策 3）。",
    ),
    "oos_automated": (
        "Not for automated decisions of any kind: screening out, closing a case or "
        "deciding on temporary protection.",
        "いかなる自動判断にも使用しない：スクリーニングアウト、ケースの終結、一時保護の判断を含む。",
    ),
    "oos_low_score": (
        "A low score is not evidence of safety.",
        "低いスコアは安全の証拠ではない。",
    ),
    "oos_rules": (
        "Not a replacement for the national safety-floor rules: a model may raise a "
        "notice's urgency above their floor, never lower it.",
        "国の安全基準ルールの代わりにはならない：モデルは緊急度を基準より上げることはできるが、"
        "下げることはできない。",
    ),
    "oos_real_data": (
        "Not for real case data without its own validation, fairness audit and approval.",
        "独自の検証・公平性監査・承認なしに実際のケースデータに使用しない。",
    ),
    "lesson_child_voice": (
        "Japan's national temporary-protection AI was shelved (2025) after a child's own "
        "account was outweighed by the absence of bruises: hard rules sit above the "
        "score and the child's own account is a first-class input.",
        "国の一時保護AIは、子ども本人の訴えがあざの有無に負けたことなどから2025年に見送られた："
        "ルールはスコアの上に置かれ、子ども本人の訴えは重要な入力である。",
    ),
    "lesson_bare_probability": (
        "A 'protection rate 39%' was cited in deciding not to protect a child who then "
        "died (Mie, 2023): never show a bare probability as a verdict.",
        "「保護率39%」が保護しない判断の根拠に挙げられ、その子どもが亡くなった（三重県、2023年）："
        "確率だけを結論として示さない。",
    ),
    "lesson_capacity": (
        "Illinois dropped a tool in 2017 that flagged thousands of children at 90%+ "
        "while missing deaths: watch alert volume against capacity and calibration.",
        "イリノイ州は2017年、多数の子どもを90%以上と判定しながら死亡例を見逃したツールを廃止した："
        "対応能力に対するアラート数と較正を監視する。",
    ),
    "lesson_audit": (
        "Allegheny County's screening tool showed subgroup gaps and an input bug: record "
        "every human decision and override, audit error rates by subgroup, check inputs.",
        "アレゲニー郡のスクリーニングツールでは属性間の格差と入力の不具合が見つかった："
        "人の判断と上書きをすべて記録し、属性ごとに誤り率を監査し、入力を検査する。",
    ),
    "lesson_past_practice": (
        "Models trained on past staff decisions mirror past practice: the synthetic truth "
        "separates what happened from what was recorded.",
        "過去の職員判断から学習したモデルは過去の実務を再現する：合成データの真値は、"
        "実際に起きたことと記録されたことを区別する。",
    ),
    "data_synthetic": (
        "Synthetic notices generated from a versioned specification calibrated to "
        "published national aggregates; no real case record was used.",
        "公表された全国集計値に合わせて較正した、版管理された仕様から生成した合成通告。"
        "実際のケース記録は使用していない。",
    ),
    "data_not_synthetic": (
        "Data source as tagged on the run; see the data fingerprint.",
        "データの出所は実行のタグのとおり。データのフィンガープリントを参照。",
    ),
    "aggregates_unknown": (
        "The published aggregates behind this spec could not be identified (the spec "
        "digest does not match the packaged default spec).",
        "この仕様の基になった公表集計値は特定できなかった（仕様のダイジェストが既定の仕様と一致しない）。",
    ),
    "aggregates_intro": (
        "Published aggregates the generator is calibrated to (file {file}, fiscal year "
        "{year}); full source references are in that file.",
        "生成器が較正に用いた公表集計値（ファイル {file}、{year}年度）。出典の詳細はこのファイルにある。",
    ),
    "label_bias": (
        "Training target: {target}. Recorded labels carry the biases of past recording "
        "(who is noticed, what is written down); evaluation uses both the recorded and the "
        "true outcome.",
        "学習の目的変数：{target}。記録ラベルには過去の記録の偏り（誰が気づかれ、何が書き残されるか）が"
        "含まれる。評価は記録上の結果と真の結果の両方で行う。",
    ),
    "window": ("{lo} .. {hi} ({n} notices)", "{lo} .. {hi}（{n} 件）"),
    "route_target": (
        "routed to the child guidance centre by the {outcome} ({column} == cgc)",
        "{outcome}における児童相談所への振り分け",
    ),
    "aggregates_cited": (
        "Sources are cited as that file gives them.",
        "出典は同ファイルの記載のまま示す。",
    ),
    "recording_bias_caption": (
        "recorded-label biases of the generator spec (data/recording_bias.json)",
        "生成仕様の記録ラベルの偏り（data/recording_bias.json）",
    ),
    "scorecard_caption": (
        "scorecard points (models/scorecard_points.csv)",
        "scorecard 候補の配点（models/scorecard_points.csv）",
    ),
    "checklist_caption": (
        "checklist questions (models/checklist_questions.json)",
        "checklist 候補の質問（models/checklist_questions.json）",
    ),
    "rules_caption": (
        "National safety-floor rules (triage.rules.RULES)",
        "国の安全基準ルール（triage.rules.RULES）",
    ),
    "candidates_compared": ("{mine} vs {theirs}", "{mine}（この実行）と {theirs}（champion）"),
    "no_scorecard": (
        "No scorecard table was logged for this run.",
        "この実行ではスコアカード表が記録されていない。",
    ),
    "no_monotone": (
        "No candidate of this run was fitted under monotone constraints.",
        "この実行の候補モデルはいずれも単調性制約なしで学習された。",
    ),
    "monotone_caption": (
        "monotone constraints ({candidates}): these inputs can only raise the predicted risk",
        "単調性制約（{candidates}）：これらの入力は予測リスクを上げる方向にしか働かない",
    ),
    "perf_intro": (
        "Test period; estimate [{level} interval] from {n_boot} bootstrap resamples{capacity}. "
        "'oracle' scores with the true probability of harm (the best "
        "possible); 'checklist' is the rule baseline closest to current practice.",
        "テスト期間。推定値［{level}区間］、ブートストラップ {n_boot} 回{capacity}。"
        "「oracle」は真の危害確率による採点（到達可能な上限）、「checklist」は現行の実務に最も近い"
        "ルールベースの基準。",
    ),
    "capacity_k": ("; capacity k = {k}", "。対応能力 k = {k}"),
    "no_performance": (
        "No performance metrics were logged for this run.",
        "この実行では性能指標が記録されていない。",
    ),
    "calibration_intro": (
        "Reliability of predicted risk against the true outcome on the test period.",
        "テスト期間における予測リスクと真の結果の信頼性図。",
    ),
    "no_calibration_plot": (
        "No calibration plot was logged for this run.",
        "この実行では較正図が記録されていない。",
    ),
    "tiers_intro": (
        "Rows: true tier; columns: suggested tier; test period, counts of notices. "
        "Under-triage is the share of truly urgent notices given a lower tier.",
        "行：真の区分、列：提案された区分（テスト期間、通告件数）。"
        "過小トリアージは、真に緊急な通告がより低い区分とされた割合。",
    ),
    "no_tiers": (
        "No tier confusion tables were logged for this run.",
        "この実行では区分の混同行列が記録されていない。",
    ),
    "explanations_intro": (
        "Mean absolute contribution to the {model} model's margin ({units}) over {n} "
        "sampled test notices. Contributions describe the model, not causes.",
        "{model} モデルのマージン（{units}）への平均絶対寄与、テスト通告 {n} 件の標本。"
        "寄与はモデルの説明であり、原因ではない。",
    ),
    "no_explanations": (
        "No global explanations were logged for this run.",
        "この実行では全体的な説明が記録されていない。",
    ),
    "truth_intro": (
        "Truth check: agreement between the explanations and the generator's known effects.",
        "真値との照合：説明と生成器の既知の効果との一致度。",
    ),
    "no_fairness": (
        "No fairness audit was logged for this run: no audit run names it (tag audit.of_run) "
        "and the run holds no audit tables. Run `triage audit --run {run}` before any use; "
        "this card cannot say whom the model fails.",
        "この実行では公平性監査が記録されていない：この実行を対象とする監査の実行（タグ audit.of_run）"
        "も監査表もない。使用前に `triage audit --run {run}` で公平性監査を実施すること。"
        "このカードでは、モデルが誰に対して失敗するかを示せない。",
    ),
    "no_fairness_remake": (
        "No fairness audit was logged for this run: no audit run names it (tag audit.of_run) "
        "and the run holds no audit tables. The run logged no test predictions ({path}), so "
        "it cannot be audited: make the run again with this version of triage and audit the "
        "new run before any use; this card cannot say whom the model fails.",
        "この実行では公平性監査が記録されていない：この実行を対象とする監査の実行（タグ audit.of_run）"
        "も監査表もない。この実行はテスト予測（{path}）を記録していないため監査できない："
        "このバージョンの triage で実行をやり直し、使用前に新しい実行の公平性監査を実施すること。"
        "このカードでは、モデルが誰に対して失敗するかを示せない。",
    ),
    "fairness_intro": (
        "Fairness audit {run} of this run's test predictions ({n} audit run(s) name this run; "
        "the newest is shown). Aggregates only; groups below the minimum size are suppressed. "
        "Flags: the ratio to the reference group lies outside the band and its interval "
        "excludes 1. 'true' judges the model against what happened, 'recorded' against "
        "what a record would hold, 'labels' judges the recorded labels themselves.",
        "この実行のテスト予測に対する公平性監査 {run}（この実行を対象とする監査は {n} 件、最新のものを表示）。"
        "集計値のみ。最小件数未満の集団は秘匿。フラグ：基準集団との比が許容範囲外で、その区間が1を含まない。"
        "「真の結果」は実際に起きたこと、「記録上の結果」は記録に残ることに対するモデルの評価、"
        "「ラベルの偏り」は記録ラベルそのものの評価。",
    ),
    "flag_count": ("{flags} flagged of {of} disparities", "格差 {of} 件中 {flags} 件にフラグ"),
    "no_recording_bias": (
        "The recorded-label biases of the generator spec were not logged with this run.",
        "生成仕様の記録ラベルの偏りはこの実行に記録されていない。",
    ),
    "recording_bias_intro": (
        "Recorded-label biases planted in the generator spec (version {version}), on the "
        "log-odds scale: detection = P(harm is recorded | harm happened), false record = "
        "P(harm is recorded | no harm), tier perception = staff judgement of the tier. A "
        "positive term makes a record more likely (or the perceived tier higher) for that group.",
        "生成仕様（版 {version}）に組み込まれた記録ラベルの偏り（対数オッズ）。検出＝危害が起きたときに"
        "記録される確率、誤記録＝危害がないのに記録される確率、区分の知覚＝職員による区分の判断。"
        "正の値は、その集団で記録されやすい（または区分が高く判断されやすい）ことを示す。",
    ),
    "no_capacity": (
        "No capacity curve was logged for this run.",
        "この実行では対応能力曲線が記録されていない。",
    ),
    "capacity_figure_only": (
        "This run logged the capacity curve's figure but not its data: no table.",
        "この実行には対応能力曲線の図だけがあり、そのデータがない：表はない。",
    ),
    "capacity_intro": (
        "Recall and precision (true outcome, worst tie ordering; the figure shades up to the "
        "best) when the centres can take the given number of notices a day over the "
        "{days}-day test period; the configured capacity is {configured} a day.",
        "テスト期間（{days}日間）に1日あたり所定の件数を受けられる場合の再現率と適合率（真の結果、"
        "同順位は最悪の順序。図では最良の順序までを網掛け）。設定された対応能力は1日 {configured} 件。",
    ),
    "routing_intro": (
        "DV-witness (面前DV) police notices routed to the child guidance centre or to the "
        "municipality; the centres take {per_day} a day. Test period, true route: estimate "
        "[interval]; recorded route: point estimates. Under-routing: truly CGC notices sent "
        "to the municipality. 'oracle' routes by the true risk at the capacity cut, "
        "'oracle_cut' at the spec's own cut (the true route). Survey reference: centres "
        "judged {survey} of these notices mild (municipality) in 2023.",
        "警察からの面前DV通告を児童相談所か市町村に振り分ける。児童相談所の受け入れは1日 {per_day} 件。"
        "テスト期間、真の振り分け先：推定値［区間］。記録上の振り分け先：点推定。過小振り分け：真に児童相談所"
        "対応の通告を市町村に送った割合。「oracle」は真のリスクで対応能力の閾値により、「oracle_cut」は"
        "仕様の閾値（真の振り分け先）により振り分ける。調査の参照値：2023年に児童相談所はこれらの通告の"
        "{survey} を軽度（市町村）と判断した。",
    ),
    "rules_intro": (
        "National rules from the 2018 emergency measures (児童虐待防止対策の強化に向けた緊急総合対策). "
        "They apply to every notice regardless of the score.",
        "2018年「児童虐待防止対策の強化に向けた緊急総合対策」に基づく国のルール。"
        "スコアにかかわらずすべての通告に適用される。",
    ),
    "lim_synthetic": (
        "Results are measured on synthetic data; they do not show how the model would do "
        "on real notices.",
        "結果は合成データで測定したものであり、実際の通告での性能を示すものではない。",
    ),
    "lim_recorded": (
        "The model learns from recorded labels, which mirror past practice; the gap between "
        "recorded and true metrics shows part of that bias.",
        "モデルは過去の実務を反映した記録ラベルから学習する。記録上と真の指標の差はその偏りの一部を示す。",
    ),
    "lim_capacity": (
        "Tier cut points depend on the capacity assumptions logged as parameters "
        "(tiers.capacity.*); other capacity gives other tiers.",
        "区分の閾値はパラメータとして記録された対応能力の仮定（tiers.capacity.*）に依存する。"
        "対応能力が変われば区分も変わる。",
    ),
    "lim_intervals": (
        "Intervals are bootstrap intervals over test notices; they do not cover shifts "
        "in practice or population over time.",
        "区間はテスト通告に対するブートストラップ区間であり、実務や対象集団の経時的な変化は含まない。",
    ),
    "eth_sensitive": (
        "Case data is among the most sensitive there is: this card holds aggregates only, "
        "never a row-level notice.",
        "ケースデータは極めて機微な情報である。このカードは集計値のみを含み、個別の通告は含まない。",
    ),
    "eth_human": (
        "A person decides every case; every decision and override is recorded.",
        "すべてのケースは人が判断し、判断と上書きはすべて記録される。",
    ),
    "eth_subgroups": (
        "Error rates may differ between groups (region, age, disability, nationality); "
        "an audit by subgroup is required before use.",
        "誤り率は集団（地域、年齢、障害、国籍）によって異なり得る。使用前に属性別の監査が必要。",
    ),
    "no_champion": (
        "There is no current champion of the registered model {model}: nothing to compare with.",
        "登録モデル {model} には現行の champion がない：比較対象はない。",
    ),
    "champion_is_self": (
        "This run is the current champion of {model} (version {version}).",
        "この実行が {model} の現行 champion（バージョン {version}）である。",
    ),
    "champion_intro": (
        "Deltas of the chosen candidate against the champion {model} version {version} "
        "(run {run}); true outcome, this run minus the champion.",
        "選ばれた候補と champion（{model} バージョン {version}、実行 {run}）との差。"
        "真の結果、この実行 − champion。",
    ),
    "fairness_delta_intro": (
        "Fairness deltas: audit {mine} of this run against audit {theirs} of the champion; "
        "flag counts, and the ratio to the reference group of every disparity flagged (*) in "
        "either run.",
        "公平性の差：この実行の監査 {mine} と champion の監査 {theirs} の比較。フラグ数と、"
        "どちらかの実行でフラグ（*）が付いた格差の基準集団との比。",
    ),
    "no_fairness_delta_both": (
        "Fairness deltas: not available, neither this run nor the champion has a fairness audit.",
        "公平性の差：なし。この実行にも champion にも公平性監査がない。",
    ),
    "no_fairness_delta_this_run": (
        "Fairness deltas: not available, this run has no fairness audit.",
        "公平性の差：なし。この実行には公平性監査がない。",
    ),
    "no_fairness_delta_champion": (
        "Fairness deltas: not available, the champion has no fairness audit.",
        "公平性の差：なし。champion には公平性監査がない。",
    ),
    "champion_unreadable": (
        "The champion {model} version {version} points at run {run}, which could not be read: "
        "no comparison.",
        "champion（{model} バージョン {version}）の実行 {run} を読めなかった：比較なし。",
    ),
    "no_registry": (
        "The registered model is unknown or the registry could not be read: no comparison.",
        "登録モデルが不明か、レジストリを読めなかった：比較なし。",
    ),
    "sign_off_intro": (
        "To be completed by the reviewer (ethics board or auditor).",
        "審査者（倫理委員会または監査人）が記入する。",
    ),
    "decision_options": (
        "approve for research use / approve with conditions / reject",
        "研究用途として承認 ／ 条件付き承認 ／ 却下",
    ),
    "figure_in_run": (
        "Figure: artefact {path} of the run.",
        "図：実行の成果物 {path}。",
    ),
    "figure_in_english": (
        "This figure is in English: the run was logged before model cards drew their "
        "figures in the card's language.",
        "この図は英語のままである：この実行は、モデルカードが図をカードの言語で描くようになる前に記録された。",
    ),
    "figure_no_cjk_font": (
        "No Japanese font is installed: this figure is drawn in English "
        "(install one, e.g. fonts-noto-cjk, for Japanese figures).",
        "日本語フォントがインストールされていないため、この図は英語で描いた"
        "（日本語の図には fonts-noto-cjk などをインストールする）。",
    ),
    "caption_capacity": (
        "Recall and precision at capacity against the notices the centres can take a day.",
        "1日に受けられる通告件数ごとの、対応能力内の再現率と適合率。",
    ),
    "caption_importance": (
        "Mean absolute contribution of each notice field to the model's score.",
        "通告の項目ごとの、モデルのスコアへの寄与の絶対値の平均。",
    ),
    "caption_truth_check": (
        "Each field's importance to the model against its true effect in the generator.",
        "項目ごとの、モデルにとっての重要度と生成器における真の効果の比較。",
    ),
    "caption_disparities": (
        "{part}: ratio of each group to its reference group, with its interval; "
        "red = flagged, grey band = the accepted range.",
        "{part}：各集団の基準集団との比とその区間。赤＝フラグあり、灰色の帯＝許容範囲。",
    ),
    "embedded": (
        "{caption} (figure in model_card.html)",
        "{caption}（図は model_card.html に掲載）",
    ),
    "header": (
        "run {run} · experiment {experiment} · {start} · card {version} · {generated}",
        "実行 {run} · 実験 {experiment} · {start} · カード {version} · {generated}",
    ),
    "header_md": (
        "run `{run}` · experiment {experiment} · {start} · card {version}",
        "実行 `{run}` · 実験 {experiment} · {start} · カード {version}",
    ),
}

WORDS: dict[str, tuple[str, str]] = {
    "candidate": ("candidate", "候補"),
    "field": ("field", "項目"),
    "feature": ("feature", "特徴量"),
    "points": ("points", "点数"),
    "counts": ("counts", "加点条件"),
    "rank": ("rank", "順位"),
    "contribution": ("mean |contribution|", "平均絶対寄与"),
    "margin_units": (
        "log-odds of harm before calibration (the model's margin)",
        "較正前の危害の対数オッズ",
    ),
    "importance_table": ("the ten fields of largest importance", "重要度の大きい上位10項目"),
    "metric": ("metric", "指標"),
    "value": ("value", "値"),
    "id": ("id", "ID"),
    "source": ("source section", "出典（節）"),
    "rule": ("rule", "ルール"),
    "floor": ("tier floor", "区分の下限"),
    "item": ("item", "項目"),
    "reason": ("reason", "理由"),
    "true_tier": ("true tier", "真の区分"),
    "this_run": ("this run", "この実行"),
    "champion": ("champion", "champion"),
    "delta": ("delta", "差"),
    "name": ("Name", "氏名"),
    "role": ("Role", "役職"),
    "date": ("Date", "日付"),
    "decision": ("Decision", "判断"),
    "comments": ("Comments", "所見"),
    "intended": ("Intended use", "想定される用途"),
    "out_of_scope": ("Out of scope", "想定外の用途"),
    "lessons": ("Lessons from elsewhere", "他の事例からの教訓"),
    "true": FIGURE_TEXT["outcome_true"],  # the figures' words for the two outcomes
    "recorded": FIGURE_TEXT["outcome_recorded"],
    "run": ("Run", "実行"),
    "none": ("none", "なし"),
    "dimension": ("dimension", "次元"),
    "sources": ("sources", "出典"),
    "question": ("question", "質問"),
    "tier": ("tier", "区分"),
    "limitations": ("Limitations", "限界"),
    "ethics": ("Ethical considerations", "倫理的配慮"),
    "decision_support": ("Decision support only", "意思決定支援のみ"),
    "yes": ("yes", "はい"),
    "no": ("no", "いいえ"),
    "synthetic": ("synthetic", "合成データ"),
    "base_points": ("(base points)", "（基礎点）"),
    "once": ("once", "1回"),
    "if 1": ("if 1", "該当すれば"),
    "per unit": ("per unit", "1単位ごと"),
    "detection": ("detection", "検出"),
    "false_record": ("false record", "誤記録"),
    "tier_perception": ("tier perception", "区分の知覚"),
    "base_logit": ("baseline (log-odds)", "基準値（対数オッズ）"),
    "noise_sd": ("noise (standard deviation)", "ばらつき（標準偏差）"),
    "mechanism": ("mechanism", "仕組み"),
    "term": ("term", "項"),
    "log_odds": ("magnitude (log-odds)", "大きさ（対数オッズ）"),
    "day": ("day", "日"),
    "audit": ("audit", "監査"),
    "audit_true": FIGURE_TEXT["outcome_true"],
    "audit_recorded": FIGURE_TEXT["outcome_recorded"],
    "audit_labels": ("label bias (recorded label vs truth)", "ラベルの偏り（記録ラベルと真値）"),
    "flags": ("flags", "フラグ"),
    "groups": ("groups", "集団"),
    "group": ("group", "集団"),
    "vs": ("reference group", "基準集団"),
    "versus": ("{value} vs {reference}", "{value}（基準集団 {reference}）"),
    "ratio": ("ratio [interval]", "比［区間］"),
    "suppressed": ("suppressed (too few notices)", "秘匿（件数が少ない）"),
    "cuts": ("routing cut points (P(cgc))", "振り分けの閾値（児童相談所の確率）"),
    "cut": ("cut point", "閾値"),
    "fairness_flags_delta": ("fairness flags", "公平性のフラグ数"),
    "fairness_ratio_delta": (
        "flagged disparities: ratio to the reference group",
        "フラグ付きの格差：基準集団との比",
    ),
}

FACTS: dict[str, tuple[str, str]] = {
    "source": ("data source", "データの出所"),
    "n": ("notices", "通告件数"),
    "spec_version": ("generator spec version", "生成仕様の版"),
    "spec_digest": ("spec digest", "仕様のダイジェスト"),
    "seed": ("seed", "乱数シード"),
    "fingerprint": ("data fingerprint", "データのフィンガープリント"),
    "split.train": ("training period", "学習期間"),
    "split.calibration": ("calibration period", "較正期間"),
    "split.test": ("test period", "テスト期間"),
    "target": ("training target", "学習の目的変数"),
    "chosen": ("chosen candidate", "選ばれた候補"),
    "selection": ("selected by", "選択基準"),
    "calibration": ("calibration", "較正"),
    "candidates": ("candidates", "候補"),
    "include_sensitive": ("sensitive features used", "機微な属性の使用"),
    "registered_model": ("registered model", "登録モデル"),
    "git_commit": ("git commit", "git コミット"),
    "thresholds": ("tier cut points (immediate / urgent)", "区分の閾値（即時／緊急）"),
    "tier_basis": ("basis of the cut points", "閾値の根拠"),
    "period": ("period (months and dates only)", "期間（年月・日付のみ）"),
    "audit_run": ("audit run", "監査の実行"),
    "audit_n": ("test notices audited", "監査した通告件数"),
    "audit_flag_rule": ("flagged when", "フラグの条件"),
    "audit_band": ("band", "許容範囲"),
    "audit_min_n": ("minimum group size", "最小集団件数"),
    "audit_n_boot": ("bootstrap resamples", "ブートストラップ回数"),
    "audit_model_inputs": ("model inputs", "モデルの入力"),
    "routing.cgc_per_day": ("CGC capacity (notices a day)", "児童相談所の対応能力（1日の件数）"),
    "routing.survey_municipality_share": (
        "survey: share judged mild (municipality)",
        "調査：軽度（市町村）と判断された割合",
    ),
}

METRICS: dict[str, tuple[str, str]] = {
    "auc": ("AUC", "AUC"),
    "auc_ratio": ("AUC / oracle", "AUC／oracle比"),
    "brier": ("Brier", "Brier スコア"),
    "ece": ("ECE", "ECE"),
    "under_triage": ("under-triage", "過小トリアージ"),
    "over_triage": ("over-triage", "過大トリアージ"),
    "recall_at_k_worst": ("recall at capacity", "対応能力内の再現率"),
    "pr_auc": ("PR-AUC", "PR-AUC"),
    "precision_at_k_worst": ("precision at capacity", "対応能力内の適合率"),
    "share_municipality": ("share to municipality", "市町村への振り分け割合"),
    "under_routing": ("under-routing", "過小振り分け"),
    "over_routing": ("over-routing", "過大振り分け"),
    "cal_slope": ("calibration slope", "較正の傾き"),
    "cal_intercept": ("calibration intercept", "較正の切片"),
    "truth.spearman": ("rank agreement with truth (Spearman)", "真値との順位相関（Spearman）"),
    "truth.top5_overlap": ("top-5 overlap with truth", "上位5項目の真値との一致"),
    "truth.margin_spearman": ("margin rank agreement (Spearman)", "マージンの順位相関（Spearman）"),
}


AUDIT_METRICS: dict[str, tuple[str, str]] = AUDIT_METRIC_LABELS
"""Audit metrics in both languages (``triage.labels``, shared with the disparity figure)."""


def t(table: dict[str, tuple[str, str]], key: str, lang: str, **fmt: object) -> str:
    text = table[key][LANGS.index(lang)]
    return text.format(**fmt) if fmt else text
