"""The release folder: written byte for byte the same, read back trusting nothing in it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pandas as pd
import pytest

from triage.aggregates.release_folder import (
    ReleaseError,
    manifest_schema,
    read_release,
    write_release,
)
from triage.aggregates.tables import Table, tabulate
from triage.contract import InvalidParameter

DOMAIN = {
    "route": ("police", "school", "neighbour"),
    "region_urbanity": ("urban", "rural, remote"),  # a comma: the CSV quotes it
    "recorded_tier": ("immediate", "urgent", "standard"),
}
TABLE = "route__recorded_tier"


def _tables(seed: int = 0) -> list[Table]:
    rng = np.random.default_rng(seed)
    records = pd.DataFrame(
        {
            a: pd.Categorical(rng.choice(levels, 60), categories=list(levels))
            for a, levels in DOMAIN.items()
        }
    )
    pair = tabulate(records, DOMAIN, ["route", "recorded_tier"])
    pair = pair.with_counts(np.where(pair.counts() < 7, np.nan, pair.counts()))  # some suppressed
    return [pair, tabulate(records, DOMAIN, ["region_urbanity"])]


def _write(out: Path, **overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "tables": _tables(),
        "domain": DOMAIN,
        "method": "sdc",
        "parameters": {"k": 7},
        "budget": None,
        "spec": {"release_spec_version": 1, "tables": [["route", "recorded_tier"]]},
        "spec_digest": "0123456789abcdef",
        "records": 60,
    }
    return write_release(out, **(arguments | overrides))


@pytest.fixture
def release(tmp_path) -> Path:
    folder = tmp_path / "release"
    _write(folder)
    return folder


def _refused(folder: Path) -> str:
    with pytest.raises(ReleaseError) as caught:
        read_release(folder)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def _edit_manifest(folder: Path, edit) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    edit(manifest)
    path.write_text(json.dumps(manifest), "utf-8")


def _forge_table(folder: Path, text: str, *, suppressed: int | None = None) -> None:
    """Replace the table's file and give the manifest its new digest: only the parse is left to catch it."""
    data = text.encode("utf-8")
    (folder / "tables" / f"{TABLE}.csv").write_bytes(data)

    def edit(manifest):
        entry = manifest["tables"][0]
        entry["sha256"] = hashlib.sha256(data).hexdigest()
        if suppressed is not None:
            entry["suppressed"] = suppressed

    _edit_manifest(folder, edit)


def test_written_then_read_gives_the_same_tables_and_a_valid_manifest(tmp_path, release):
    read = read_release(release)
    for written, back in zip(_tables(), read.tables, strict=True):
        assert back.name == written.name and back.attributes == written.attributes
        pd.testing.assert_frame_equal(back.frame, written.frame)
    assert read.domain == DOMAIN
    manifest = json.loads((release / "manifest.json").read_text("utf-8"))
    assert read.manifest == manifest
    jsonschema.Draft202012Validator.check_schema(manifest_schema())
    jsonschema.validate(manifest, manifest_schema())
    assert manifest["budget"] is None and manifest["records"] == 60
    assert [t["file"] for t in manifest["tables"]] == [
        f"tables/{TABLE}.csv",
        "tables/region_urbanity.csv",
    ]
    assert manifest["tables"][0]["suppressed"] == int(_tables()[0].suppressed().sum()) > 0
    assert "notice_id" not in json.dumps(manifest)


def test_a_table_file_is_the_attribute_columns_then_count_empty_where_suppressed(release):
    lines = (release / "tables" / f"{TABLE}.csv").read_bytes().decode("utf-8").split("\n")
    assert lines[0] == "route,recorded_tier,count"
    assert lines[-1] == ""  # LF after the last row, and no CR anywhere
    counts = _tables()[0].frame["count"]
    first_suppressed = int(np.flatnonzero(counts.isna().to_numpy())[0])
    assert lines[1 + first_suppressed].endswith(",")
    region = (release / "tables" / "region_urbanity.csv").read_text("utf-8")
    assert region.splitlines()[2].startswith('"rural, remote",')


def test_the_same_release_gives_byte_identical_files(tmp_path, release):
    again = tmp_path / "again"
    _write(again)
    _write(release)  # overwriting a release with itself
    for folder in (again, release):
        files = sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())
        assert files == [Path("manifest.json"), Path("tables/region_urbanity.csv"),
                         Path(f"tables/{TABLE}.csv")]  # fmt: skip
    for name in ("manifest.json", f"tables/{TABLE}.csv", "tables/region_urbanity.csv"):
        assert (again / name).read_bytes() == (release / name).read_bytes()


def test_overwriting_a_release_leaves_no_table_of_the_old_one(release):
    _write(release, tables=_tables()[1:])
    assert [t.name for t in read_release(release).tables] == ["region_urbanity"]
    assert not (release / "tables" / f"{TABLE}.csv").exists()


