"""``triage aggregates release|check|synthesize``: register with
``app.add_typer(aggregates_app, name="aggregates")``.

The agency runs ``release`` and ``check`` where its records are; only the
release folder leaves. The researcher runs ``synthesize`` (and ``check``) on
that folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from triage.cli.consoles import console, err_console
from triage.cli.errors import error_line
from triage.contract.errors import TriageError

aggregates_app = typer.Typer(
    help="Anonymized case aggregates: release tables under disclosure control, check them, "
    "synthesize notices from them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

RELEASE_FLAGS = {
    "k": "--k",
    "epsilon": "--epsilon",
    "delta": "--delta",
    "method": "--method",
    "outcomes": "--outcomes",
    "notices": "--notices",
    "spec": "--spec",
    "out": "--out",
    "n": "--n",
}
MAX_PRINTED_PROBLEMS = 20


def _fail(exc: BaseException, code: int = 2) -> typer.Exit:
    err_console.print(error_line(exc, RELEASE_FLAGS), markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


@aggregates_app.command()
def release(
    notices: Annotated[Path, typer.Option(help="The agency's notices (.jsonl or .parquet).")],
    outcomes: Annotated[
        Path,
        typer.Option(
            help="notice_id and the recorded outcomes (recorded_harm_90d, recorded_tier); "
            ".parquet, .csv or .jsonl. Simulator-only columns are refused."
        ),
    ],
    out: Annotated[Path, typer.Option(help="Release folder to write (new, or a release).")],
    method: Annotated[
        str, typer.Option(help="sdc (small-cell suppression) or dp (differential privacy).")
    ] = "sdc",
    k: Annotated[
        int, typer.Option("--k", min=2, help="sdc: counts from 1 to k-1 are suppressed.")
    ] = 10,
    epsilon: Annotated[
        float | None, typer.Option(help="dp: the privacy budget ε (required for dp).")
    ] = None,
    delta: Annotated[float, typer.Option(help="dp: the privacy budget δ.")] = 1e-6,
    spec: Annotated[
        Path | None,
        typer.Option(help="Release spec (default: configs/release.yaml, the packaged copy)."),
    ] = None,
) -> None:
    """Tabulate the records as the release spec says and protect the tables (agency side).

    No notice_id and nothing finer than the month of receipt or the region's
    urbanity is written. Bad rows are named and left out.
    """
    from triage.aggregates.attributes import to_records
    from triage.aggregates.outcomes import join_outcomes, read_outcomes
    from triage.aggregates.release import build_release
    from triage.aggregates.release_folder import write_release
    from triage.aggregates.spec import load_release_spec
    from triage.notices import validate_notices
    from triage.report.release_report import write_release_report

    if method not in ("sdc", "dp"):
        raise _fail(TriageError(f"--method: expected sdc or dp, got {method!r}"))
    if method == "dp" and epsilon is None:
        raise _fail(TriageError("--epsilon: dp needs a budget, e.g. --epsilon 1"))
    try:
        the_spec = load_release_spec(spec)
        read = read_outcomes(outcomes)
        for problem in read.errors[:MAX_PRINTED_PROBLEMS]:
            _say(f"left out: {outcomes} {problem}")
        checked = validate_notices(notices)
        for error in checked.errors[:MAX_PRINTED_PROBLEMS]:
            _say(f"left out: {notices} row {error.row} {error.field}: {error.message}")
        rows, outs, notes = join_outcomes(checked.valid, read.valid)
        for note in notes:
            _say(f"left out: {note}")
        if len(rows) == 0:
            raise TriageError("notices: no notice has both valid facts and valid outcomes")
        records, domain = to_records(rows, outs, the_spec)
        built = build_release(
            records,
            domain,
            the_spec.table_attributes(domain),
            method="sdc" if method == "sdc" else "dp",
            k=k,
            epsilon=epsilon,
            delta=delta,
        )
        manifest = write_release(
            out,
            tables=built.tables,
            domain=built.domain,
            method=method,
            parameters=built.parameters,
            budget=built.budget,
            spec=the_spec.model_dump(mode="json"),
            spec_digest=the_spec.digest,
            records=len(records),
        )
        write_release_report(manifest, out)
    except (TriageError, OSError) as exc:
        raise _fail(exc) from None
    cells = sum(len(t.frame) for t in built.tables)
    suppressed = sum(int(t.suppressed().sum()) for t in built.tables)
    _say(
        f"released {len(built.tables)} tables ({cells:,} cells, {suppressed:,} suppressed) "
        f"from {len(records):,} records to {out}"
    )
    if built.stats:
        _say(", ".join(f"{k_}: {v:,}" for k_, v in built.stats.items()))
    if built.budget:
        _say(
            "budget: "
            + ", ".join(
                f"{k_} = {v}" for k_, v in built.budget.items() if not isinstance(v, dict | list)
            )
        )
    _say(f"report: {out / 'report.en.html'} (ja: report.ja.html)")
    _say(f"next: triage aggregates check {out}")


@aggregates_app.command()
def check(
    folder: Annotated[Path, typer.Argument(help="A release folder.")],
) -> None:
    """Re-validate a release (schema, digests) and re-run its disclosure audit.

    Exit 0 passes, 1 a problem (the table and cell named), 2 not a readable release.
    """
    from triage.aggregates.release import check_release
    from triage.aggregates.release_folder import ReleaseError

    try:
        manifest, problems = check_release(folder)
    except ReleaseError as exc:  # a release whose files do not match (1); no folder at all (2)
        raise _fail(exc, 1 if folder.is_dir() else 2) from None
    except (TriageError, OSError) as exc:
        raise _fail(exc) from None
    if problems:
        for problem in problems[:MAX_PRINTED_PROBLEMS]:
            err_console.print(f"exposed: {problem.line()}", markup=False, highlight=False)
        more = len(problems) - MAX_PRINTED_PROBLEMS
        if more > 0:
            err_console.print(f"… and {more} more", markup=False)
        raise typer.Exit(1)
    tables = manifest["tables"]
    _say(
        f"ok: {folder} ({manifest['method']}, {len(tables)} tables): schema and digests match; "
        + (
            "no count below k and no suppressed cell narrower than k"
            if manifest["method"] == "sdc"
            else "counts non-negative integers, shared margins agree"
        )
    )
    _say(f"next: triage aggregates synthesize {folder} --n 100000 --seed 0 --out synthesized")


@aggregates_app.command()
def synthesize(
    folder: Annotated[Path, typer.Argument(help="A release folder.")],
    out: Annotated[Path, typer.Option(help="Folder for notices, outcomes and manifest.")],
    n: Annotated[int, typer.Option("--n", min=1, help="Number of notices to sample.")] = 100_000,
    seed: Annotated[
        int, typer.Option(help="Seed: the same release and seed, the same notices.")
    ] = 0,
) -> None:
    """Fit a graphical model to the released tables and sample notices (researcher side).

    Writes notices.parquet (they validate against the notice contract),
    outcomes.parquet (recorded outcomes) and manifest.json; no truth file.
    """
    from triage.aggregates.synthesize import synthesize_release, write_synthesized

    try:
        result = synthesize_release(folder, n=n, seed=seed)
        write_synthesized(result, out, release=folder, seed=seed)
    except (TriageError, OSError) as exc:
        raise _fail(exc) from None
    _say(
        f"wrote {len(result.notices):,} notices and their recorded outcomes to {out} "
        f"(from the {result.manifest['method']} release {folder}, seed {seed})"
    )
    _say(f"next: triage validate {out / 'notices.parquet'}")


@aggregates_app.command()
def utility(
    config: Annotated[
        Path | None,
        typer.Argument(help="Utility config (default: configs/aggregates_utility.yaml)."),
    ] = None,
    quiet: Annotated[bool, typer.Option(help="Print only the result table.")] = False,
) -> None:
    """What each level of protection costs: the aggregates-utility experiment.

    Simulated records → release of the training windows at each level → synthesized
    notices → the usual candidates → judged on the unreleased test window against the
    truth. The table, figure and card are logged in MLflow and kept under reports/.
    """
    from triage.pipelines.aggregates_utility import run_utility
    from triage.pipelines.utility_config import find_utility_config, load_utility_config
    from triage.report.utility_report import display_table

    try:
        cfg = load_utility_config(find_utility_config(config))
        result = run_utility(cfg, say=(lambda _: None) if quiet else _say)
    except (TriageError, OSError) as exc:
        raise _fail(exc) from None
    _say(display_table(result.table).to_string(index=False))
    _say(f"run {result.run_id}; card and figure in {result.report_dir}")
