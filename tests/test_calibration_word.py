"""Calibration is 較正 throughout (issue 17, item 10: the card wrote 校正, proofreading, where
the rest wrote 較正): no shipped text of the package uses the other word."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "triage"
TEXT_FILES = ("*.py", "*.html", "*.md", "*.json", "*.yaml", "*.js")


def test_no_shipped_text_writes_calibration_as_proofreading():
    files = [p for pattern in TEXT_FILES for p in PACKAGE.rglob(pattern)]
    assert len(files) > 100  # the package, not an empty glob
    wrong = [str(p.relative_to(PACKAGE)) for p in files if "校正" in p.read_text("utf-8")]
    assert wrong == []
    assert "較正" in (PACKAGE / "labels" / "catalogue.py").read_text("utf-8")
