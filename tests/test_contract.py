from __future__ import annotations

from pathlib import Path

import pytest

from triage.contract import identifier_reason, notice_fields

REPO = Path(__file__).resolve().parents[1]
SHARED_CONTRACTS = Path(__file__).resolve().parents[2] / "shared" / "contracts"
PACKAGE_CONTRACTS = REPO / "src" / "triage" / "contracts"


@pytest.mark.skipif(not SHARED_CONTRACTS.is_dir(), reason="no ../shared/contracts here")
def test_package_contracts_are_byte_equal_to_the_shared_contracts():
    shared = sorted(p.name for p in SHARED_CONTRACTS.iterdir() if p.is_file())
    assert shared, "shared contracts folder is empty"
    for name in shared:
        packaged = PACKAGE_CONTRACTS / name
        assert packaged.is_file(), f"{name} is missing from src/triage/contracts/"
        assert packaged.read_bytes() == (SHARED_CONTRACTS / name).read_bytes(), name


@pytest.mark.parametrize(
    ("column", "fragment"),
    [
        ("name", "name"),
        ("child_name", "name"),
        ("childName", "name"),
        ("childname", "name"),
        ("notes", "free text"),
        ("case_notes", "free text"),
        ("memos", "free text"),
        ("home_tel", "phone"),
        ("telephone", "phone"),
        ("e-mail", "e-mail"),
        ("emailaddr", "e-mail"),
        ("address_line1", "address"),
        ("dateOfBirth", "birth"),
        ("dob", "birth"),
        ("my_number", "individual number"),
        ("ＮＡＭＥ", "name"),
        ("氏名", "identifier"),
        ("備考", "free text"),
    ],
)
def test_identifier_like_columns_are_named_with_a_reason(column, fragment):
    reason = identifier_reason(column)
    assert reason is not None
    assert fragment in reason


@pytest.mark.parametrize("column", ["hotel", "siblings", "status", "score", "tier", "route_2"])
def test_ordinary_column_names_are_not_identifiers(column):
    assert identifier_reason(column) is None


def test_no_contract_field_is_an_identifier():
    assert all(identifier_reason(f) is None for f in notice_fields().all)
