"""The package runs anywhere: a wheel, a fresh venv outside the checkout, an empty folder.

Builds the wheel from a copy of the checkout (so the build writes nothing
into it), installs the locked dependencies and the wheel into a new venv, and
from an empty folder runs what a new user would: ``triage synth``, ``triage
run ci`` (a packaged config), ``triage promote``, ``triage score`` and
``triage serve`` (answering ``/healthz``). Every file it writes is in a
temporary folder; the checkout is the same afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from loopback import free_port

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _git(*args: str) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    )
    return proc.stdout


SUITE_FOLDERS = ("__pycache__", ".pytest_cache", "test-artifacts/", ".hypothesis/")
"""What the rest of the suite writes while this test runs beside it (pytest-xdist): the
browser tests' screenshots and Hypothesis's cache, both gitignored and not the wheel's."""


def _checkout_state() -> list[str]:
    """What `git status --porcelain` sees, ignored files too (a build's build/, *.egg-info)."""
    lines = _git("status", "--porcelain", "--ignored").splitlines()
    return sorted(line for line in lines if not any(f in line for f in SUITE_FOLDERS))


def _copy_checkout(dest: Path) -> Path:
    """The checkout's files (tracked, and new ones not ignored) as they are now."""
    names = _git("ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for name in filter(None, names):
        source = REPO / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def _run(args: list, cwd: Path, env: dict[str, str], timeout: int = 300):
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    return proc


def _ok(proc, what: str) -> None:
    assert proc.returncode == 0, f"{what}: exit {proc.returncode}\n{proc.stderr[-3000:]}"


def _env(tmp: Path) -> dict[str, str]:
    """The user's environment without this checkout's venv; state in tmp, HOME as it is."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLFLOW_", "TRIAGE_")) and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    env.update(
        MLFLOW_TRACKING_URI=f"sqlite:///{tmp / 'mlflow.db'}",
        TRIAGE_CACHE_DIR=str(tmp / "cache"),
        MPLCONFIGDIR=str(tmp / "matplotlib"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


def test_the_wheel_runs_from_an_empty_folder(tmp_path):
    started = time.monotonic()
    before = _checkout_state()
    env = _env(tmp_path)

    # build: from a copy, so that setuptools' build/ and *.egg-info stay out of the checkout
    source = _copy_checkout(tmp_path / "source")
    dist = tmp_path / "dist"
    _ok(
        _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, source],
             tmp_path, env),
        "pip wheel",
    )  # fmt: skip
    (wheel,) = dist.glob("urgency_triage-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for packaged in (
        "triage/synth/data/spec.yaml",
        "triage/synth/data/published_aggregates.csv",
        "triage/synth/data/sample/notices.jsonl",
        "triage/experiment/configs/ci.yaml",
        "triage/experiment/configs/intake_urgency.yaml",
        "triage/experiment/configs/rules.yaml",
        "triage/contracts/notice.schema.json",
        "triage/contracts/score.schema.json",
        "triage/report/card.schema.json",
        "triage/web/templates/queue.html",
        "triage/web/static/style.css",
    ):
        assert packaged in names, f"{packaged} is not in the wheel"

    # a fresh venv outside the checkout: the locked dependencies, then the wheel alone
    venv = tmp_path / "venv"
    _ok(_run([sys.executable, "-m", "venv", venv], tmp_path, env), "python -m venv")
    python = venv / "bin" / "python"
    pip = [python, "-m", "pip", "install", "-q", "--no-compile"]
    _ok(_run([*pip, "-r", REPO / "requirements.lock"], tmp_path, env, 600), "install the lock")
    _ok(_run([*pip, "--no-deps", wheel], tmp_path, env), "install the wheel")
    where = _run([python, "-c", "import triage; print(triage.__file__)"], tmp_path, env)
    _ok(where, "import triage")
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout

    # an empty folder: what a new user runs
    work = tmp_path / "work"
    work.mkdir()
    triage = venv / "bin" / "triage"

    proc = _run([triage, "synth", "--n", "20000", "--seed", "1", "--out", "syn"], work, env)
    _ok(proc, "triage synth")
    assert (work / "syn" / "notices.parquet").is_file()

    proc = _run([triage, "run", "ci", "--quiet"], work, env, 600)
    _ok(proc, "triage run ci")
    assert "oracle" in proc.stdout
    assert (work / "reports" / "intake-urgency-ci").is_dir()

    # The CI config registers under its own name, so the champion is intake-urgency-ci's.
    promote = [triage, "promote", "1", "--model", "intake-urgency-ci", "--reason", "wheel test"]
    _ok(_run(promote, work, env), "triage promote")
    model = ["--model", "models:/intake-urgency-ci@champion"]

    proc = _run(
        [triage, "score", "syn/notices.parquet", "--as-of", "2024-04-01T09:00:00+09:00", *model],
        work,
        env,
    )
    _ok(proc, "triage score")
    lines = proc.stdout.splitlines()
    assert len(lines) == 20000
    first = json.loads(lines[0])
    assert first["notice_id"] and first["suggested_tier"] and first["model"]

    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [str(triage), "serve", "--port", str(port), "--store", "./intake", *model],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        status, deadline = None, time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    status = r.status
                    body = json.loads(r.read())
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        assert status == 200, (tmp_path / "serve.log").read_text()
        assert body == {"status": "ok"}
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    served = (tmp_path / "serve.log").read_text()
    assert "synthetic sample notices from" in served and "site-packages" in served, served

    new = sorted(set(_checkout_state()) - set(before))
    assert not new, f"the test wrote into the checkout: {new}"
    print(f"wheel test: {time.monotonic() - started:.0f} s")
