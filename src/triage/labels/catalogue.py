"""The label catalogue: every notice contract field and value in English and Japanese.

Pure data, read only through ``triage.labels``. One entry per contract field
(all but ``notice_id``, ``received_at``, ``safety_confirmed_at``,
``region_code``, which never reach a user as a factor):

- ``en`` / ``ja``: the field's label;
- ``values``: for an enum field (and ``alleged_types``), one ``(en, ja)`` pair
  per schema value; boolean fields use ``BOOLEAN_STATES`` unless they give
  their own ``values`` for ``yes``/``no``/``unknown``;
- ``unit``: for an integer field, ``(en, ja)`` templates for a count
  (``{n}`` is replaced by the number).

``tests/test_labels.py`` checks that the catalogue covers the contract, that
every Japanese label is in Japanese script and that no label is a raw column
name.
"""

from __future__ import annotations

BOOLEAN_STATES: dict[str, tuple[str, str]] = {
    "yes": ("yes", "あり"),
    "no": ("no", "なし"),
    "unknown": ("not known", "不明（未確認）"),
}
"""Labels of the three states of a nullable boolean risk factor."""

UNKNOWN_VALUE: tuple[str, str] = ("not known", "不明（未確認）")
"""Label of a missing enum or integer value."""

DIRECTIONS: dict[str, tuple[str, str]] = {
    "up": ("raises urgency", "緊急度を上げる方向"),
    "down": ("lowers urgency (not evidence of safety)", "緊急度を下げる方向（安全の根拠ではない）"),
}
"""What a factor does to the score, said plainly. A downward factor never reads as safety."""

TIER_LABELS: dict[str, tuple[str, str]] = {
    "immediate": ("immediate", "即時対応"),
    "urgent": ("urgent", "早期対応"),
    "standard": ("standard", "通常対応"),
}

ASK_TEMPLATES: dict[str, str] = {
    "en": "If “{field}” turns out {value}, the suggested tier could become {tier}.",
    "ja": "「{field}」が「{value}」であれば、提案される緊急度は「{tier}」になりうる。",
}

