"""The label catalogue covers the notice contract in English and Japanese, never as raw columns."""

from __future__ import annotations

import re

import pytest

from triage.contract import TIERS, notice_fields
from triage.features import EXCLUDED_FIELDS, feature_names
from triage.labels import (
    factor_label,
    factor_sentence,
    field_label,
    labelled_fields,
    tier_label,
    value_label,
)

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
RAW_COLUMNS = set(feature_names(include_sensitive=True))
LABELLED = [f for f in notice_fields().all if f not in EXCLUDED_FIELDS]


def _states(field: str) -> list[object]:
    """Every value a field can take in a notice: enum values, boolean states, counts, unknown."""
    f = notice_fields()
    if field == "alleged_types":
        return [[t] for t in ("physical", "neglect", "sexual", "psychological")] + [
            ["physical", "psychological"]
        ]
    if field in f.enums:
        return [*f.enums[field], None]
    if field in f.booleans:
        return [True, False, None]
    lo, hi = f.integers[field]
    return [lo, 1, 2, hi, None]


def _check(label: str, lang: str) -> None:
    assert isinstance(label, str) and label.strip()
    assert label not in RAW_COLUMNS and "=" not in label
    if lang == "ja":
        assert JAPANESE.search(label), f"not in Japanese script: {label!r}"


def test_catalogue_labels_exactly_the_contract_fields_a_user_can_see():
    assert sorted(labelled_fields()) == sorted(LABELLED)


@pytest.mark.parametrize("field", LABELLED)
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_field_and_state_has_a_readable_label_in_both_languages(field, lang):
    _check(field_label(field, lang), lang)
    for value in _states(field):
        _check(value_label(field, value, lang), lang)
        _check(factor_label(field, value, lang), lang)
        for direction in ("up", "down"):
            _check(factor_sentence(field, value, direction, lang), lang)


def test_labels_read_as_a_worker_would_say_them():
    assert factor_label("weapon_used", True, "en") == "Weapon used: yes"
    assert factor_label("weapon_used", True, "ja") == "凶器の使用：あり"
    assert factor_label("weapon_used", None, "en") == "Weapon used: not known"
    assert factor_sentence("prior_notices", 2, "up", "ja") == "過去の通告：2回 → 緊急度を上げる方向"
    assert factor_sentence("prior_notices", 2, "up", "en") == "Earlier notices: 2 → raises urgency"
    assert "not evidence of safety" in factor_sentence("injury", "none", "down", "en")


def test_values_as_stored_in_a_frame_read_like_json_values():
    import numpy as np
    import pandas as pd

    assert value_label("weapon_used", np.True_, "en") == value_label("weapon_used", True, "en")
    assert value_label("weapon_used", pd.NA, "en") == value_label("weapon_used", None, "en")
    assert value_label("prior_notices", np.int64(3), "ja") == "3回"
    assert value_label("alleged_types", ("sexual", "physical"), "ja") == "性的虐待・身体的虐待"


@pytest.mark.parametrize("tier", TIERS)
def test_every_tier_has_labels(tier):
    _check(tier_label(tier, "en"), "en")
    _check(tier_label(tier, "ja"), "ja")


def test_unknown_fields_values_and_languages_are_refused():
    with pytest.raises(KeyError, match="labels/catalogue"):
        field_label("route=police", "en")
    with pytest.raises(ValueError, match="no label for value"):
        value_label("route", "helicopter", "en")
    with pytest.raises(ValueError, match="lang"):
        field_label("route", "fr")
    with pytest.raises(ValueError, match="direction"):
        factor_sentence("route", "police", "sideways", "en")
