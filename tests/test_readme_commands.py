"""Every command of the README's Commands section, in order, in a fresh copy of the
checkout, as a new user would type them (the venv's ``bin`` first on PATH, as after
``source .venv/bin/activate``; nothing of the user's environment that points MLflow
or the intake store elsewhere); then every next-step command they print, as printed.

``RUN_ID`` and ``VERSION`` are the README's placeholders for what ``triage run``
printed: the id of the ``triage run configs/ci.yaml`` run and version 1. Servers
(``triage serve``, ``mlflow ui``) are started, asked over HTTP and stopped.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from readme_commands import fill, is_server, printed_commands, section, shell_lines, words

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
PASSWORD = "a long password typed twice"
RUN_ID_FROM = "triage run configs/ci.yaml"
SERVER_URLS = {"triage": "http://127.0.0.1:8000/healthz", "mlflow": "http://127.0.0.1:5000/health"}
TIMEOUT = 900  # the main experiment, on a busy machine


def _user_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLFLOW_", "TRIAGE_")) and k not in ("VIRTUAL_ENV", "PYTHONPATH")
    }
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A fresh folder holding what a clone holds (tracked and new, not ignored, files)."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs the git checkout to copy its files")
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    work = tmp_path_factory.mktemp("readme") / "triage"
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, work / name)
    return work


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _serve(line: str, cwd: Path, env: dict[str, str]) -> str:
    """Start a server command as written, wait until it answers, stop it; its output."""
    url = SERVER_URLS[words(line)[0]]
    port = int(url.split(":")[2].split("/")[0])
    assert _port_free(port), f"port {port} is taken; `{line}` binds it as the README says"
    proc = subprocess.Popen(
        ["bash", "-c", f"exec {line}"],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, f"`{line}` stopped (exit {proc.returncode}) before answering"
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, f"`{line}` did not answer {url} in 120 s"
                time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
    return out


def _run(line: str, cwd: Path, env: dict[str, str]) -> str:
    typed = f"{PASSWORD}\n{PASSWORD}\n" if words(line)[:3] == ["triage", "users", "add"] else ""
    proc = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", line],
        cwd=cwd,
        env=env,
        input=typed,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        start_new_session=True,  # no terminal: the password prompt reads what is typed here
    )
    assert proc.returncode == 0, (
        f"`{line}` exited {proc.returncode}\n{proc.stderr[-3000:]}\n{proc.stdout[-2000:]}"
    )
    return proc.stdout + proc.stderr


def test_every_command_of_the_commands_section_runs_as_written_then_what_it_prints(checkout):
    lines = shell_lines(section((checkout / "README.md").read_text("utf-8")))
    assert len(lines) >= 30, lines  # the section as written, not an empty parse
    env = _user_env()
    values = {"VERSION": "1"}
    done: list[str] = []
    timings: list[tuple[float, str]] = []

    def run(line: str) -> str:
        started = time.monotonic()
        out = _serve(line, checkout, env) if is_server(line) else _run(line, checkout, env)
        timings.append((time.monotonic() - started, line))
        done.append(line)
        if line.startswith(RUN_ID_FROM) and "RUN_ID" not in values:
            values["RUN_ID"] = re.search(r"MLflow run ([0-9a-f]{32}) ", out).group(1)
        return out

    for line in lines:
        out = run(fill(line, values))
        for printed in printed_commands(out):
            if "<" in printed:  # a usage pattern (`--model <name>`), not a command
                continue
            printed = fill(printed, values)
            if printed not in done:
                run(printed)

    ran = {line.split()[1] for line in done if line.startswith("triage ")}
    assert {"run", "promote", "score", "queue", "explain", "audit", "report", "serve"} <= ran
    assert any(line.startswith("mlflow ui --backend-store-uri") for line in done)
    assert any(re.fullmatch(r"triage promote 1 --model \S+ --reason '\.\.\.'", x) for x in done)
    # mlflow run and triage run: one store (MLflow's default here), the config's experiment
    assert sorted(p.name for p in checkout.glob("*.db")) == ["mlflow.db"]
    from mlflow import MlflowClient

    uri = f"sqlite:///{checkout / 'mlflow.db'}"
    client = MlflowClient(uri)
    ci = client.get_experiment_by_name("intake-urgency-ci")
    runs = client.search_runs([ci.experiment_id])
    runs = [r for r in runs if "sweep.name" not in r.data.tags]  # a sweep's runs: its own
    assert len(runs) == 3 and {r.info.status for r in runs} == {"FINISHED"}
    slowest = sorted(timings, reverse=True)[:8]
    print("\n".join(f"{seconds:7.1f} s  {line[:100]}" for seconds, line in slowest))