FIELDS: dict[str, dict] = {
    "region_urbanity": {
        "en": "Area type",
        "ja": "地域の都市化度",
        "values": {
            "urban": ("urban", "都市部"),
            "suburban": ("suburban", "郊外"),
            "rural": ("rural", "農村部"),
        },
    },
    "route": {
        "en": "Notified by",
        "ja": "通告経路",
        "values": {
            "police": ("police", "警察"),
            "neighbour": ("neighbour or acquaintance", "近隣・知人"),
            "family": ("family or relative", "家族・親戚"),
            "school": ("school", "学校"),
            "nursery": ("nursery or kindergarten", "保育所・幼稚園"),
            "medical": ("medical institution", "医療機関"),
            "welfare_office": ("welfare office", "福祉事務所"),
            "municipality": ("municipality", "市町村"),
            "child_self": ("the child", "児童本人"),
            "other_cgc": ("another child guidance centre", "他の児童相談所"),
            "other": ("other", "その他"),
        },
    },
    "notice_kind": {
        "en": "Kind of notice",
        "ja": "通告の種類",
        "values": {
            "general": ("general notice", "一般の通告"),
            "dv_witness": (
                "child witnessed domestic violence (police notice)",
                "面前DV（警察からの通告）",
            ),
        },
    },
    "alleged_types": {
        "en": "Type of abuse alleged",
        "ja": "虐待の種別",
        "values": {
            "physical": ("physical abuse", "身体的虐待"),
            "neglect": ("neglect", "ネグレクト"),
            "sexual": ("sexual abuse", "性的虐待"),
            "psychological": ("psychological abuse", "心理的虐待"),
        },
    },
    "child_age_years": {
        "en": "Child's age (years)",
        "ja": "子どもの年齢",
        "unit": ("{n}", "{n}歳"),
    },
    "child_sex": {
        "en": "Child's sex",
        "ja": "子どもの性別",
        "values": {
            "female": ("female", "女子"),
            "male": ("male", "男子"),
            "unknown": ("not known", "不明"),
        },
    },
    "child_disability": {
        "en": "Child has a disability (incl. suspected)",
        "ja": "子どもの障害（疑いを含む）",
    },
    "missed_health_checks": {"en": "Missed infant health checks", "ja": "乳幼児健診の未受診"},
    "not_enrolled": {"en": "Not enrolled in nursery or school", "ja": "未就園・不就学"},
    "no_service_use": {"en": "Uses no welfare service", "ja": "福祉サービスの利用なし"},
    "school_absence": {"en": "Long absence from school", "ja": "学校の長期欠席"},
    "child_fears_home": {"en": "Child is afraid to go home", "ja": "子どもが帰宅を怖がっている"},
    "child_requests_protection": {
        "en": "Child asks to be protected",
        "ja": "子ども本人が保護を求めている",
    },
    "injury": {
        "en": "Injury",
        "ja": "けがの程度",
        "values": {
            "none": ("none", "なし"),
            "minor": ("minor", "軽度"),
            "serious": ("serious", "重度"),
        },
    },
    "injury_head_face": {"en": "Injury to the head or face", "ja": "頭部・顔面のけが"},
    "sexual_abuse_disclosure": {"en": "Child disclosed sexual abuse", "ja": "性的虐待の開示"},
    "weapon_used": {"en": "Weapon used", "ja": "凶器の使用"},
    "contact_refused": {
        "en": "Caregiver refuses contact or visits",
        "ja": "保護者が接触・訪問を拒否",
    },
    "household_type": {
        "en": "Household",
        "ja": "世帯の形態",
        "values": {
            "two_parent": ("two parents", "ふたり親"),
            "single_parent": ("single parent", "ひとり親"),
            "step_family": ("step-family", "ステップファミリー"),
            "other": ("other", "その他"),
        },
    },
    "siblings": {"en": "Siblings", "ja": "きょうだいの数", "unit": ("{n}", "{n}人")},
    "caregiver_substance_use": {
        "en": "Caregiver uses drugs or alcohol",
        "ja": "保護者の薬物・アルコール問題",
    },
    "caregiver_mental_illness": {"en": "Caregiver mental illness", "ja": "保護者の精神疾患"},
    "dv_in_home": {"en": "Domestic violence in the home", "ja": "家庭内のDV"},
    "welfare_receipt": {
        "en": "Public assistance or financial hardship",
        "ja": "生活保護の受給・経済的困窮",
    },
    "young_caregiver": {
        "en": "Caregiver under 20 at the child's birth",
        "ja": "若年（20歳未満）での出産",
    },
    "caregiver_pregnant": {"en": "Caregiver pregnant", "ja": "保護者の妊娠"},
    "foreign_national_household": {"en": "Foreign-national household", "ja": "外国籍の世帯"},
    "socially_isolated": {"en": "Family socially isolated", "ja": "社会的孤立"},
    "prior_notices": {
        "en": "Earlier notices",
        "ja": "過去の通告",
        "unit": ("{n}", "{n}回"),
    },
    "prior_protection": {"en": "Child protected before", "ja": "過去の一時保護"},
    "returning_home_after_protection": {
        "en": "Returning home after protection or placement",
        "ja": "保護・措置からの家庭復帰",
    },
    "council_registered": {
        "en": "Registered with the regional council",
        "ja": "要保護児童対策地域協議会への登録",
    },
    "moved_from_other_area": {
        "en": "Moved in from another centre's area",
        "ja": "他の児童相談所管内からの転入",
    },
    "under_guidance": {"en": "Under caseworker guidance", "ja": "児童福祉司指導中"},
    "dv_physical_assault": {
        "en": "DV: physical assault on the partner",
        "ja": "DV：配偶者への身体的暴力",
    },
    "dv_weapon": {"en": "DV: weapon used", "ja": "DV：凶器の使用"},
    "dv_strangulation": {"en": "DV: strangulation", "ja": "DV：首を絞める行為"},
    "dv_child_intervened": {"en": "DV: child stepped in", "ja": "DV：子どもが制止に入った"},
    "dv_child_injured": {"en": "DV: child injured", "ja": "DV：子どものけが"},
    "dv_repeat_count": {
        "en": "DV: earlier police-attended incidents",
        "ja": "DV：過去の警察対応",
        "unit": ("{n}", "{n}回"),
    },
    "dv_arrest": {"en": "DV: arrest made", "ja": "DV：加害者の逮捕"},
    "dv_alcohol": {"en": "DV: perpetrator drinking", "ja": "DV：加害者の飲酒"},
    "dv_victim_pregnant": {"en": "DV: victim pregnant", "ja": "DV：被害者の妊娠"},
}
"""Contract field → labels, in notice schema order."""


