"""The ``triage`` command line. Each command is a thin shell over library functions.

Heavy libraries are imported inside the commands so that ``triage --help``
and quick checks start fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from triage.cli.consoles import console, err_console
from triage.cli.errors import SCORING_FLAGS, error_line, flag_message
from triage.contract.names import CHAMPION, DEFAULT_MODEL, DEFAULT_ROUTING_MODEL, URGENCY_MODEL

app = typer.Typer(
    name="triage",
    help="Research toolkit for urgency triage of child-abuse intake notices. Decision support only: a person decides every case.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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
    from triage.cli.printers_synth import print_check_report
    from triage.synth import SpecError, generate, load_spec
    from triage.synth.calibrate import CalibrationError
    from triage.synth.check import check_folder
    from triage.synth.output import write_dataset

    if fmt not in ("parquet", "jsonl"):
        raise typer.BadParameter(f"expected parquet or jsonl, got {fmt!r}", param_hint="--format")
    try:
        the_spec = load_spec(spec)
        if check is not None:
            report = check_folder(check, the_spec)
            print_check_report(report, console)
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
        from triage.cli.validate import run_validate_config

        raise typer.Exit(run_validate_config(path, console=console, err_console=err_console))
    from triage.cli.validate import run_validate_notices

    raise typer.Exit(run_validate_notices(path, rejects=rejects, console=console))


@app.command()
def run(
    config: Annotated[
        Path,
        typer.Argument(
            help="Experiment config (YAML), e.g. configs/intake_urgency.yaml, or the name of a "
            "packaged config: ci, ci_dv, dv_witness_sorting, intake_urgency."
        ),
    ],
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="No progress display; print only the result table."),
    ] = False,
) -> None:
    """Run the pipeline that CONFIG names; every number and artefact goes to MLflow."""
    from triage.cli.printers_run import print_run_result
    from triage.experiment.config import ConfigError, find_config, load_config
    from triage.pipelines import run_pipeline

    try:
        config = find_config(config)  # a file, or a packaged config's name (`triage run ci`)
        cfg = load_config(config)
    except ConfigError as exc:
        err_console.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(1) from None
    try:
        result = run_pipeline(cfg, config_path=config, console=console, quiet=quiet)
    except ConfigError as exc:
        err_console.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(1) from None
    print_run_result(result, console)


@app.command()
def promote(
    version: Annotated[str, typer.Argument(help="Model version to promote, e.g. 3.")],
    reason: Annotated[
        str, typer.Option(help="Why this version should score notices; kept on the version.")
    ],
    model: Annotated[str, typer.Option(help="Registered model name.")] = URGENCY_MODEL,
    alias: Annotated[str, typer.Option(help="Alias to set.")] = CHAMPION,
) -> None:
    """A person's decision: make VERSION the champion (nothing is ever promoted automatically)."""
    from triage.tracking import promote as do_promote

    try:
        record = do_promote(model, version, reason=reason, alias=alias)
    except ValueError as exc:
        err_console.print(error_line(exc, {"reason": "--reason"}), markup=False)
        raise typer.Exit(2) from None
    except Exception as exc:  # noqa: BLE001 - MLflow's own errors say what is missing
        err_console.print(f"error: cannot promote {model} version {version}: {exc}", markup=False)
        raise typer.Exit(1) from None
    console.print(f"models:/{model}@{alias} -> version {version}", markup=False)
    for key, value in record.items():
        console.print(f"  {key}: {value}", markup=False)


def _load_scorer(model: str, routing_model: str | None, rules: Path | None):
    from triage.experiment.data import resolve_path
    from triage.scoring import ModelUnavailable, Scorer

    rules_path = rules if rules is not None else resolve_path("configs/rules.yaml")
    try:
        return Scorer.load(
            model, routing_model=routing_model, rules=rules_path if rules_path.exists() else None
        )
    except (ModelUnavailable, ValueError) as exc:
        err_console.print(error_line(exc, SCORING_FLAGS), markup=False, highlight=False)
        raise typer.Exit(2) from None


def _note_missing_routing(scorer, frame, routing_model: str | None) -> None:
    if routing_model and scorer.routing is None and (frame["notice_kind"] == "dv_witness").any():
        err_console.print(
            f"note: {routing_model} not found; DV-witness notices are sorted by the urgency "
            "model and the rules only (promote a dv-witness-routing version to use it)",
            markup=False,
            highlight=False,
        )