def test_a_dp_release_keeps_its_budget(tmp_path):
    budget = {"epsilon": 1.0, "delta": 1e-6, "rho": np.float64(0.01), "per_table": [0.5, 0.5]}
    manifest = _write(
        tmp_path / "dp", method="dp", parameters={"epsilon": 1.0, "delta": 1e-6}, budget=budget
    )
    assert read_release(tmp_path / "dp").manifest["budget"] == manifest["budget"]
    assert manifest["budget"]["rho"] == 0.01


def test_a_table_edited_after_release_is_refused_naming_it(release):
    path = release / "tables" / f"{TABLE}.csv"
    lines = path.read_text("utf-8").split("\n")
    row = next(i for i, line in enumerate(lines) if line and line[-1].isdigit() and i > 0)
    lines[row] = lines[row][:-1] + str((int(lines[row][-1]) + 1) % 10)
    path.write_text("\n".join(lines), "utf-8")
    message = _refused(release)
    assert message.startswith(f"table {TABLE}: its file changed after release (sha256 ")
    assert "≠ manifest" in message


def test_a_missing_or_an_extra_table_file_is_named(tmp_path, release):
    (release / "tables" / "region_urbanity.csv").unlink()
    assert _refused(release) == (
        "table region_urbanity: its file tables/region_urbanity.csv is missing"
    )
    _write(release)
    (release / "tables" / "route__region_urbanity.csv").write_text("x\n", "utf-8")
    assert _refused(release).startswith('tables/"route__region_urbanity.csv": not a table of')


def test_a_folder_without_a_manifest_is_not_a_release(tmp_path):
    (tmp_path / "empty").mkdir()
    assert "manifest.json is missing" in _refused(tmp_path / "empty")
    assert "is not a folder" in _refused(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda m: m.pop("spec_digest"), 'manifest.json: $: expected the key "spec_digest"'),
        (lambda m: m.update(records="many"), '$.records: expected integer or null, got "many"'),
        (lambda m: m.update(method="k-anon"), '$.method: expected one of "sdc", "dp"'),
        (lambda m: m.update(extra=1), '$: expected no other key, got "extra"'),
        (lambda m: m["parameters"].pop("k"), '$.parameters: expected the key "k"'),
        (lambda m: m["tables"][0].update(sha256="abc"), "$.tables[0].sha256: expected a string"),
        (lambda m: m["tables"][0].update(cells=5), "$.tables[0].cells: expected 9 (from the"),
        (lambda m: m["tables"][0].update(suppressed=0), f"table {TABLE}: expected 0 suppressed"),
        (
            lambda m: m["tables"][0]["attributes"].append("child_sex"),
            "$.tables[0].attributes[2]: expected an attribute of $.attributes",
        ),
        (
            lambda m: m["attributes"].update(region_code=["13101"]),
            "$.attributes (a key): expected none of notice_id, received_at",
        ),
        (
            lambda m: m["attributes"]["route"].append("police\n"),
            "$.attributes.route[3]: expected a level of 1-128 characters",
        ),
        (lambda m: m.update({"bad\nkey": 1}), '$: expected no other key, got "bad\\nkey"'),
    ],
)
def test_a_manifest_off_its_schema_is_refused_naming_the_path(release, edit, expected):
    _edit_manifest(release, edit)
    assert expected in _refused(release)


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("../../outside.csv", "$.tables[0].file: expected a string matching ^tables/"),
        ("tables/../../outside.csv", "$.tables[0].file: expected a string matching ^tables/"),
        ("/etc/passwd", "$.tables[0].file: expected a string matching ^tables/"),
        (
            "tables/region_urbanity.csv",
            '$.tables[0].file: expected "tables/route__recorded_tier.csv"',
        ),
        (f"tables/{TABLE}.csv\n", f'expected "tables/{TABLE}.csv" (from'),
    ],
)
def test_a_table_file_must_stay_inside_tables(release, file, expected):
    _edit_manifest(release, lambda m: m["tables"][0].update(file=file))
    assert expected in _refused(release)


def test_a_table_file_linked_to_outside_the_release_is_refused(tmp_path, release):
    outside = tmp_path / "outside.csv"
    path = release / "tables" / f"{TABLE}.csv"
    outside.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(outside)
    assert _refused(release) == f"table {TABLE}: its file tables/{TABLE}.csv is missing"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"format": 1e999}', "$.format: expected a finite number"),
        ('{"format": NaN}', "not valid JSON: NaN is not a JSON number"),
        ('{"records": ' + "9" * 30 + "}", "$.records: expected an integer of at most 63 bits"),
        ('{"records": ' + "9" * 5000 + "}", "manifest.json: not valid JSON"),
        ('{"spec": ' + "[" * 100 + "]" * 100 + "}", "nested deeper than 32 levels"),
        ("[" * 200_000 + "]" * 200_000, "manifest.json: nested deeper than 32 levels"),
        ("[1, 2]", "manifest.json: $: expected object, got an array"),
        ("{not json", "manifest.json: not valid JSON"),
    ],
)
def test_a_hostile_manifest_is_one_line_never_a_traceback(release, text, expected):
    (release / "manifest.json").write_text(text, "utf-8")
    assert expected in _refused(release)