ACTION_LABELS: dict[str, tuple[str, str]] = {
    "safety_check_48h": (
        "See the child in person within 48 h of receipt",
        "受理後48時間以内に子どもを直接目視して安全確認する",
    ),
    "onsite_inspection": ("Carry out an on-site inspection", "立入調査を実施する"),
    "police_assistance": ("Request police assistance", "警察に援助を要請する"),
    "police_info_share": ("Share information with the police", "警察と情報共有する"),
    "written_handover": ("Hand over the case file in writing", "書面で引き継ぐ"),
    "face_to_face_handover": ("Hand over face to face", "対面で引き継ぐ"),
    "keep_guidance_until_handover": (
        "Keep guidance in place until the handover is complete",
        "引継ぎ完了まで指導措置を解除しない",
    ),
    "consider_temporary_protection": (
        "Consider temporary protection without hesitation",
        "躊躇なく一時保護を検討する",
    ),
    "visual_confirmation": ("Confirm the child by sight", "子どもを目視で確認する"),
    "council_share": (
        "Share at the regional council",
        "要保護児童対策地域協議会で共有する",
    ),
    "refer_to_cgc": ("Refer to the child guidance centre", "児童相談所へ送致する"),
}
"""Labels of the action ids that rules add (score.schema.json ``actions``)."""

DV_ROUTE_LABELS: dict[str, tuple[str, str]] = {
    "cgc": ("child guidance centre", "児童相談所"),
    "municipality": ("municipality", "市町村"),
}
"""Labels of a DV-witness notice's route (``dv_route``)."""

# The one decision-support notice, per language: every score record carries it
# (score.schema.json), and the page, the pictures, the queue and the registered
# models' descriptions show the same words.
DECISION_SUPPORT_NOTICE: dict[str, str] = {
    "en": (
        "Decision support only: a qualified worker decides this case. The suggested tier, "
        "rules and factors are aids; a low score is not evidence that the child is safe."
    ),
    "ja": (
        "これは判断の支援のみを目的とした提案です。このケースの判断は担当職員が行います。"
        "提案された緊急度・ルール・要因は参考情報であり、スコアが低いことは子どもの安全を示すものではありません。"
    ),
}

