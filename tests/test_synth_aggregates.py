"""``triage synth --aggregates FILE``: the generator calibrated to a user's own table.

The user's table here is one prefecture-like table made from the national FY2023
rows (total, abuse types, routes) scaled by 0.02, with a route mix far from the
nation's (police 30% instead of 51.7%). It has no DV-witness or age-band rows, so
those two margins come from the national figures, and the run says so.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from triage.cli import app
from triage.synth import load_spec
from triage.synth.calibrate import (
    MAX_LINE_BYTES,
    CalibrationError,
    aggregates_vocabulary,
    published_targets,
    read_aggregates_table,
)
from triage.synth.output import read_dataset
from triage.synth.spec import with_user_aggregates

REPO = Path(__file__).resolve().parents[1]
NATIONAL = REPO / "synthetic" / "published_aggregates.csv"
HEADER = "fiscal_year,dimension,category,count,source"
ROUTE_MIX = {  # the prefecture's published routes, as shares of its total
    "police_etc": 0.30,
    "neighbors_acquaintances": 0.18,
    "family_relatives": 0.15,
    "school_etc": 0.12,
}
CONTRACT_ROUTE = {
    published: route for route, published in load_spec().calibration.route_map.items()
}
N = 20_000


def prefecture_rows(scale: float = 0.02) -> list[list[str]]:
    """The national FY2023 rows for total, abuse types and routes, scaled, routes remixed."""
    national = pd.read_csv(NATIONAL)
    rows = national[
        (national.fiscal_year == 2023) & national.dimension.isin(["total", "abuse_type", "route"])
    ]
    total = round(float(rows.loc[rows.dimension == "total", "count"].iloc[0]) * scale)
    out = []
    for r in rows.itertuples():
        count = round(r.count * scale)
        if r.dimension == "total":
            count = total
        elif r.dimension == "route":
            count = round(total * ROUTE_MIX[r.category])
        out.append(["2023", r.dimension, r.category, str(count), "test prefecture table"])
    return out


def write_table(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER + "\n")
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return path


def synth(*args: str):
    return CliRunner().invoke(app, ["synth", *args])


@pytest.fixture(scope="module")
def prefecture(tmp_path_factory) -> Path:
    return write_table(tmp_path_factory.mktemp("pref") / "pref.csv", prefecture_rows())


@pytest.fixture(scope="module")
def generated(prefecture, tmp_path_factory):
    out = tmp_path_factory.mktemp("gen") / "set"
    res = synth("--n", str(N), "--seed", "3", "--out", str(out), "--aggregates", str(prefecture))
    assert res.exit_code == 0, res.output
    return out, res


def test_route_shares_follow_the_users_table_not_the_national_one(generated):
    out, _ = generated
    notices, _, _ = read_dataset(out)
    shares = notices["route"].astype(str).value_counts(normalize=True)
    national = published_targets(load_spec(), 2023)["route"].shares
    for published, route in CONTRACT_ROUTE.items():
        want = ROUTE_MIX[published]
        se = np.sqrt(want * (1 - want) / N)
        assert abs(shares[route] - want) < 4 * se, (route, shares[route], want)
    # far from the nation's: police 51.7% there, 30% here (over 40 standard errors)
    assert national["police"] - shares["police"] > 0.2


def test_margins_the_table_lacks_come_from_the_national_figures_and_are_named(generated):
    out, res = generated
    notes = [line for line in res.output.splitlines() if line.startswith("note: ")]
    assert [n.split()[1] for n in notes] == ["notice_kind", "age_band"]
    assert "pref.csv has no 'age_band' figures" in notes[1] and "FY2016" in notes[1]
    assert res.output.rstrip().endswith(
        "calibrated to pref.csv (national figures for notice_kind, age_band))"
    )
    targets = json.loads((out / "manifest.json").read_text("utf-8"))["targets"]
    assert targets["route"]["source"].startswith("pref.csv: route FY2023")
    assert targets["main_type"]["source"].startswith("pref.csv: abuse_type FY2023")
    assert targets["age_band"]["source"].startswith("published_aggregates.csv: age_band FY2016")
    # the DV-witness share scaled to the table's police share, so it fits inside it
    nation = published_targets(load_spec(), 2023)
    dv = targets["notice_kind"]["shares"]["dv_witness"]
    expected = nation["notice_kind"].shares["dv_witness"] * 0.30 / nation["route"].shares["police"]
    assert dv == pytest.approx(expected, rel=1e-3)
    assert dv < targets["route"]["shares"]["police"]


def test_manifest_records_the_file_by_name_and_sha256(generated, prefecture):
    import hashlib

    out, _ = generated
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    record = manifest["aggregates"]
    assert record["file"] == "pref.csv"
    assert record["sha256"] == hashlib.sha256(prefecture.read_bytes()).hexdigest()
    assert record["national"]["sha256"] == hashlib.sha256(NATIONAL.read_bytes()).hexdigest()
    assert record["margins_from_national"] == ["notice_kind", "age_band"]
    assert record["rows_left_out"] == [] and record["rows_used"] == 9
    assert str(prefecture.parent) not in json.dumps(manifest)  # the name, never the folder


def test_check_compares_with_the_users_table_when_given(generated, prefecture):
    out, _ = generated
    mine = synth("--check", str(out), "--aggregates", str(prefecture))
    assert mine.exit_code == 0, mine.output
    assert mine.output.rstrip().endswith("check: passed")
    national = synth("--check", str(out))
    assert national.exit_code == 1, national.output
    assert national.output.startswith(
        f"note: {out} was calibrated to pref.csv (its manifest); this check compares with the "
        "national figures"
    )
    assert "route police off by -2" in national.output.splitlines()[-1]


def test_check_against_another_table_says_so(generated, tmp_path):
    out, _ = generated
    other = write_table(tmp_path / "pref.csv", prefecture_rows(scale=0.03))
    res = synth("--check", str(out), "--aggregates", str(other))
    assert res.output.startswith(
        f"warning: {out} was calibrated to pref.csv (another sha256) (its manifest), not to {other}"
    )


def bad_rows() -> tuple[list[bytes], dict[int, str]]:
    """Rows that cannot be used, each with the start of the reason it is named for.

    Line numbers count the header as line 1 and the nine good rows before these.
    """
    rows = [
        (b"2023,rout,police_etc,5,x", "dimension: expected one of "),
        (b"2023,route,polize,5,x", "category: expected one of route's "),
        (b"2023,route,school_etc,-5,x", "count: expected a non-negative number, got a negative number"),
        (
            b"2023,route,school_etc,=SUM(A1:A3),x",
            "count: expected a non-negative number, got a string of 11 characters",
        ),
        (b"FY2023,route,school_etc,5,x", "fiscal_year: expected a year such as 2023, got a string of 6 characters"),
        (b"2023,route,police_etc,999,again", "repeats FY2023 route/police_etc of line 7"),
        (b"2023,rou\x00te,school_etc,5,x", "dimension: expected one of "),
        (b"2023,route,school_etc\xff,5,x", "category: expected UTF-8 text, got bytes that are not"),
        (b"2023,route,school_etc,5", "expected 5 fields as in the header, got 4"),
        (b'2023,route,school_etc,5,"open quote', "not a well-formed CSV line"),
        (b"2023,total,all,1e5,x", "count: expected a non-negative number, got a number not written in plain digits"),
    ]
    return [r for r, _ in rows], {11 + i: why for i, (_, why) in enumerate(rows)}


def test_bad_rows_are_named_by_line_and_left_out_and_the_rest_calibrate(tmp_path):
    """BOM, CRLF line ends, blank lines, a Shift-JIS source note (unused, so the row stays)."""
    good = [",".join(r).encode() for r in prefecture_rows()]
    bad, reasons = bad_rows()
    tail = [b"", b",,,,", "2022,route,police_etc,5,出典".encode("cp932")]
    path = tmp_path / "pref.csv"
    path.write_bytes(
        b"\xef\xbb\xbf" + b"\r\n".join([HEADER.encode(), *good, *bad, *tail]) + b"\r\n"
    )
    out = tmp_path / "set"
    res = synth("--n", "1000", "--seed", "1", "--out", str(out), "--aggregates", str(path))
    assert res.exit_code == 0, res.output
    warnings = [line for line in res.output.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == len(reasons), res.output
    for line, (number, why) in zip(warnings, reasons.items(), strict=True):
        assert line.startswith(f"warning: {path}: line {number}: {why}"), line
        assert line.endswith("; left out")
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert [r["line"] for r in manifest["aggregates"]["rows_left_out"]] == list(reasons)
    assert manifest["aggregates"]["rows_used"] == 10  # the nine good rows and the FY2022 one
    assert manifest["targets"]["route"]["shares"]["police"] == pytest.approx(0.30, abs=1e-3)


def test_a_100_mb_line_is_named_and_read_through(tmp_path):
    path = tmp_path / "pref.csv"
    good = "\n".join(",".join(r) for r in prefecture_rows())
    with path.open("wb") as fh:
        fh.write(f"{HEADER}\n{good}\n2023,route,school_etc,5,".encode())
        block = b"A" * (1 << 20)
        for _ in range(100):
            fh.write(block)
        fh.write(b"\n2022,total,all,5,after the long line\n")
    table = read_aggregates_table(path, aggregates_vocabulary(load_spec()))
    assert [(r.line, r.reason) for r in table.left_out] == [
        (11, f"longer than {MAX_LINE_BYTES:,} bytes")
    ]
    assert table.rows["line"].iloc[-1] == 12  # the row after it is read


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "error: cannot read {path}: no such file"),
        (b"", "error: {path}: line 1: expected the header " + HEADER + " (source may be left out); the file is empty"),
        (b"year,dim,cat,n\n2023,total,all,5\n", "error: {path}: line 1: expected the header "),
        (HEADER.encode("utf-16"), "error: {path}: line 1: expected the header "),
        ((HEADER + "\n").encode(), "error: {path}: no usable rows: nothing below the header"),
        (
            (HEADER + "\n2023,rout,all,5,x\n").encode(),
            "error: {path}: no usable rows: every row left out (1), the first on line 2: "
            "dimension: expected one of ",
        ),
        (
            (HEADER + "\n2023,abuse_deaths,total,65,x\n").encode(),
            "error: pref.csv has no margin to calibrate to at or before FY2023",
        ),
        (
            (HEADER + "\n2023,total,all,100,x\n"
             + "".join(f"2023,route,{c},30,x\n" for c in ROUTE_MIX)).encode(),
            "error: pref.csv: route police_etc, neighbors_acquaintances, family_relatives, "
            "school_etc FY2023 come to 120, more than total/all 100",
        ),
    ],
    ids=["missing", "empty", "wrong-header", "utf-16", "header-only", "no-usable-row",
         "no-margin", "routes-above-total"],
)  # fmt: skip
def test_a_file_that_cannot_be_used_is_one_error_line_exit_2(tmp_path, content, expected):
    path = tmp_path / "pref.csv"
    if content is not None:
        path.write_bytes(content)
    res = synth("--n", "100", "--out", str(tmp_path / "set"), "--aggregates", str(path))
    assert res.exit_code == 2, res.output
    assert len(res.output.strip().splitlines()) == 1, res.output
    assert res.output.startswith(expected.format(path=path)), res.output
    assert "Traceback" not in res.output and not (tmp_path / "set").exists()


def test_a_folder_is_not_a_table(tmp_path):
    res = synth("--n", "100", "--out", str(tmp_path / "set"), "--aggregates", str(tmp_path))
    assert res.exit_code == 2
    assert res.output.strip() == f"error: cannot read {tmp_path}: not a regular file"


def test_same_table_and_seed_give_identical_files_wherever_the_table_lies(tmp_path):
    rows = prefecture_rows()
    runs = {}
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        table = write_table(tmp_path / name / "pref.csv", rows)
        out = tmp_path / f"out-{name}"
        res = synth("--n", "2000", "--seed", "5", "--out", str(out), "--aggregates", str(table))
        assert res.exit_code == 0, res.output
        runs[name] = out
    for f in ("notices.parquet", "truth.parquet", "manifest.json"):
        assert (runs["a"] / f).read_bytes() == (runs["b"] / f).read_bytes(), f
    plain = tmp_path / "plain"
    assert synth("--n", "2000", "--seed", "5", "--out", str(plain)).exit_code == 0
    assert (plain / "notices.parquet").read_bytes() != (runs["a"] / "notices.parquet").read_bytes()
    assert "aggregates" not in json.loads((plain / "manifest.json").read_text("utf-8"))


def test_a_margin_missing_in_the_year_comes_from_an_earlier_year_of_the_same_table(tmp_path):
    """Routes only in FY2022 (with that year's total): the route target is the table's FY2022."""
    rows = [r for r in prefecture_rows() if r[1] != "route"]
    older = [["2022", *r[1:]] for r in prefecture_rows() if r[1] in ("total", "route")]
    path = write_table(tmp_path / "pref.csv", rows + older)
    targets = published_targets(with_user_aggregates(load_spec(), path), 2023)
    assert targets["route"].fiscal_year == 2022 and not targets["route"].fallback
    assert targets["route"].source.startswith("pref.csv: route FY2022")
    assert targets["route"].shares["police"] == pytest.approx(0.30, abs=1e-3)
    assert targets["main_type"].fiscal_year == 2023


def test_without_a_table_the_targets_are_the_national_ones_as_before():
    spec = load_spec()
    targets = published_targets(spec, 2023)
    assert not any(t.fallback for t in targets.values())
    assert targets["notice_kind"].source == (
        "published_aggregates.csv: psychological_subtype/menzen_dv_witnessed_dv over total FY2023"
    )
    with pytest.raises(
        CalibrationError, match="has no 'abuse_type' figures .* at or before FY2011"
    ):
        published_targets(spec, 2011)


def test_help_says_where_margins_come_from():
    res = CliRunner().invoke(app, ["synth", "--help"], terminal_width=200)
    text = " ".join(res.output.replace("│", " ").split())
    assert "--aggregates" in text
    assert "A margin it lacks comes from the national figures" in text
    assert "The manifest records the file (name, sha256) and each margin's source" in text