def _read_valid(path: Path):
    """Valid notices as a frame; each bad line reported on stderr. Returns (frame, n_rejected)."""
    from triage.notices import validate_notices

    if not path.is_file():
        err_console.print(f"error: {path}: no such file", markup=False)
        raise typer.Exit(2)
    result = validate_notices(path)
    for e in result.errors:
        where = f"line {e.row}" + (f" ({e.notice_id})" if e.notice_id else "")
        field = f"{e.field}: " if e.field and not e.message.startswith(f"{e.field}:") else ""
        err_console.print(f"{path}: {where}: {field}{e.message}", markup=False, highlight=False)
    return result.valid, result.n_rejected


@app.command()
def score(
    notices: Annotated[Path, typer.Argument(help="Notices as JSON Lines (or Parquet).")],
    model: Annotated[str, typer.Option(help="Urgency model URI.")] = DEFAULT_MODEL,
    routing_model: Annotated[
        str, typer.Option(help="DV-witness routing model URI ('' for none).")
    ] = DEFAULT_ROUTING_MODEL,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Moment of scoring, ISO 8601 with offset (default: now)."),
    ] = None,
    lang: Annotated[str, typer.Option(help="Language of the texts: ja or en.")] = "ja",
    rules: Annotated[
        Path | None, typer.Option(help="Extra rules (default: configs/rules.yaml if present).")
    ] = None,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain/--no-explain", help="Fill factors and ask_next (~0.5 ms a notice)."
        ),
    ] = True,
    top: Annotated[
        int | None,
        typer.Option(min=1, help="Keep the N largest factors (the rest summed in other_factors)."),
    ] = None,
) -> None:
    """One JSON line per valid notice on stdout (score.schema.json), in input order.

    Bad lines go to stderr with line number, field and expectation. Exit 0 when
    every line was valid, 3 when some were rejected, 2 for usage errors.
    """
    from triage.scoring import parse_as_of
    from triage.scoring.lines import score_line

    if lang not in ("ja", "en"):
        raise typer.BadParameter(f"expected ja or en, got {lang!r}", param_hint="--lang")
    try:
        when = parse_as_of(as_of)
    except ValueError as exc:
        raise typer.BadParameter(flag_message(exc, SCORING_FLAGS), param_hint="--as-of") from None
    frame, rejected = _read_valid(notices)
    scorer = _load_scorer(model, routing_model or None, rules)
    _note_missing_routing(scorer, frame, routing_model)
    records = scorer.score(frame, as_of=when, lang=lang, explain=explain, top=top)
    out = sys.stdout
    out.write("".join(score_line(r) + "\n" for r in records))
    out.flush()
    raise typer.Exit(3 if rejected else 0)


@app.command()
def queue(
    notices: Annotated[Path, typer.Argument(help="Notices as JSON Lines (or Parquet).")],
    as_of: Annotated[
        str, typer.Option("--as-of", help="Moment of the queue, ISO 8601 with offset.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the queue as JSON.")] = False,
    model: Annotated[str, typer.Option(help="Urgency model URI.")] = DEFAULT_MODEL,
    routing_model: Annotated[
        str, typer.Option(help="DV-witness routing model URI ('' for none).")
    ] = DEFAULT_ROUTING_MODEL,
    config: Annotated[
        Path, typer.Option(help="Experiment config whose tiers.capacity gives the day's capacity.")
    ] = Path("configs/intake_urgency.yaml"),
    rules: Annotated[
        Path | None, typer.Option(help="Extra rules (default: configs/rules.yaml if present).")
    ] = None,
    lang: Annotated[str, typer.Option(help="Language of the texts: ja or en.")] = "ja",
) -> None:
    """Notices by suggested tier, then safety deadline (overdue first), with counts against capacity."""
    import json

    from triage.cli.printers_queue import print_queue
    from triage.experiment.config import ConfigError, load_config
    from triage.experiment.data import resolve_path
    from triage.scoring import parse_as_of
    from triage.scoring.queue import DayCapacity, build_queue

    try:
        when = parse_as_of(as_of)
    except ValueError as exc:
        raise typer.BadParameter(flag_message(exc, SCORING_FLAGS), param_hint="--as-of") from None
    try:
        cap = load_config(resolve_path(str(config))).tiers.capacity
    except ConfigError as exc:
        err_console.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    frame, rejected = _read_valid(notices)
    scorer = _load_scorer(model, routing_model or None, rules)
    _note_missing_routing(scorer, frame, routing_model)
    view = build_queue(
        scorer.score(frame, as_of=when, lang=lang, explain=False),
        DayCapacity(per_day=cap.per_day, immediate=cap.per_day * cap.immediate_share),
    )
    if as_json:
        sys.stdout.write(
            json.dumps({"as_of": when.isoformat(), **view.data()}, ensure_ascii=False) + "\n"
        )
    else:
        print_queue(view, console, as_of=when.isoformat())
    raise typer.Exit(3 if rejected else 0)