UI_TEXT: dict[str, tuple[str, str]] = {
    # layout
    "app_title": ("Intake triage", "通告トリアージ"),
    "decision_support": (DECISION_SUPPORT_NOTICE["en"], DECISION_SUPPORT_NOTICE["ja"]),
    "synthetic_banner": (
        "Synthetic sample: no real child or case. The clock is set to {clock}.",
        "合成サンプル：実在の子ども・ケースではありません。基準時刻は {clock} です。",
    ),
    "nav_queue": ("Queue", "通告一覧"),
    "nav_api": ("API", "API"),
    "nav_review": ("What people decided", "判断の振り返り"),
    "logout": ("Log out", "ログアウト"),
    "other_language": ("日本語", "English"),
    "signed_in_as": ("Signed in as {user}", "ログイン中：{user}"),
    "clock": ("Clock: {clock}", "基準時刻：{clock}"),
    "no_model": (
        "No model is promoted, so no notice has a model's suggestion: the queue shows what the "
        "national rules alone require. {detail}",
        "昇格済みのモデルがないため、モデルによる提案はありません。一覧には国のルールのみによる対応を表示しています。{detail}",
    ),
    "not_champion": (
        "Suggestions come from {model}, which is NOT the promoted champion: not for casework.",
        "提案は {model} によるもので、昇格済み（champion）ではありません。実務には使用しないでください。",
    ),
    "no_routing": (
        "No DV-witness routing model is promoted: DV-witness notices are sorted by the urgency "
        "model and the rules only.",
        "面前DV振り分けモデルが昇格されていないため、面前DV通告は緊急度モデルとルールのみで振り分けています。",
    ),
    # login
    "login_title": ("Log in", "ログイン"),
    "username": ("Login", "ログインID"),
    "password": ("Password", "パスワード"),
    "login_button": ("Log in", "ログイン"),
    "login_failed": ("Login or password is wrong.", "ログインIDまたはパスワードが違います。"),
    "login_throttled": (
        "Too many failed attempts for this login; try again in a few minutes.",
        "失敗が続いたため、しばらくしてから再度お試しください。",
    ),
    "login_busy": (
        "Too many logins are being checked right now; try again in a few seconds.",
        "ただいまログインの確認が混み合っています。数秒後に再度お試しください。",
    ),
    # who decided, as a worker sees it (another worker's login is never shown)
    "worker_you": ("you", "あなた"),
    "worker_another": ("another worker", "他の担当者"),
    # queue
    "queue_title": ("Notices in the order to handle them", "対応順の通告一覧"),
    "queue_order": (
        "Ordered by suggested tier, then by the 48-hour safety deadline; overdue notices first.",
        "提案された緊急度、次に48時間の安全確認期限の順（期限超過を先頭）。",
    ),
    "queue_order_rules": (
        "No model: ordered by the national rules' floor, then by the 48-hour safety deadline; "
        "overdue notices first.",
        "モデルなし：国のルールによる下限、次に48時間の安全確認期限の順（期限超過を先頭）。",
    ),
    "counts_by_floor": (
        "No model: counted by the national rules' floor (no floor: {tier}).",
        "モデルなし：国のルールによる下限で集計（下限なしは{tier}）。",
    ),
    "no_model_suggestion": ("no model suggestion", "モデルの提案なし"),
    "counts_today": ("Received in the 24 h before the clock", "基準時刻前24時間の受理件数"),
    "counts_open": ("Not yet decided", "未判断の件数"),
    "capacity_line": (
        "Capacity a day: immediate {imm:g}; immediate + urgent {cgc:g}",
        "1日の対応能力：即時対応 {imm:g}件、即時＋早期対応 {cgc:g}件",
    ),
    "over_capacity": ("over capacity", "能力超過"),
    "within_capacity": ("within capacity", "能力内"),
    "filter_tier": ("Tier", "緊急度"),
    "filter_route": ("Notified by", "通告経路"),
    "filter_dv": ("DV witness", "面前DV"),
    "filter_undecided": ("Not yet decided only", "未判断のみ"),
    "filter_all": ("all", "すべて"),
    "filter_apply": ("Filter", "絞り込む"),
    "dv_only": ("DV-witness notices", "面前DV通告"),
    "dv_cgc": ("DV witness → centre", "面前DV → 児童相談所"),
    "dv_municipality": ("DV witness → municipality", "面前DV → 市町村"),
    "dv_none": ("not DV witness", "面前DV以外"),
    "col_position": ("#", "順"),
    "col_notice": ("Notice", "通告"),
    "col_received": ("Received", "受理日時"),
    "col_tier": ("Suggested tier", "提案された緊急度"),
    "col_floor": ("Rule floor", "ルールによる下限"),
    "col_deadline": ("Safety deadline", "安全確認期限"),
    "col_dv": ("DV route", "面前DVの振り分け"),
    "col_rules": ("Rules", "適用ルール"),
    "col_decision": ("Decision", "判断"),
    "overdue": ("OVERDUE", "期限超過"),
    "undecided": ("not decided", "未判断"),
    "showing": ("Notices {a}–{b} of {n}", "{n}件中 {a}〜{b}件目"),
    "page_prev": ("← previous", "← 前へ"),
    "page_next": ("next →", "次へ →"),
    "none_found": ("No notice matches.", "該当する通告はありません。"),
    "none_floor": ("none", "なし"),
    # notice page
    "notice_title": ("Notice {id}", "通告 {id}"),
    "suggestion": ("Suggestion", "提案"),
    "suggested_tier": ("Suggested tier", "提案された緊急度"),
    "model_tier": ("Model's tier", "モデルによる緊急度"),
    "rule_floor": ("Floor set by the national rules", "国のルールによる下限"),
    "suggested_route": ("Suggested DV route", "提案された面前DVの振り分け"),
    "unc_estimate": (
        "Estimated risk for notices like this one: {pct} (about 1 in {k}). "
        "An estimate for similar notices, not a verdict on this child.",
        "同様の通告についての推定リスク：{pct}（約{k}件に1件）。"
        "この子どもについての判定ではなく、似た通告についての推定値です。",
    ),
    "unc_band": (
        "The estimate lies in the model's “{tier}” band ({lo}–{hi}).",
        "推定値はモデルの「{tier}」の範囲（{lo}〜{hi}）にあります。",
    ),
    "unc_near": (
        "It is close to the boundary with “{tier}”: a small change in the facts could move it.",
        "「{tier}」との境界に近く、事実が少し変わるだけで変わりうる。",
    ),
    "unc_inside": ("It is well inside that band.", "範囲の中ほどにあります。"),
    "unc_unknown": (
        "{n} fact(s) unknown at intake could change the model's tier (see “What to ask next”).",
        "通告時点で不明な{n}項目によって、モデルの緊急度が変わりうる（「次に確認すべきこと」参照）。",
    ),
    "unc_floor": (
        "The national rules set the floor “{tier}”: no model can suggest less.",
        "国のルールによる下限は「{tier}」で、モデルがそれより低く提案することはない。",
    ),
    "rules_fired": (
        "Rules that apply (2018 emergency measures)",
        "適用されるルール（2018年緊急総合対策）",
    ),
    "rule_source": ("section {source}", "{source}"),
    "rule_floor_of": ("floor: {tier}", "下限：{tier}"),
    "no_rules": ("No rule fired.", "適用されるルールはありません。"),
    "actions": ("Required actions", "必要な対応"),
    "deadline": (
        "Safety confirmation deadline (48 h from receipt): {deadline}",
        "安全確認の期限（受理から48時間）：{deadline}",
    ),
    "deadline_overdue": ("OVERDUE by {hours} h", "{hours}時間超過"),
    "deadline_overdue_days": ("OVERDUE by {days} days", "{days}日超過"),
    "deadline_left": ("{hours} h left", "残り{hours}時間"),
    "deadline_confirmed": ("Safety confirmed at {when}", "安全確認済み：{when}"),
    "factors": ("Why: the factors behind the model's score", "理由：モデルのスコアの要因"),
    "factors_note": (
        "Largest first. Contributions in log-odds before calibration; red raises, blue lowers urgency. "
        "A factor that lowers urgency is not evidence of safety.",
        "影響の大きい順。寄与は較正前の対数オッズ。赤は緊急度を上げ、青は下げる方向。"
        "下げる方向の要因は安全の根拠ではありません。",
    ),
    "waterfall_base": ("base value", "基準値"),
    "waterfall_margin": ("this notice", "この通告"),
    "waterfall_others": ("{n} other factors", "その他の要因（{n}件）"),
    "no_factors": ("No factor moved the score.", "スコアを動かした要因はありません。"),
    "ask_next": ("What to ask next", "次に確認すべきこと"),
    "nothing_to_ask": (
        "No unknown fact could move the model's tier.",
        "モデルの緊急度を変えうる不明な項目はありません。",
    ),
    "ask_floor_note": (
        "These answers move the model's tier only: the rules' floor ({tier}) still applies.",
        "これらの回答で変わるのはモデルによる緊急度のみで、ルールによる下限（{tier}）は変わりません。",
    ),
    "facts": ("The notice's facts", "通告の内容"),
    "history": (
        "Decisions on this notice (the latest counts)",
        "この通告の判断記録（最新のものが有効）",
    ),
    "no_history": ("No decision yet.", "まだ判断はありません。"),
    "decision_form": ("Your decision", "判断の記録"),
    "decide_tier": ("Tier", "緊急度"),
    "decide_route": ("DV route", "面前DVの振り分け"),
    "reason": ("Reason for the override", "変更の理由"),
    "reason_hint": (
        "Required when you change the suggestion. No names, addresses, phone or case numbers.",
        "提案を変更する場合は必須。氏名・住所・電話番号・ケース番号は書かないでください。",
    ),
    "record_decision": ("Record decision", "判断を記録する"),
    "decision_recorded": ("Decision {id} recorded.", "判断 {id} を記録しました。"),
    "accepted": ("accepted the suggestion", "提案どおり"),
    "overridden": ("override", "提案を変更"),
    "below_floor": (
        "Below the floor set by the national rules",
        "国のルールによる下限を下回る",
    ),
    "decided_by": ("by {user} at {when}", "{when} {user}"),
    "decision_suggested": ("suggested {tier}", "提案 {tier}"),
    "no_suggestion": ("No suggestion (no model).", "提案なし（モデルなし）。"),
    "rules_only_title": (
        "What the national rules require (no model)",
        "国のルールによる対応（モデルなし）",
    ),
    "rules_route": ("DV route set by the rules' floor", "ルールの下限による面前DVの振り分け"),
    "decide_needs_model": (
        "Decisions are recorded once a model is promoted: a decision keeps the model version "
        "and the score the worker was shown.",
        "モデルが昇格されるまで判断は記録できません。判断の記録には、表示されたモデルの"
        "バージョンとスコアが含まれるためです。",
    ),
    "back_to_queue": ("← back to the queue", "← 通告一覧へ戻る"),
    # API docs page
    "api_title": ("JSON API", "JSON API"),
    "api_intro": (
        "Every call needs the session of a logged-in user; calls that change data also need the "
        "header X-CSRF-Token (from GET /api/session or POST /api/login).",
        "すべての呼び出しにログイン済みのセッションが必要です。データを変更する呼び出しには "
        "X-CSRF-Token ヘッダー（GET /api/session または POST /api/login で取得）も必要です。",
    ),
    "error_title": ("Something is wrong", "エラー"),
    "err_csrf": (
        "The form's security token is missing or stale; reload the page and try again.",
        "フォームのセキュリティトークンがないか古くなっています。ページを再読み込みしてください。",
    ),
    "err_not_found": ("No such notice.", "該当する通告はありません。"),
    # decision errors, by DecisionError.code
    "err_reason_required": (
        "You changed the suggestion: give the reason for the override.",
        "提案を変更する場合は、変更の理由を記入してください。",
    ),
    "err_reason_only": (
        "A reason is kept only for an override; clear it or change the suggestion.",
        "理由は提案を変更する場合のみ記録します。理由を消すか、提案を変更してください。",
    ),
    "err_reason_identifier": (
        "The reason seems to hold contact details or an identifying number; remove them.",
        "理由に連絡先や個人を特定する番号が含まれているようです。削除してください。",
    ),
    "err_route_required": (
        "Choose the DV route for this DV-witness notice.",
        "この面前DV通告の振り分け先を選んでください。",
    ),
    "err_route_not_dv": (
        "Only DV-witness notices have a DV route.",
        "面前DVの振り分けは面前DV通告のみです。",
    ),
    "err_stale_score": (
        "The suggestion changed since you opened this page (re-scored); review it again.",
        "このページを開いた後に提案が更新されました。内容を確認し直してください。",
    ),
    "err_unknown_notice": ("No such notice.", "該当する通告はありません。"),
    "err_not_scored": (
        "This notice has no suggestion yet (no model).",
        "この通告にはまだ提案がありません（モデルなし）。",
    ),
    "err_invalid": ("The decision is incomplete: {detail}", "判断の内容が不完全です：{detail}"),
    # new-notice page (the intake call) and the safety confirmation
    "new_notice": ("Enter a new notice", "新しい通告を入力"),
    "new_notice_title": ("New notice: the intake call", "新規通告の受付"),
    "new_notice_intro": (
        "Ask in this order. A fact stays “not known” until the caller answers it. "
        "The notice gets its id when saved.",
        "この順に確認してください。通告者が答えるまで各項目は「不明（未確認）」のままです。"
        "通告番号は保存時に付与されます。",
    ),
    "safety_confirmed_at": ("Child seen in person at", "安全確認（目視）の日時"),
    "region_code": ("Area code", "地域コード"),
    "required_mark": ("required to save", "保存に必須"),
    "datetime_hint": ("with its offset, e.g. {example}", "時差付き（例：{example}）"),
    "check_notice": ("Check without saving", "保存せずに確認"),
    "save_notice": ("Save the notice", "通告を保存する"),
    "live_title": ("Suggestion so far (not saved)", "現時点の提案（未保存）"),
    "live_waiting": (
        "The suggestion shows once the required facts are answered.",
        "必須項目に回答すると提案が表示されます。",
    ),
    "live_checking": ("Updating…", "更新中…"),
    "live_failed": (
        "The suggestion could not be updated; use “Check without saving”.",
        "提案を更新できませんでした。「保存せずに確認」を使ってください。",
    ),
    "still_needed": ("Still needed: {field}", "未回答（必須）：{field}"),
    "entry_invalid": (
        "Not saved: {n} answer(s) to correct, marked beside each field.",
        "保存していません：{n}件の回答を修正してください（各項目の横に表示）。",
    ),
    "entry_checked": ("Checked; nothing was saved.", "確認のみで、保存していません。"),
    "entry_saved": ("Notice {id} saved.", "通告 {id} を保存しました。"),
    "notice_version": ("Facts of version {version}", "第{version}版の内容"),
    "safety_form": ("Record the safety confirmation", "安全確認の記録"),
    "safety_hint": (
        "When a worker saw the child in person: not later than now, not before receipt.",
        "職員が子どもを直接目視した日時（現在以前、受理日時以降）。",
    ),
    "record_safety": ("Record the safety confirmation", "安全確認を記録する"),
    "safety_recorded": ("Safety confirmation recorded.", "安全確認を記録しました。"),
    "err_safety_format": (
        "Time seen: expected a date and time with its offset, e.g. {example}.",
        "目視の日時：時差付きの日時を入力してください（例：{example}）。",
    ),
    "err_safety_future": (
        "Time seen: expected a time not later than now ({now}).",
        "目視の日時：現在（{now}）より後の日時は記録できません。",
    ),
    "err_safety_before": (
        "Time seen: expected a time not before the notice was received ({received}).",
        "目視の日時：受理日時（{received}）より前の日時は記録できません。",
    ),
}
"""Fixed words of the intake team's web page, (en, ja). ``{name}`` fields are filled in."""

