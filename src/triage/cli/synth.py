"""``triage synth``: generate synthetic notices with known ground truth, or ``--check`` a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from triage.cli.consoles import console, err_console
from triage.cli.errors import error_line
from triage.contract.errors import TriageError

CHECK_EXIT = {"passed": 0, "failed": 1, "cannot judge": 3}
"""Exit codes of ``--check`` by verdict; 2 stays the usage error of every command."""
SYNTH_FLAGS = {
    "n": "--n",
    "seed": "--seed",
    "fiscal_year": "--fiscal-year",
    "spec": "--spec",
    "aggregates": "--aggregates",
}


def synth(
    out: Annotated[
        Path | None, typer.Option(help="Folder to write notices, truth and manifest into.")
    ] = None,
    n: Annotated[int, typer.Option("--n", min=1, help="Number of notices.")] = 10_000,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed and spec give identical files.")
    ] = 0,
    fiscal_year: Annotated[
        int | None,
        typer.Option(help="Fiscal year whose published figures to match (default: the spec's)."),
    ] = None,
    spec: Annotated[
        Path | None, typer.Option(help="Generator spec (default: synthetic/spec.yaml).")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="Notices file format: parquet or jsonl.")
    ] = "parquet",
    check: Annotated[
        Path | None,
        typer.Option(
            help="Check an existing data set folder against the published figures instead of "
            "generating: each share within 1 pp + 3.5 standard errors at the set's n. "
            "Exit 0 passed, 1 failed, 3 cannot judge (under 1,000 notices), 2 usage error."
        ),
    ] = None,
    aggregates: Annotated[
        Path | None,
        typer.Option(
            help="Your own table in the format of synthetic/published_aggregates.csv (e.g. one "
            "prefecture's rows) to calibrate to instead of the national figures: each margin "
            "from its latest year at or before the fiscal year in this file. A margin it lacks "
            "comes from the national figures, said in a note on stderr (the DV-witness share is "
            "then the national one scaled to this table's police share). Rows that cannot be "
            "used are named on stderr by line and left out. The manifest records the file "
            "(name, sha256) and each margin's source. With --check: compare with these targets."
        ),
    ] = None,
) -> None:
    """Generate synthetic notices with known ground truth, or --check a generated folder.

    --check compares the folder's shares with the published ones, each within a tolerance
    from the sampling error at the folder's n (1 pp + 3.5 standard errors), and the
    oracle AUC with its expected range widened likewise. Exit codes: 0 passed, 1 failed
    (the rows off are named), 3 cannot judge (fewer than 1,000 notices), 2 usage error.

    --aggregates FILE calibrates to your own table (margins it lacks: national figures);
    a file that cannot be read, has another header or no usable row is a usage error.
    """
    from triage.cli.printers_synth import (
        aggregates_summary,
        fallback_lines,
        left_out_lines,
        manifest_aggregates_lines,
        print_check_report,
    )
    from triage.synth import SpecError, generate, load_spec
    from triage.synth.calibrate import CalibrationError, published_targets, user_aggregates
    from triage.synth.check import check_folder
    from triage.synth.output import read_manifest, write_dataset
    from triage.synth.spec import with_user_aggregates

    def say(lines: list[str]) -> None:
        for line in lines:
            err_console.print(line, markup=False, highlight=False, soft_wrap=True)

    if fmt not in ("parquet", "jsonl"):
        raise typer.BadParameter(f"expected parquet or jsonl, got {fmt!r}", param_hint="--format")
    try:
        the_spec = load_spec(spec)
        table = None
        if aggregates is not None:
            the_spec = with_user_aggregates(the_spec, aggregates)
            table = user_aggregates(the_spec)
            say(left_out_lines(str(aggregates), table))
        if check is not None:
            manifest = read_manifest(check)
            say(manifest_aggregates_lines(check, manifest, aggregates, table))
            if table is not None:
                say(fallback_lines(published_targets(the_spec, manifest["fiscal_year"])))
            report = check_folder(check, the_spec)
            print_check_report(report, console)
            raise typer.Exit(CHECK_EXIT[report.verdict])
        if out is None:
            raise typer.BadParameter(
                "give --out DIR to generate, or --check DIR to check", param_hint="--out"
            )
        fy = fiscal_year if fiscal_year is not None else the_spec.calibration.fiscal_year
        result = generate(the_spec, n=n, seed=seed, fiscal_year=fy)
        fmt_literal: Literal["parquet", "jsonl"] = "jsonl" if fmt == "jsonl" else "parquet"
        write_dataset(result, out, spec=the_spec, seed=seed, fiscal_year=fy, fmt=fmt_literal)
    except (TriageError, SpecError, CalibrationError, FileNotFoundError, ValueError) as exc:
        err_console.print(
            error_line(exc, SYNTH_FLAGS), markup=False, highlight=False, soft_wrap=True
        )
        raise typer.Exit(2) from None
    if table is not None:
        say(fallback_lines(result.targets))
    calibrated = f", {aggregates_summary(table, result.targets)}" if table is not None else ""
    console.print(
        f"wrote {n:,} notices and their truth to {out} "
        f"(spec {the_spec.spec_version}, seed {seed}, FY{fy}{calibrated})",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
