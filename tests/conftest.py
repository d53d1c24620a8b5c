"""Shared fixtures: a real headless Chromium for the browser tests; and the checkout
guard (tests/checkout_guard.py): a test that writes into the checkout's ./mlflow.db,
./mlruns, ./reports or ./intake fails, naming the paths."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from checkout_guard import register

REPO = Path(__file__).resolve().parent.parent

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


LONGEST_FIRST = ("test_readme_commands.py",)
"""Files that take minutes: collected first, so pytest-xdist hands them out first
and the other worker runs the rest meanwhile, instead of one of them ending last."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)  # stable: order kept


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
