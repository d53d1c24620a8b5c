"""Issue 16, findings 6 and 7 at the command line: every command that reads notices
(validate, score, queue, explain, serve --notices) keeps the valid rows of a file with a
hostile line, and says a file it cannot read in one ``error:`` line with exit code 2."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from notice_factory import make_notice, make_records
from triage.cli.app import app
from triage.cli.explain import explain_command
from triage.notices import validate_notices, write_notices

AS_OF = "2024-04-01T09:00:00+09:00"
DEEP = "[" * 5000 + "]" * 5000


def _unreadable_files(tmp_path) -> dict[str, object]:
    good = write_notices(validate_notices(make_records(5)).valid, tmp_path / "good.parquet")
    data = good.read_bytes()
    files = {
        "truncated.parquet": data[: len(data) // 2],
        "text.parquet": b"notice_id,route\nN1,police\n",
        "notices.csv": b"notice_id,route\nN1,police\n",
        "utf16.jsonl": (json.dumps(make_notice()) + "\n").encode("utf-16"),
    }
    paths = {}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
        paths[name] = tmp_path / name
    (tmp_path / "folder.jsonl").mkdir()
    paths["folder.jsonl"] = tmp_path / "folder.jsonl"
    os.mkfifo(tmp_path / "pipe.jsonl")
    paths["pipe.jsonl"] = tmp_path / "pipe.jsonl"
    return paths


def _one_error_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert lines[0].startswith("error: ") and "Traceback" not in text
    return lines[0]


def _deep_file(tmp_path):
    rows = [json.dumps(make_notice(notice_id=f"N{i}")) for i in range(3)]
    path = tmp_path / "deep.jsonl"
    path.write_text("\n".join([rows[0], DEEP, rows[1], rows[2]]) + "\n", "utf-8")
    return path


@pytest.mark.parametrize("command", ["validate", "score", "queue"])
def test_a_file_that_cannot_be_read_is_one_error_line_and_exit_2(tmp_path, command):
    runner = CliRunner()
    for name, path in _unreadable_files(tmp_path).items():
        args = [command, str(path)] + ([] if command == "validate" else ["--as-of", AS_OF])
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (name, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), name
        line = _one_error_line(result.output)
        assert str(path) in line, name


def test_explain_says_an_unreadable_file_in_one_line(tmp_path, capsys):
    for name, path in _unreadable_files(tmp_path).items():
        assert explain_command("models:/none@champion", str(path), "en", tmp_path / "o") == 2
        line = _one_error_line(capsys.readouterr().err)
        assert line.startswith(f"error: {path}: cannot read notices: "), name


def test_validate_keeps_every_valid_row_of_a_file_with_a_deep_line(tmp_path):
    rejects = tmp_path / "rejects.jsonl"
    result = CliRunner().invoke(
        app, ["validate", str(_deep_file(tmp_path)), "--rejects", str(rejects)]
    )
    assert result.exit_code == 1, result.output
    assert "4 rows, 3 valid, 1 rejected" in result.output
    assert "nested deeper than 32 levels" in result.output
    (line,) = rejects.read_text("utf-8").splitlines()
    assert json.loads(line)["_row"] == 2


@pytest.mark.parametrize("command", ["score", "queue"])
def test_score_and_queue_read_past_a_deep_line_to_their_next_check(tmp_path, command):
    # The next check (--as-of centuries early) stops them before a model is needed: what
    # matters here is that reading the file neither crashed nor lost it.
    far = "1700-01-01T00:00:00+09:00"
    result = CliRunner().invoke(app, [command, str(_deep_file(tmp_path)), "--as-of", far])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert lines[0].endswith(
        "deep.jsonl: line 2: line is nested deeper than 32 levels; a notice is a flat JSON object"
    )
    assert lines[1].startswith(f"error: --as-of: {far} is ")
    assert "before the earliest notice (received 2023-04-03T09:15:00+09:00)" in lines[1]


def test_explain_reads_past_a_deep_line(tmp_path, capsys):
    # Looking up an id that is not there stops before the model: the file was read whole.
    code = explain_command(
        "models:/none@champion", "NOPE", "en", tmp_path / "o", notices=_deep_file(tmp_path)
    )
    assert code == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith(
        "line 2: line is nested deeper than 32 levels; a notice is a flat JSON object"
    )
    assert err[1].startswith("error: no notice with notice_id 'NOPE'")


def test_serve_notices_imports_the_valid_rows_of_a_file_with_a_deep_line(tmp_path):
    from triage.decisions import connect
    from triage.web.intake import import_notice_file

    conn = connect(tmp_path / "intake.db")
    try:
        said: list[str] = []
        result = import_notice_file(
            conn, _deep_file(tmp_path), sample_in_store=False, log=said.append
        )
    finally:
        conn.close()
    assert result.added == 3 and result.rejected_rows == [2]
    assert "nested deeper than 32 levels" in said[0]
