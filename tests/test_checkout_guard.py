"""The checkout guard fails a test that writes into ./mlruns, ./reports or ./intake.

Run on temporary folders made to look like a checkout, never on the real one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from checkout_guard import CheckoutGuard

TESTS = Path(__file__).resolve().parent


def _checkout(root: Path) -> Path:
    """A folder laid out like a used checkout: a run, a card, the committed README."""
    (root / "mlruns" / "0" / "abc" / "artifacts").mkdir(parents=True)
    (root / "mlruns" / "0" / "abc" / "artifacts" / "global.json").write_text("{}")
    (root / "reports" / "intake-urgency-default").mkdir(parents=True)
    (root / "reports" / "README.md").write_text("cards are written here\n")
    (root / "reports" / "intake-urgency-default" / "model_card.md").write_text("# card\n")
    for path in [root, *root.rglob("*")]:  # written an hour ago: a change gets a new mtime
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns - 3600 * 10**9))
    return root


def test_guard_names_created_changed_and_deleted_paths_once(tmp_path):
    repo = _checkout(tmp_path / "repo")
    guard = CheckoutGuard([repo])
    guard.start()
    assert guard.check() is None
    (repo / "reports" / "intake-urgency-default" / "model_card.md").read_text()  # reading is fine
    assert guard.check() is None

    run = repo / "mlruns" / "1" / "f00" / "artifacts"
    run.mkdir(parents=True)
    (run / "a.png").write_bytes(b"png")
    (run / "b.json").write_text("{}")
    (repo / "reports" / "intake-urgency-default" / "model_card.md").write_text("# other run\n")
    (repo / "mlruns" / "0" / "abc" / "artifacts" / "global.json").unlink()
    (repo / "intake").mkdir()
    problem = guard.check()
    assert problem is not None
    lines = problem.splitlines()
    assert f"  created: mlruns{os.sep}1{os.sep} (folder, 2 files)" in lines
    assert f"  created: intake{os.sep} (folder, 0 files)" in lines
    assert "  changed: reports/intake-urgency-default/model_card.md".replace("/", os.sep) in lines
    assert "  deleted: mlruns/0/abc/artifacts/global.json".replace("/", os.sep) in lines
    assert len(lines) == 4, problem  # a new folder stands for what is in it
    assert guard.check() is None  # reported once: the next test is not blamed

    (repo / "reports" / "README.md").write_text("cards are written here\n")  # same bytes
    assert guard.check() == "  rewritten with the same bytes: " + str(Path("reports/README.md"))
    shutil.rmtree(repo / "reports")
    assert guard.check() == f"  deleted: reports{os.sep} (folder, 2 files)"


def test_guard_watches_the_working_folder_too(tmp_path):
    repo, elsewhere = _checkout(tmp_path / "repo"), tmp_path / "elsewhere"
    elsewhere.mkdir()
    guard = CheckoutGuard([repo, elsewhere])
    guard.start()
    (elsewhere / "mlruns").mkdir()
    (elsewhere / "mlruns" / "mlflow.db").write_bytes(b"sqlite")
    assert guard.check() == f"  created: {elsewhere / 'mlruns'}{os.sep} (folder, 1 file)"


INNER_TESTS = """
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parent.parent


def test_clean(tmp_path):
    (tmp_path / "mlruns").mkdir()


def test_writes_a_run():
    run = CHECKOUT / "mlruns" / "0" / "f00"
    run.mkdir(parents=True)
    (run / "meta.yaml").write_text("run")


def test_rewrites_a_card():
    (CHECKOUT / "reports" / "intake-urgency-default" / "model_card.md").write_text("# new\\n")


@pytest.fixture
def leaves_a_store():
    yield
    (CHECKOUT / "intake").mkdir()


def test_fixture_teardown_writes(leaves_a_store):
    pass


def test_clean_again():
    assert (CHECKOUT / "reports" / "README.md").read_text()
"""


def test_guard_fails_the_tests_that_write_and_only_those(tmp_path):
    """A pytest session in a copy of this suite's wiring (conftest.py + the guard)."""
    repo = _checkout(tmp_path / "repo")
    (repo / "tests").mkdir()
    for name in ("conftest.py", "checkout_guard.py"):
        shutil.copy(TESTS / name, repo / "tests" / name)
    (repo / "tests" / "test_inner.py").write_text(INNER_TESTS)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rfE", "tests"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "FAILED tests/test_inner.py::test_writes_a_run" in out
    assert "FAILED tests/test_inner.py::test_rewrites_a_card" in out
    assert "ERROR tests/test_inner.py::test_fixture_teardown_writes" in out
    assert "2 failed, 3 passed, 1 error" in out
    assert f"created: mlruns{os.sep}0{os.sep}f00{os.sep} (folder, 1 file)" in out
    assert "changed: " + str(Path("reports/intake-urgency-default/model_card.md")) in out
    assert f"created: intake{os.sep} (folder, 0 files)" in out
    assert "test_clean" not in out.split("short test summary")[-1]
