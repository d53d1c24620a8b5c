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