def test_a_manifest_that_is_not_utf8_is_refused(release):
    (release / "manifest.json").write_bytes(b'{"format": "\xff"}')
    assert _refused(release) == "manifest.json: expected UTF-8 text"


def _table_text(release: Path) -> list[str]:
    return (release / "tables" / f"{TABLE}.csv").read_text("utf-8").split("\n")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda ls: ["tier,route,count", *ls[1:]], "line 1: expected the header route,recorded_tier,count"),
        (lambda ls: [ls[0], ls[2], ls[1], *ls[3:]], "line 2: expected the cell route=police, recorded_tier=immediate"),
        (lambda ls: [*ls[:-1], "police,urgent,3", ""], "expected 9 cells (every cell of the grid), got 10"),
        (lambda ls: ls[:-1], "expected the file to end with a line break"),
        (lambda ls: [ls[0], "police,immediate,-1", *ls[2:]], 'line 2: count: expected empty (suppressed) or a non-negative integer, got "-1"'),
        (lambda ls: [ls[0], "police,immediate,1.0", *ls[2:]], 'got "1.0"'),
        (lambda ls: [ls[0], '"police",immediate,4', *ls[2:]], 'line 2: expected "police,immediate,4" as written'),
        (lambda ls: [ls[0], 'police,"immediate', *ls[2:]], "line 2: not CSV"),
        (lambda ls: [ls[0], "", *ls[2:]], "line 2: expected the cell route=police"),
    ],
)  # fmt: skip
def test_a_table_file_forged_with_a_matching_digest_is_still_parsed_strictly(
    release, change, expected
):
    _forge_table(release, "\n".join(change(_table_text(release))))
    message = _refused(release)
    assert message.startswith(f"table {TABLE}: ")
    assert expected in message


def test_a_forged_table_whose_counts_parse_is_read_as_forged(release):
    lines = _table_text(release)
    lines[1] = "police,immediate,0"
    suppressed = sum(line.endswith(",") for line in lines[1:])
    _forge_table(release, "\n".join(lines), suppressed=suppressed)
    assert read_release(release).table(TABLE).frame["count"].iloc[0] == 0


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"method": "laplace"}, "method: expected one of sdc, dp"),
        ({"domain": {**DOMAIN, "region_code": ("13101",)}}, "domain: attribute region_code is finer"),
        ({"domain": {**DOMAIN, "route": ("police", "police")}}, "domain: attribute route: expected distinct"),
        ({"domain": {"route": DOMAIN["route"]}}, f"tables: table {TABLE}: attribute 'recorded_tier' is not in the domain"),
        ({"tables": []}, "tables: expected at least one table"),
        ({"tables": [_tables()[1], _tables()[1]]}, "tables: table region_urbanity: expected each table once"),
        ({"parameters": {}}, 'parameters: $.parameters: expected the key "k"'),
        ({"parameters": {"k": 7}, "budget": {"epsilon": 1}}, "budget: $.budget: expected null"),
        ({"method": "dp", "parameters": {"epsilon": -1, "delta": 0}, "budget": {}}, "$.parameters.epsilon: expected a number > 0"),
        ({"parameters": {"k": float("nan")}}, "parameters.k: expected a finite number"),
        ({"spec": {"when": pd.Timestamp("2024-04-01")}}, "spec.when: expected plain JSON data"),
        ({"spec_digest": "not hex"}, "spec_digest: $.spec_digest: expected a string matching"),
    ],
)  # fmt: skip
def test_write_refuses_what_a_release_must_not_hold_before_writing(tmp_path, overrides, expected):
    with pytest.raises(InvalidParameter) as caught:
        _write(tmp_path / "out", **overrides)
    assert expected in str(caught.value) and "\n" not in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_write_refuses_a_table_that_is_not_its_full_grid(tmp_path):
    pair = _tables()[0]
    shuffled = Table(pair.name, pair.attributes, pair.frame.iloc[::-1].reset_index(drop=True))
    with pytest.raises(
        InvalidParameter, match=f"tables: table {TABLE}: row 1: expected route=police"
    ):
        _write(tmp_path / "out", tables=[shuffled])
    negative = pair.with_counts(np.where(np.arange(9) == 4, -3, 1))
    with pytest.raises(InvalidParameter, match="row 5: count: expected a non-negative integer"):
        _write(tmp_path / "out", tables=[negative])


def test_write_never_mixes_a_release_with_other_files(tmp_path, release):
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine", "utf-8")
    with pytest.raises(InvalidParameter, match="^out: .*other is not empty and holds no release"):
        _write(other)
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]

    (release / "README.md").write_text("mine", "utf-8")
    with pytest.raises(InvalidParameter, match="is a release that also holds 'README.md'"):
        _write(release)
    assert read_release(release).manifest["records"] == 60  # left as it was


def test_overwriting_a_release_removes_the_report_written_beside_it(release):
    for name in ("report.en.html", "report.ja.md"):
        (release / name).write_text("the old release's report", "utf-8")
    _write(release, tables=_tables()[1:])
    assert sorted(p.name for p in release.iterdir()) == ["manifest.json", "tables"]