AUDIT_METRIC_LABELS: dict[str, tuple[str, str]] = {
    "n": ("notices", "通告件数"),
    "base_rate": ("base rate", "基準率"),
    "flag_rate": ("share flagged", "フラグの割合"),
    "fnr": ("false-negative rate (under-triage)", "偽陰性率（過小トリアージ）"),
    "fpr": ("false-positive rate", "偽陽性率"),
    "for": ("false-omission rate", "偽脱落率"),
    "precision": ("precision", "適合率"),
    "auc": ("AUC", "AUC"),
    "brier": ("Brier", "Brier スコア"),
    "ece": ("ECE", "ECE"),
}
"""A fairness audit's metrics, (en, ja): the card's tables and the disparity figure. The
English is ``triage.audit.groups.METRIC_LABELS``'s (a test keeps them equal)."""

AUDIT_METRIC_LABELS_BY_DECISION: dict[str, dict[str, tuple[str, str]]] = {
    "route": {"fnr": ("false-negative rate (under-routing)", "偽陰性率（過小振り分け）")},
    "recorded_label": {"fnr": ("false-negative rate (never recorded)", "偽陰性率（記録漏れ）")},
}
"""Where an audited decision gives a metric another meaning: a DV-witness run's routes
(``route``), whose missed notice is a truly-CGC one sent to the municipality; the
recorded label judged against the truth (``recorded_label``), whose miss is an outcome
never recorded."""

