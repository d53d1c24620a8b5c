"""When a RUNNING run is known to be dead (triage.tracking.run_owner), and the store lock."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest

from triage.tracking.run_owner import (
    HEARTBEAT_TAG,
    HOST_TAG,
    PID_TAG,
    STALE_AFTER_SECONDS,
    now_utc,
    owner_tags,
    stale_reason,
    stamp,
)
from triage.tracking.store_lock import StoreBusy, sqlite_path, store_lock


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # reaped: no process has this id now (a zombie would still look alive)
    return proc.pid


def test_a_run_of_this_process_with_a_fresh_heartbeat_is_alive():
    assert stale_reason(owner_tags()) is None


def test_a_run_whose_process_on_this_host_is_gone_is_stale():
    tags = owner_tags() | {PID_TAG: str(_dead_pid())}
    reason = stale_reason(tags)
    assert reason is not None and f"process {tags[PID_TAG]}" in reason


def test_a_run_on_another_host_is_stale_only_when_its_heartbeat_stopped_long_ago():
    other = {HOST_TAG: f"not-{socket.gethostname()}", PID_TAG: "1"}
    fresh = stamp(now_utc() - timedelta(seconds=STALE_AFTER_SECONDS / 2))
    old = stamp(now_utc() - timedelta(seconds=STALE_AFTER_SECONDS * 2))
    assert stale_reason(other | {HEARTBEAT_TAG: fresh}) is None
    assert "no heartbeat" in (stale_reason(other | {HEARTBEAT_TAG: old}) or "")


def test_runs_without_owner_tags_are_never_touched():
    assert stale_reason({}) is None
    assert stale_reason({"mlflow.user": "someone"}) is None


def test_the_store_lock_is_exclusive_and_says_so_in_one_line(tmp_path):
    database = sqlite_path(f"sqlite:///{tmp_path / 'mlflow.db'}")
    assert database == tmp_path / "mlflow.db"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from triage.tracking.store_lock import store_lock\n"
         "with store_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(30)",
         str(database)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreBusy) as caught, store_lock(database, wait=0.3):
            pass
        assert "\n" not in str(caught.value) and "mlflow.db" in str(caught.value)
    finally:
        holder.kill()
        holder.wait()
    with store_lock(database, wait=5):  # the kernel released the dead holder's lock
        assert (tmp_path / "mlflow.db.lock").exists()
    assert os.stat(tmp_path / "mlflow.db.lock").st_mode & 0o077 == 0
