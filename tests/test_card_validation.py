"""A card that does not follow card.schema.json is refused, naming what is wrong."""

from __future__ import annotations

import jsonschema
import pytest

from triage.report import card_schema, validate_card


def test_a_card_missing_what_the_schema_requires_is_refused():
    required = card_schema()["required"]
    with pytest.raises(jsonschema.ValidationError, match=f"'{required[0]}' is a required property"):
        validate_card({})


def test_a_card_of_the_wrong_type_is_refused():
    with pytest.raises(jsonschema.ValidationError, match="is not of type 'object'"):
        validate_card([])  # type: ignore[arg-type]
