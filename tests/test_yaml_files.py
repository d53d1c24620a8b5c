"""Every YAML file people edit is read with a one-line error: file, line, column, problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from triage.aggregates.spec import ReleaseSpecError, load_release_spec
from triage.audit.config import load_audit_config
from triage.contract.errors import TriageError
from triage.experiment.config import ConfigError, load_config
from triage.pipelines.utility_config import UtilityConfigError, load_utility_config
from triage.rules import load_rule_set
from triage.sweep.spec import SweepError, load_sweep_file
from triage.synth.spec import SpecError, load_spec

TRIAGE = str(Path(sys.executable).with_name("triage"))
BROKEN = "a: [1, 2\nb: c: d\n"
WHERE = "line 2, column 2: expected ',' or ']', but got ':'"

LOADERS = [
    (load_config, ConfigError),
    (load_release_spec, ReleaseSpecError),
    (load_rule_set, TriageError),
    (load_spec, SpecError),
    (load_utility_config, UtilityConfigError),
    (load_audit_config, TriageError),
    (load_sweep_file, SweepError),
]


@pytest.mark.parametrize(("load", "error"), LOADERS, ids=[f.__name__ for f, _ in LOADERS])
def test_broken_yaml_is_one_line_naming_the_file_and_where(tmp_path, load, error):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, "utf-8")
    with pytest.raises(error) as caught:
        load(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and WHERE in message, message


@pytest.mark.parametrize(("load", "error"), LOADERS, ids=[f.__name__ for f, _ in LOADERS])
def test_a_file_that_is_not_text_is_one_line(tmp_path, load, error):
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage\x9c")
    with pytest.raises(error) as caught:
        load(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_the_audit_command_says_a_broken_config_in_one_line(tmp_path):
    (tmp_path / "audit.yaml").write_text(BROKEN, "utf-8")
    (tmp_path / "scores.csv").write_text("y,risk,child_sex\n1,0.5,male\n", "utf-8")
    proc = subprocess.run(
        [TRIAGE, "audit", "--scores", "scores.csv", "--label", "y", "--score", "risk",
         "--threshold", "0.2", "--config", "audit.yaml", "--no-mlflow"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"error: audit.yaml is not valid YAML: {WHERE}"  # the path as typed
    ]
