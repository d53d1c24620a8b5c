"""A real `triage serve` for the load benchmark: trained model, logins, subprocess, its memory.

Everything lives in a work folder the caller owns (a temporary directory):
the MLflow store, the model cache, the intake store and the server's log.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CI_CONFIG = REPO / "configs" / "ci.yaml"
PASSWORD = "benchmark password"


def isolated_env(work: Path) -> dict[str, str]:
    """The caller's environment with MLflow and the model cache inside ``work``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRIAGE_"))}
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{work / 'mlflow.db'}"
    env["TRIAGE_CACHE_DIR"] = str(work / "cache")
    return env


def _run(cmd: list[str], env: dict[str, str], cwd: Path, stdin: str | None = None) -> None:
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, input=stdin)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[:3])}: {proc.stderr.strip()}")


def model_name() -> str:
    """The name the CI config registers its model under (not the production name)."""
    import yaml

    return yaml.safe_load(CI_CONFIG.read_text("utf-8"))["mlflow"]["registered_model"]


def prepare(work: Path, env: dict[str, str], users: list[str]) -> Path:
    """Train and promote the CI model, add ``users`` to a new intake store; returns the store."""
    store = work / "intake"
    triage = str(BIN / "triage")
    _run([triage, "run", str(CI_CONFIG), "--quiet"], env, work)
    promote = [triage, "promote", "1", "--model", model_name(), "--reason", "load benchmark"]
    _run(promote, env, work)
    # The first login the README's way (it also makes the store's keys); the rest in-process,
    # where a new interpreter per login would add a second or so each.
    _run(
        [triage, "users", "add", users[0], "--store", str(store), "--password-stdin"],
        env,
        work,
        PASSWORD + "\n",
    )
    from triage.decisions import connect
    from triage.decisions.users import add_user

    conn = connect(store)
    try:
        for name in users[1:]:
            add_user(conn, name, PASSWORD)
    finally:
        conn.close()
    return store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(work: Path, env: dict[str, str], store: Path, port: int) -> subprocess.Popen:
    """`triage serve` on loopback; returns once /healthz answers (exits on failure)."""
    import httpx

    cmd = [str(BIN / "triage"), "serve", "--port", str(port), "--store", str(store)]
    cmd += ["--model", f"models:/{model_name()}@champion", "--routing-model", ""]
    cmd += ["--config", str(CI_CONFIG)]
    log = work / "serve.log"  # a file, not a pipe: a full pipe would stall the server
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, env=env, cwd=work, stderr=fh, stdout=fh, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(log.read_text())
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("triage serve did not start within 120 s")


def memory_kib(pid: int) -> dict[str, int]:
    """Resident memory now (VmRSS) and its peak since start (VmHWM), in KiB, from /proc."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def time_calls(fn, n: int, warmup: int = 50) -> list[float]:
    """Seconds of each of ``n`` calls of ``fn``, after ``warmup`` calls not timed."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out