@app.command()
def explain(
    notice: Annotated[
        str,
        typer.Argument(
            help="A notices file (.jsonl/.parquet, at most 100 notices) or a notice_id looked up in --notices."
        ),
    ],
    model: Annotated[str, typer.Option(help="Urgency model URI.")] = DEFAULT_MODEL,
    notices: Annotated[
        Path | None,
        typer.Option(help="Notices file to look NOTICE up in when NOTICE is a notice_id."),
    ] = None,
    lang: Annotated[str, typer.Option(help="Language of the text: ja or en.")] = "ja",
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for <notice_id>.png and .txt (default out/explain/)."),
    ] = None,
) -> None:
    """A waterfall picture and a text explanation per notice. Decision support only."""
    from triage.cli.explain import explain_command

    raise typer.Exit(explain_command(model, notice, lang, out, notices=notices))


@app.command()
def report(
    run_id: Annotated[str, typer.Argument(help="MLflow run id to report on.")],
    lang: Annotated[str, typer.Option(help="Language of the card: ja or en.")] = "ja",
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for model_card.html/.md/.json (default reports/<RUN_ID>/)."),
    ] = None,
) -> None:
    """A self-contained model card (HTML, Markdown, JSON) for one run. Aggregates only."""
    from triage.cli.report import report_command

    raise typer.Exit(report_command(run_id, lang, out))


def _register_audit() -> None:
    from triage.cli.audit import audit_app

    app.add_typer(audit_app, name="audit")


_register_audit()


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind; loopback unless you mean otherwise.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    store: Annotated[
        Path | None,
        typer.Option(help="Intake store folder (default $TRIAGE_INTAKE_STORE or ./intake)."),
    ] = None,
    model: Annotated[
        str,
        typer.Option(help="Urgency model URI (anything but @champion is flagged on every page)."),
    ] = DEFAULT_MODEL,
    routing_model: Annotated[
        str, typer.Option(help="DV-witness routing model URI ('' for none).")
    ] = DEFAULT_ROUTING_MODEL,
    rules: Annotated[
        Path | None, typer.Option(help="Extra rules (default: configs/rules.yaml if present).")
    ] = None,
    config: Annotated[
        Path, typer.Option(help="Experiment config whose tiers.capacity gives the day's capacity.")
    ] = Path("configs/intake_urgency.yaml"),
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Pin the page's clock, ISO 8601 with offset (default: now)."),
    ] = None,
    notices: Annotated[
        Path | None, typer.Option(help="Notices (.jsonl/.parquet) to add to the store at start.")
    ] = None,
    https_cookies: Annotated[
        bool, typer.Option(help="Mark the session cookie Secure (behind a TLS proxy).")
    ] = False,
) -> None:
    """The intake team's page and JSON API: queue, explanations, rules, decisions. Login required."""
    from triage.cli.serve import serve_command

    raise typer.Exit(
        serve_command(
            host=host,
            port=port,
            store=store,
            model=model,
            routing_model=routing_model,
            rules=rules,
            config=config,
            as_of=as_of,
            notices=notices,
            https_cookies=https_cookies,
        )
    )


def _register_intake() -> None:
    from triage.cli.decisions import decisions_app
    from triage.cli.serve import users_app

    app.add_typer(users_app, name="users")
    app.add_typer(decisions_app, name="decisions")


_register_intake()


def main() -> None:  # pragma: no cover - entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