FIGURE_TEXT: dict[str, tuple[str, str]] = {
    # reliability diagram
    "reliability_title": ("Reliability", "信頼性図"),
    "reliability_perfect": ("perfect calibration", "完全な較正"),
    "reliability_x": ("predicted probability", "予測確率"),
    "reliability_y": ("observed rate", "観測された割合"),
    "reliability_count": ("notices", "通告件数"),
    # capacity curve
    "capacity_x": (
        "notices a day the centres can take (capacity)",
        "児童相談所が1日に対応できる通告件数（対応能力）",
    ),
    "capacity_recall": ("recall at capacity ({outcome})", "対応能力内の再現率（{outcome}）"),
    "capacity_precision": ("precision at capacity ({outcome})", "対応能力内の適合率（{outcome}）"),
    "capacity_title": (
        "Capacity curve, test period ({days:.0f} days, {n:,} notices)",
        "対応能力曲線、テスト期間（{days:.0f}日間、通告 {n:,} 件）",
    ),
    "outcome_true": ("true outcome", "真の結果"),
    "outcome_recorded": ("recorded outcome", "記録上の結果"),
    # fairness audit
    "disparity_title": (
        "{name}: ratio to the reference group (band {low:g}-{high:g})",
        "{name}：基準集団との比（許容範囲 {low:g}〜{high:g}）",
    ),
    # global explanations
    "importance_x": (
        "mean |contribution| (log-odds, before calibration)",
        "寄与の絶対値の平均（較正前の対数オッズ）",
    ),
    "importance_title": (
        "Global importance: mean absolute contribution per notice field",
        "全体の重要度：通告の項目ごとの寄与の絶対値の平均",
    ),
    "beeswarm_x": ("contribution to the margin (log-odds)", "スコアへの寄与（較正前の対数オッズ）"),
    "beeswarm_title": (
        "Contributions of the top fields, one dot per notice\n"
        "red = yes / higher, blue = no / lower, grey = not known; categories: see dependence",
        "影響の大きい項目の寄与（点は通告1件）\n"
        "赤＝あり・大きい、青＝なし・小さい、灰色＝不明。カテゴリーの色は依存図を参照",
    ),
    "not_known": ("not known", "不明"),
    "dependence_y": ("contribution (log-odds)", "寄与（対数オッズ）"),
    "truth_x": (
        "true effect size in the generator (|ATE| x sd, log-odds)",
        "生成器における真の効果の大きさ（|ATE|×標準偏差、対数オッズ）",
    ),
    "truth_y": ("model: mean |contribution| (log-odds)", "モデル：寄与の絶対値の平均（対数オッズ）"),
    "truth_title": (
        "Truth check: Spearman {spearman:.2f}, top-5 overlap across seeds {overlap:.2f}",
        "真値との照合：Spearman {spearman:.2f}、シード間の上位5項目の一致 {overlap:.2f}",
    ),
}
"""Fixed words of the figures (titles, axes, legends), (en, ja); ``{name}`` fields are filled in.
Figures are drawn in the language asked for, at run time and again when a card is made."""

