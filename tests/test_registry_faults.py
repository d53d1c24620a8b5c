"""`triage run` under faults: kill -9 at three points, SIGTERM and SIGINT, first runs at once.

The store is made by three first runs started at once (all must succeed).
Then each fault is a real ``triage run`` process on a tiny config, frozen at a
named point (``TRIAGE_FAULT_TEST_HOLD_AT``, see ``triage.tracking.fault_points``)
and then killed; the five faulted runs share that store and run side by side.
Afterwards ``@candidate`` must still be on the complete version it was on,
``triage score`` must work with it, and the next run must mark the dead
RUNNING run ``FAILED`` (issue 16, finding 8).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "synthetic" / "sample" / "notices.jsonl"
TRIAGE = str(Path(sys.executable).with_name("triage"))
MODEL = "tiny-urgency"

pytestmark = pytest.mark.slow

# The smallest run that has every step: 1,000 notices, one candidate, 10 resamples.
TINY = {
    "config_version": 1,
    "pipeline": "intake_urgency",
    "name": "tiny",
    "seed": 7,
    "target": "recorded",
    "data": {"source": "synthetic", "synthetic": {"n": 1000, "fiscal_year": 2023}},
    "split": {"calibration_months": 4, "test_months": 6, "gap_days": 90},
    "candidates": {"scorecard": {"params": {"C": 0.1}}},
    "tiers": {"mode": "capacity", "capacity": {"workers": 9}},
    "evaluation": {"n_boot": 10},
    "explanations": {"enabled": False},
    "mlflow": {"experiment": "tiny", "registered_model": MODEL, "alias": "candidate"},
}


def _setup(work: Path) -> tuple[Path, dict[str, str]]:
    config = work / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY), "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRIAGE_"))}
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{work / 'mlflow.db'}"
    env["TRIAGE_CACHE_DIR"] = str(work / "cache")
    return config, env


def _client(env: dict[str, str]):
    from mlflow import MlflowClient

    uri = env["MLFLOW_TRACKING_URI"]
    return MlflowClient(uri, registry_uri=uri)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _held(config: Path, work: Path, env: dict[str, str], point: str, tag: str):
    """``triage run`` frozen at ``point``; its marker file appears when it is there."""
    marker = work / f"{tag}.held"
    held_env = {**env, "TRIAGE_FAULT_TEST_HOLD_AT": point, "TRIAGE_FAULT_TEST_MARKER": str(marker)}
    proc = subprocess.Popen(
        [TRIAGE, "run", str(config), "--quiet"],
        cwd=work, env=held_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    return proc, marker


def _wait_for(markers: list[Path], procs: list[subprocess.Popen], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not all(m.exists() for m in markers):
        for proc in procs:
            if proc.poll() is not None:
                pytest.fail(f"a held run ended early ({proc.returncode}): {proc.stderr.read()}")
        if time.monotonic() > deadline:
            pytest.fail("held runs did not reach their points in time")
        time.sleep(0.1)


def _run_of(client, pid: int):
    exp = client.get_experiment_by_name("tiny")
    (run,) = client.search_runs([exp.experiment_id], filter_string=f"tags.`triage.pid` = '{pid}'")
    return run


@pytest.fixture(scope="module")
def first_runs(tmp_path_factory):
    """Three ``triage run`` started at once on a store that does not exist yet."""
    work = tmp_path_factory.mktemp("faults")
    config, env = _setup(work)
    procs = [
        subprocess.Popen(
            [TRIAGE, "run", str(config), "--quiet"], cwd=work, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        for _ in range(3)
    ]
    ended = [(p.communicate(timeout=300)[1], p.returncode) for p in procs]
    return {"work": work, "config": config, "env": env, "ended": ended}


@pytest.fixture(scope="module")
def faulted(first_runs):
    """Five runs frozen and killed at once on the store the first runs made: kill -9 while
    training, just after the run opened, and once a version exists but before its alias
    moved; SIGTERM and SIGINT just after the run opened."""
    work, config, env = first_runs["work"], first_runs["config"], first_runs["env"]
    assert all(code == 0 for _, code in first_runs["ended"])
    before = _client(env).get_model_version_by_alias(MODEL, "candidate")
    plan = {
        "kill9_training": ("training", signal.SIGKILL),
        "kill9_run_opened": ("run_opened", signal.SIGKILL),
        "kill9_version_created": ("version_created", signal.SIGKILL),
        "sigterm": ("run_opened", signal.SIGTERM),
        "sigint": ("run_opened", signal.SIGINT),
    }
    held = {tag: _held(config, work, env, point, tag) for tag, (point, _) in plan.items()}
    procs = [p for p, _ in held.values()]
    try:
        _wait_for([m for _, m in held.values()], procs)
        for tag, (proc, _) in held.items():
            proc.send_signal(plan[tag][1])
        ended = {}
        for tag, (proc, _) in held.items():
            out, err = proc.communicate(timeout=120)  # reaps it: a zombie's pid looks alive
            ended[tag] = (proc.pid, proc.returncode, err)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return {**first_runs, "ended": ended, "candidate": str(before.version)}


def test_three_first_runs_at_once_on_a_fresh_store_all_succeed(first_runs):
    for stderr, returncode in first_runs["ended"]:
        assert returncode == 0, stderr
    client = _client(first_runs["env"])
    versions = sorted(int(v.version) for v in client.search_model_versions(f"name='{MODEL}'"))
    assert versions == [1, 2, 3]
    (exp,) = [e for e in client.search_experiments() if e.name == "tiny"]
    runs = client.search_runs([exp.experiment_id])
    assert len(runs) == 3 and {r.info.status for r in runs} == {"FINISHED"}


def test_kill_9_at_three_points_leaves_candidate_on_the_complete_version(faulted):
    client = _client(faulted["env"])
    for tag in ("kill9_training", "kill9_run_opened", "kill9_version_created"):
        assert faulted["ended"][tag][1] == -signal.SIGKILL
    mv = client.get_model_version_by_alias(MODEL, "candidate")
    assert str(mv.version) == faulted["candidate"]
    assert client.get_run(mv.run_id).info.status == "FINISHED"
    assert {"tier.immediate", "tier.urgent", "model.sha256"} <= set(mv.tags)
    # Killed between creating version 4 and moving the alias: version 4 is complete too.
    pid = faulted["ended"]["kill9_version_created"][0]
    (v4,) = [v for v in client.search_model_versions(f"name='{MODEL}'") if str(v.version) == "4"]
    assert v4.run_id == _run_of(client, pid).info.run_id
    assert client.get_run(v4.run_id).info.status == "FINISHED"
    assert "tier.immediate" in v4.tags


def test_score_works_with_the_previous_candidate_after_the_kills(faulted):
    notices = faulted["work"] / "few.jsonl"
    notices.write_text("\n".join(SAMPLE.read_text("utf-8").splitlines()[:20]) + "\n", "utf-8")
    proc = _run(
        [TRIAGE, "score", str(notices), "--model", f"models:/{MODEL}@candidate",
         "--routing-model", "", "--as-of", "2024-04-01T09:00:00+09:00"],
        faulted["work"], faulted["env"],
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(records) == 20
    assert {r["model"] for r in records} == {f"models:/{MODEL}/{faulted['candidate']}"}


@pytest.mark.parametrize(
    ("tag", "signum"), [("sigterm", signal.SIGTERM), ("sigint", signal.SIGINT)]
)
def test_a_signal_ends_the_run_killed_with_one_line_and_128_plus_its_number(faulted, tag, signum):
    pid, returncode, stderr = faulted["ended"][tag]
    assert returncode == 128 + signum, stderr
    lines = stderr.strip().splitlines()
    assert lines[-1].startswith(f"error: stopped by {signal.Signals(signum).name}"), stderr
    assert "Traceback" not in stderr
    assert _run_of(_client(faulted["env"]), pid).info.status == "KILLED"


def test_the_next_run_marks_the_run_killed_with_kill_9_failed_and_takes_the_alias(faulted):
    client = _client(faulted["env"])
    pid = faulted["ended"]["kill9_run_opened"][0]
    assert _run_of(client, pid).info.status == "RUNNING"  # nobody could close it
    proc = _run([TRIAGE, "run", str(faulted["config"]), "--quiet"], faulted["work"], faulted["env"])
    assert proc.returncode == 0, proc.stderr
    dead = _run_of(client, pid)
    assert dead.info.status == "FAILED"
    assert f"process {pid}" in dead.data.tags["triage.stale_note"]
    for tag in ("sigterm", "sigint"):  # closed properly: left as they were
        assert _run_of(client, faulted["ended"][tag][0]).info.status == "KILLED"
    mv = client.get_model_version_by_alias(MODEL, "candidate")
    assert str(mv.version) == "5" and client.get_run(mv.run_id).info.status == "FINISHED"
