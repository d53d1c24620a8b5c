"""Issue 16, finding 10 (reader side): an identifying value put where it does not belong
is refused by naming the field and the rule, never by repeating it: not on stderr, not in
the rejects file, not in the errors the API returns (the same messages)."""

from __future__ import annotations

import json

import pytest
from rich.console import Console
from typer.testing import CliRunner

from notice_factory import make_notice
from triage.cli.app import app
from triage.cli.validate import run_validate_notices
from triage.contract import notice_fields
from triage.notices import validate_notices

SECRET = "山田太郎 090-1234-5678"
PIECES = ("山田", "太郎", "090", "1234", "5678")


def _assert_not_echoed(*texts: str) -> None:
    for text in texts:
        for piece in PIECES:
            assert piece not in text, (piece, text[:300])


def _hostile_rows() -> list[dict]:
    """One row per field holding the secret (or it as a list item), and as a key."""
    rows = []
    for i, field in enumerate(notice_fields().all):
        value = [SECRET] if field == "alleged_types" else SECRET
        rows.append(make_notice(**{"notice_id": f"N{i}", field: value}))
    rows.append(make_notice(notice_id="K1", **{SECRET: 1}))
    rows.append(make_notice(notice_id="K2", extra_note=SECRET))
    return rows


def _every_text(result) -> list[str]:
    return [
        *(e.message for e in result.errors),
        *(e.field or "" for e in result.errors),
        *(e.notice_id or "" for e in result.errors),
        json.dumps(result.rejected, ensure_ascii=False),
        json.dumps(result.refused_columns, ensure_ascii=False),
    ]


def test_no_field_echoes_an_identifying_value_in_messages_or_rejects():
    rows = _hostile_rows()
    result = validate_notices(rows)
    assert result.n_valid == 0 and result.n_rejected == len(rows)
    _assert_not_echoed(*_every_text(result))
    by_row = {e.row: e for e in result.errors}
    region = by_row[1 + notice_fields().all.index("region_code")]
    assert region.message == (
        "region_code: expected a string matching ^[A-Za-z0-9_-]{1,16}$, "
        f"got a string of {len(SECRET)} characters"
    )
    assert by_row[1].notice_id is None  # a refused id is not shown either


def test_json_lines_stderr_and_the_rejects_file_never_hold_the_value(tmp_path):
    path = tmp_path / "n.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in _hostile_rows()]
    lines.append(json.dumps(SECRET, ensure_ascii=False))  # a line that is not an object
    lines.append('{"notice_id": "T", "region_code": "' + SECRET)  # a truncated line
    lines.append(f'{{"a": "{SECRET}", "a": 1}}')  # a repeated key
    path.write_text("\n".join(lines) + "\n", "utf-8")
    rejects = tmp_path / "rejects.jsonl"
    out = Console(record=True, width=300)
    assert run_validate_notices(path, rejects=rejects, console=out) == 1
    _assert_not_echoed(out.export_text(), rejects.read_text("utf-8"))
    _assert_not_echoed(*_every_text(validate_notices(path)))
    score = CliRunner().invoke(app, ["score", str(path), "--as-of", "1700-01-01T00:00:00Z"])
    assert "line 2 (N1): received_at: expected a date-time" in score.output
    _assert_not_echoed(score.output)


@pytest.mark.parametrize(
    "item",
    [SECRET, [SECRET], 9012345678, {SECRET: SECRET}, [[[[SECRET]]]]],
)
def test_an_item_that_is_not_a_notice_is_described_not_echoed(item):
    # the API's path: a JSON body as a list of notices
    result = validate_notices([make_notice(), item])
    assert result.n_valid == 1 and result.rejected_rows == [2]
    assert result.errors[0].row == 2
    _assert_not_echoed(*_every_text(result))
