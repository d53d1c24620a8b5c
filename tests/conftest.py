"""Shared fixtures: a real headless Chromium for the browser tests; and the checkout
guard (tests/checkout_guard.py): a test that writes into the checkout's ./mlflow.db,
./mlruns, ./reports or ./intake fails, naming the paths."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from checkout_guard import register

REPO = Path(__file__).resolve().parent.parent

# numba caches compiled kernels beside the package's sources; the tests (and the commands
# they start) keep them in a temporary folder instead, shared by the suite's workers.
os.environ.setdefault(
    "NUMBA_CACHE_DIR", str(Path(tempfile.gettempdir()) / "triage-tests-numba-cache")
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ENABLE_HINT = (
    "Chromium not found: install Debian's chromium and fonts-noto-cjk "
    "(`bash scripts/install-browser.sh`, as root) to run the browser tests"
)


def pytest_configure(config: pytest.Config) -> None:
    register(config, REPO)
    pytest.raises = raises_that_can_fail  # type: ignore[assignment]


_PYTEST_RAISES = pytest.raises


def raises_that_can_fail(*args: Any, match: Any = None, **kwargs: Any) -> Any:
    """``pytest.raises``, refusing a ``match`` pattern that matches every message (``""``,
    ``".*"``, one built at run time from an empty string): such a check cannot fail on the
    message. ``test_raises_can_fail.py`` finds the literal ones before any test runs."""
    if match is not None and re.search(match, "") is not None:
        raise AssertionError(
            f"pytest.raises(match={match!r}) matches any message: the check cannot fail"
        )
    return _PYTEST_RAISES(*args, match=match, **kwargs)


LONGEST_FIRST = ("test_readme_commands.py", "test_wheel.py", "test_sweep_dask.py")
"""Files of one or two tests that take minutes. pytest-xdist (scripts/test.sh runs it with
``--no-loadscope-reorder``) hands files out in collection order: these first, then the
files with the most tests, as its own reordering would, so no long file is left for last."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    per_file = Counter(item.path for item in items)
    items.sort(  # stable: a file's tests keep their order
        key=lambda item: (item.path.name not in LONGEST_FIRST, -per_file[item.path], item.path)
    )


def chromium_path() -> str | None:
    return os.environ.get("TRIAGE_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright.

    Skipped with a message where Chromium is absent, except when
    TRIAGE_REQUIRE_BROWSER=1 (set by .ci/run): there a missing browser fails.
    """
    executable = chromium_path()
    if executable is None:
        if os.environ.get("TRIAGE_REQUIRE_BROWSER") == "1":
            pytest.fail(ENABLE_HINT)
        pytest.skip(ENABLE_HINT)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifact_dir() -> Path:
    """Where browser tests keep screenshots (gitignored; CI keeps the folder)."""
    root = Path(os.environ.get("TRIAGE_TEST_ARTIFACTS", REPO / "test-artifacts"))
    root.mkdir(parents=True, exist_ok=True)
    return root
