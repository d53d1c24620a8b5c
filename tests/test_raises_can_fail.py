"""A ``pytest.raises(..., match=...)`` whose pattern matches every message cannot fail on
the message (issue 17, item 6: ``match=""`` always passed). Every test file is read as
Python and each literal ``match`` pattern must need at least one character to match."""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def patterns_that_match_anything(source: str) -> list[tuple[int, str]]:
    """(line, pattern) of each ``*.raises(..., match=<literal>)`` that matches the empty text."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "raises"):
            continue
        for keyword in node.keywords:
            pattern = getattr(keyword.value, "value", None)  # a literal's value
            if (
                keyword.arg == "match"
                and isinstance(pattern, str)
                and re.search(pattern, "") is not None
            ):
                found.append((node.lineno, pattern))
    return found


def test_the_check_finds_a_match_that_matches_anything():
    source = (
        "import pytest\n"
        "with pytest.raises(KeyError, match=''):\n    pass\n"
        "with pytest.raises(KeyError, match='.*'):\n    pass\n"
        "with pytest.raises(KeyError, match='no such key'):\n    pass\n"
    )
    assert patterns_that_match_anything(source) == [(2, ""), (4, ".*")]


def test_no_test_matches_any_message():
    found = {
        f"{path.name}:{line}": pattern
        for path in sorted(TESTS.glob("*.py"))
        if path.name != Path(__file__).name
        for line, pattern in patterns_that_match_anything(path.read_text("utf-8"))
    }
    assert found == {}


def test_a_pattern_built_at_run_time_that_matches_anything_fails_the_test():
    """The literal check above cannot see a pattern made while the test runs; the
    ``pytest.raises`` every test calls (conftest.py) refuses it then."""
    import pytest

    prefix = ""  # e.g. a message prefix that came out empty
    with pytest.raises(AssertionError, match="matches any message"):
        pytest.raises(ValueError, match=prefix)
    with pytest.raises(ValueError, match="^bad"):
        raise ValueError("bad value")
