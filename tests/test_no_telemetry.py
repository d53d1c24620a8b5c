"""Nothing leaves the machine unasked: importing triage turns MLflow's usage telemetry off,
unless the user set MLFLOW_DISABLE_TELEMETRY themselves."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = (
    "import triage, mlflow\n"
    "from mlflow.telemetry import get_telemetry_client\n"
    "print(get_telemetry_client() is None)\n"
)


def _clean_env(**extra: str) -> dict[str, str]:
    # MLflow also stays quiet in CI or under pytest; those signals are removed so the
    # probe sees what a user's shell would.
    quiet_anyway = ("CI", "PYTEST_CURRENT_TEST", "GITHUB_ACTIONS", "DO_NOT_TRACK")
    env = {k: v for k, v in os.environ.items() if k not in quiet_anyway}
    env.pop("MLFLOW_DISABLE_TELEMETRY", None)
    return {**env, **extra}


@pytest.mark.parametrize(
    ("extra", "disabled"),
    [({}, True), ({"MLFLOW_DISABLE_TELEMETRY": "false"}, False)],
    ids=["default-off", "user-turned-on"],
)
def test_importing_triage_turns_mlflow_telemetry_off_unless_the_user_said(extra, disabled):
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=_clean_env(**extra), capture_output=True,
        text=True, check=True, timeout=120,
    )  # fmt: skip
    assert out.stdout.strip() == str(disabled)
