"""One error convention for every command (issue 17): a user's mistake — a missing file,
a wrong id, a bad option value — is one ``error: ...`` line on stderr and exit 2, never
a traceback and never click's four-line usage block.

Each command of ``triage`` (every subcommand, found from the app itself) is given at least
one such mistake, in-process, in a temporary folder with an empty MLflow store there.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from test_cli_help import COMMANDS as CLI_COMMANDS
from triage.cli import app

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "synthetic" / "sample" / "notices.jsonl"
AS_OF = "2024-04-01T09:00:00+09:00"
RUN_ID = "0123456789abcdef0123456789abcdef"

MISTAKES: list[tuple[str, ...]] = [
    ("synth", "--n", "0", "--out", "o"),
    ("synth", "--format", "xml", "--out", "o", "--n", "10"),
    ("synth", "--n", "10"),
    ("synth", "--out", "a_file", "--n", "10"),
    ("synth", "--check", "missing"),
    ("synth", "--spec", "missing.yaml", "--out", "o", "--n", "10"),
    ("validate", "missing.jsonl"),
    ("validate", "missing.yaml"),
    ("validate", "good.jsonl", "--rejects", "rejects.txt"),
    ("run", "missing.yaml"),
    ("run", "nope"),
    ("promote", "99", "--reason", "x"),
    ("promote", "abc", "--reason", "x"),
    ("sweep", "missing.yaml"),
    ("score", "missing.jsonl"),
    ("score", "good.jsonl", "--as-of", "not a time"),
    ("score", "good.jsonl", "--top", "-1"),
    ("queue", "good.jsonl"),
    ("queue", "good.jsonl", "--as-of", AS_OF, "--config", "missing.yaml"),
    ("explain", "missing.jsonl"),
    ("explain", "good.jsonl", "--pictures", "-1"),
    ("report", RUN_ID),
    ("report", RUN_ID, "--lang", "fr"),
    ("serve", "--notices", "missing.jsonl", "--store", "s"),
    ("serve", "--as-of", "not a time"),
    ("serve", "--port", "0"),
    ("serve", "--store", "a_file"),
    ("audit", "--run", RUN_ID),
    ("audit", "--scores", "missing.csv", "--label", "y", "--score", "risk", "--threshold", "0.2"),
    ("audit", "--config", "missing.yaml", "--run", RUN_ID),
    ("audit", "power", "--effects", "a", "--no-mlflow"),
    ("audit", "power", "--spec", "missing.yaml", "--no-mlflow"),
    ("audit", "mitigate", "--config", "missing.yaml"),
    ("audit", "mitigate", "--n", "0"),
    ("aggregates", "release", "--notices", "good.jsonl", "--outcomes", "missing.csv", "--out", "r"),
    ("aggregates", "check", "missing"),
    ("aggregates", "synthesize", "missing", "--out", "s"),
    ("aggregates", "utility", "missing.yaml"),
    ("users", "add", "sato", "--store", "a_file", "--password-stdin"),
    ("users", "list", "--store", "missing"),
    ("users", "disable", "sato", "--store", "missing"),
    ("decisions", "verify", "--store", "missing"),
    ("decisions", "export", "--out", "x.csv", "--store", "missing"),
    ("decisions", "analyse", "--truth", "missing.parquet"),
    ("nonsense",),
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A working folder: one valid notice, a plain file where a folder is expected."""
    work = tmp_path_factory.mktemp("cli-errors")
    (work / "good.jsonl").write_text(SAMPLE.read_text("utf-8").splitlines()[0] + "\n", "utf-8")
    (work / "a_file").write_text("not a folder\n", "utf-8")
    from mlflow import MlflowClient

    # An existing, empty store: MLflow's own lines on creating one are not the command's.
    MlflowClient(f"sqlite:///{work / 'mlflow.db'}").search_experiments()
    return work


@pytest.fixture
def in_folder(folder, monkeypatch):
    import mlflow.tracking._model_registry.utils as registry_utils
    import mlflow.tracking._tracking_service.utils as tracking_utils

    monkeypatch.setattr(tracking_utils, "_tracking_uri", None)
    monkeypatch.setattr(registry_utils, "_registry_uri", None)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{folder / 'mlflow.db'}")
    monkeypatch.setenv("TRIAGE_INTAKE_STORE", str(folder / "missing"))
    return folder


def test_every_command_is_given_a_mistake():
    given = {m[:2] if m[:2] in COMMANDS else m[:1] for m in MISTAKES}
    assert set(COMMANDS) - given == set()


COMMANDS = [*CLI_COMMANDS, ("audit",)]  # `triage audit` itself runs an audit


@pytest.mark.parametrize("args", MISTAKES, ids=" ".join)
def test_a_users_mistake_is_one_error_line_and_exit_2(in_folder, args):
    result = CliRunner().invoke(app, list(args), input="")
    lines = result.stderr.splitlines()
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    assert not (in_folder / "missing").exists()  # a mistyped store is said, never made


def test_a_usage_error_names_the_option_and_where_help_is(in_folder):
    result = CliRunner().invoke(app, ["synth", "--n", "0", "--out", "o"])
    assert result.stderr.strip() == (
        "error: Invalid value for '--n': Input should be greater than or equal to 1 "
        "(triage synth --help lists the options)"
    )


def test_a_config_that_is_not_there_exits_2_and_one_that_is_wrong_exits_1(in_folder):
    wrong = in_folder / "wrong.yaml"
    wrong.write_text((REPO / "configs" / "ci.yaml").read_text("utf-8") + "\nnope: 1\n", "utf-8")
    for command in ("validate", "run"):
        result = CliRunner().invoke(app, [command, str(wrong)])
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith(f"error: {wrong} is invalid (1 problem(s)):\n")
        assert "nope" in result.stderr
    missing = CliRunner().invoke(app, ["validate", "missing.yaml"])
    assert missing.stderr == "error: cannot read config missing.yaml: no such file\n"


def test_validate_says_its_errors_on_stderr_and_its_report_on_stdout(in_folder):
    bad = in_folder / "bad.jsonl"
    bad.write_text(json.dumps({"notice_id": "X"}) + "\n", "utf-8")
    result = CliRunner().invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1 and "1 rows, 0 valid, 1 rejected" in result.stdout
    missing = CliRunner().invoke(app, ["validate", "missing.jsonl"])
    assert missing.stdout == "" and missing.stderr.startswith("error: ")
