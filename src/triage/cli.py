"""The ``triage`` command line. Each command is a thin shell over library functions.

Heavy libraries are imported inside the commands so that ``triage --help``
and quick checks start fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

app = typer.Typer(
    name="triage",
    help="Research toolkit for urgency triage of child-abuse intake notices. Decision support only: a person decides every case.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Tables stay readable when output goes to a file or CI log, where rich would assume 80 columns.
console = Console(width=None if sys.stdout.isatty() else 150)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 150)


@app.command()
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
            help="Check an existing data set folder against the published figures instead of generating."
        ),
    ] = None,
) -> None:
    """Generate synthetic notices with known ground truth, or --check a generated folder."""
    from triage.synth import SpecError, generate, load_spec
    from triage.synth.calibrate import CalibrationError
    from triage.synth.check import check_folder, print_report
    from triage.synth.output import write_dataset

    if fmt not in ("parquet", "jsonl"):
        raise typer.BadParameter(f"expected parquet or jsonl, got {fmt!r}", param_hint="--format")
    try:
        the_spec = load_spec(spec)
        if check is not None:
            report = check_folder(check, the_spec)
            print_report(report, console)
            raise typer.Exit(0 if report.ok else 1)
        if out is None:
            raise typer.BadParameter(
                "give --out DIR to generate, or --check DIR to check", param_hint="--out"
            )
        fy = fiscal_year if fiscal_year is not None else the_spec.calibration.fiscal_year
        result = generate(the_spec, n=n, seed=seed, fiscal_year=fy)
        fmt_literal: Literal["parquet", "jsonl"] = "jsonl" if fmt == "jsonl" else "parquet"
        write_dataset(result, out, spec=the_spec, seed=seed, fiscal_year=fy, fmt=fmt_literal)
    except (SpecError, CalibrationError, FileNotFoundError, ValueError) as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(
        f"wrote {n:,} notices and their truth to {out} (spec {the_spec.spec_version}, seed {seed}, FY{fy})"
    )


@app.command()
def validate(
    path: Annotated[
        Path, typer.Argument(help="Notices (.jsonl or .parquet) or an experiment config (.yaml).")
    ],
    rejects: Annotated[
        Path | None,
        typer.Option(help="Write the rejected notices to this file (.jsonl or .parquet)."),
    ] = None,
) -> None:
    """Check notices against the contract (every bad row: row, field, what was expected) or check a config."""
    if path.suffix.lower() in (".yaml", ".yml"):
        from triage.config import run_validate_config

        raise typer.Exit(run_validate_config(path, console=console, err_console=err_console))
    from triage.validation import run_validate_notices

    raise typer.Exit(run_validate_notices(path, rejects=rejects, console=console))


@app.command()
def run(
    config: Annotated[
        Path, typer.Argument(help="Experiment config (YAML), e.g. configs/intake_urgency.yaml.")
    ],
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="No progress display; print only the result table."),
    ] = False,
) -> None:
    """Run the pipeline that CONFIG names; every number and artefact goes to MLflow."""
    from triage.config import ConfigError, load_config
    from triage.pipelines import run_pipeline

    try:
        cfg = load_config(config)
    except ConfigError as exc:
        err_console.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(1) from None
    try:
        run_pipeline(cfg, config_path=config, console=console, quiet=quiet)
    except ConfigError as exc:
        err_console.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(1) from None


@app.command()
def promote(
    version: Annotated[str, typer.Argument(help="Model version to promote, e.g. 3.")],
    reason: Annotated[
        str, typer.Option(help="Why this version should score notices; kept on the version.")
    ],
    model: Annotated[str, typer.Option(help="Registered model name.")] = "intake-urgency",
    alias: Annotated[str, typer.Option(help="Alias to set.")] = "champion",
) -> None:
    """A person's decision: make VERSION the champion (nothing is ever promoted automatically)."""
    from triage.tracking import promote as do_promote

    try:
        record = do_promote(model, version, reason=reason, alias=alias)
    except ValueError as exc:
        err_console.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    except Exception as exc:  # noqa: BLE001 - MLflow's own errors say what is missing
        err_console.print(f"error: cannot promote {model} version {version}: {exc}", markup=False)
        raise typer.Exit(1) from None
    console.print(f"models:/{model}@{alias} -> version {version}", markup=False)
    for key, value in record.items():
        console.print(f"  {key}: {value}", markup=False)


def main() -> None:  # pragma: no cover - entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