SWEEP_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Sweep report: {name}", "スイープ報告：{name}"),
    "question": ("Question", "問い"),
    "header": (
        "sweep run {run} · pipeline {pipeline} · swept: {keys} · {generated}",
        "スイープ実行 {run} · パイプライン {pipeline} · 変えた設定：{keys} · {generated}",
    ),
    "cells": ("Cells and seeds", "セルとシード"),
    "cells_note": (
        "{finished} of {total} runs finished, {failed} failed, {other} not finished.",
        "全 {total} 実行のうち完了 {finished}、失敗 {failed}、未完了 {other}。",
    ),
    "fixed_note": (
        "Settings given one value are the same in every cell (listed below).",
        "値が1つだけの設定はすべてのセルで同じ（下に示す）。",
    ),
    "metrics": ("Headline metrics by cell", "セルごとの主要指標"),
    "interval_note": (
        "Mean across seeds with a {level:.0%} t-interval [low, high]; n = seeds finished. "
        "A cell with one finished seed shows its value alone.",
        "シード間の平均と {level:.0%} t 区間 [下限, 上限]。n は完了したシードの数。"
        "完了したシードが1つのセルは値だけを示す。",
    ),
    "figures": ("Each metric against each swept setting", "設定ごとの指標"),
    "pooled_note": (
        "More than one setting was swept: each figure averages over the others.",
        "複数の設定を変えたため、各図は他の設定について平均している。",
    ),
    "figure_caption": (
        "{key}: mean across seeds, {level:.0%} t-interval as a band; one line per candidate "
        "and the oracle",
        "{key}：シード間の平均、帯は {level:.0%} t 区間。候補とオラクルごとに1本の線",
    ),
    "figure_file": ("figure: {file}", "図：{file}"),
    "log_scale": ("{key} (log scale)", "{key}（対数目盛）"),
    "failed": ("Failed cells", "失敗したセル"),
    "no_failed": ("No cell failed.", "失敗したセルはない。"),
    "nothing_finished": (
        "No cell has finished yet: there are no metrics to summarise.",
        "完了したセルがまだないため、まとめる指標がない。",
    ),
    "col_cell": ("cell", "セル"),
    "col_settings": ("settings", "設定"),
    "col_finished": ("finished", "完了"),
    "col_failed": ("failed", "失敗"),
    "col_seed": ("seed", "シード"),
    "col_error": ("error", "エラー"),
    "col_run": ("run", "実行"),
    "col_n": ("n", "n"),
    "metric_auc_ratio": ("AUC / oracle", "AUC／オラクル比"),
    "metric_auc": ("AUC", "AUC"),
    "metric_recall_at_k_worst": ("recall at capacity", "対応能力内の再現率"),
    "metric_under_routing": ("under-routing", "過小振り分け"),
    "metric_over_routing": ("over-routing", "過大振り分け"),
    "metric_share_municipality": ("share routed to the municipality", "市町村への振り分けの割合"),
    "outcome_true": ("true outcome", "真の結果"),
    "outcome_recorded": ("recorded outcome", "記録上の結果"),
    "metric_caption": ("{metric}, {outcome}", "{metric}（{outcome}）"),
    "audit": ("The fairness audit of each cell", "セルごとの公平性監査"),
    "audit_note": (
        "Each finished run's test predictions audited as `triage audit --run` does (audit runs "
        "in experiment {experiment}, tagged with the cell's run): the number of flagged "
        "disparities (a group's ratio to the reference group outside the band, its interval "
        "too), in all and per sensitive feature; mean across seeds with a {level:.0%} "
        "t-interval.",
        "完了した各実行のテスト期間の予測を `triage audit --run` と同じく監査した（監査の実行は"
        "実験 {experiment} にあり、セルの実行を示すタグ付き）。フラグが立った格差（集団の基準"
        "集団との比が、区間ごと許容範囲の外）の数を、全体と属性ごとに示す。シード間の平均と "
        "{level:.0%} t 区間。",
    ),
    "audit_recorded": (
        "Flags judged against the recorded outcome",
        "記録上の結果に照らしたフラグ",
    ),
    "audit_true": ("Flags judged against the true outcome", "真の結果に照らしたフラグ"),
    "audit_labels": (
        "Flags of the recorded labels themselves (recorded against true outcome)",
        "記録上のラベル自体のフラグ（記録上の結果を真の結果に照らす）",
    ),
    "audit_audit": ("Flags", "フラグ"),
    "col_all_flags": ("all features", "全属性"),
}
"""Fixed words of a sweep's report and figures (``triage.sweep.report``), (en, ja)."""
