"""``triage decisions verify``, ``export`` and ``analyse``: register with
``app.add_typer(decisions_app, name="decisions")``.

All only read: the store is opened read-only and nothing in its folder is
created or changed. Exit codes: 0 fine, 1 tampering found (or the export or
analysis refused because of it), 2 no usable store (missing, empty, damaged,
foreign, or its key gone), and for ``analyse`` also a store without decisions,
a bad config or truth file, or an output folder that cannot be written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from triage.cli.consoles import console, err_console
from triage.cli.errors import error_line, flag_message
from triage.cli.options import StoreOption

decisions_app = typer.Typer(
    help="The record of people's decisions: check its keyed chain, export it for research, "
    "analyse what people decided against what was suggested.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

VERIFY_FLAGS = {"expect_count": "--expect-count", "expect_head": "--expect-head"}


def _say(text: str, *, err: bool = False) -> None:
    (err_console if err else console).print(text, markup=False, highlight=False, soft_wrap=True)


def _store_error(exc: Exception) -> typer.Exit:
    from triage.decisions import STORE_ENV, StoreNotFound

    if isinstance(exc, StoreNotFound):
        _say(
            f"error: no intake store at {exc.path}: give --store or set {STORE_ENV} "
            "(triage serve creates one)",
            err=True,
        )
    else:
        _say(error_line(exc), err=True)
    return typer.Exit(2)


@decisions_app.command()
def verify(
    store: StoreOption = None,
    expect_count: Annotated[
        int | None,
        typer.Option(min=0, help="The count printed by an earlier verify, kept outside the store."),
    ] = None,
    expect_head: Annotated[
        str | None,
        typer.Option(help="The head printed by an earlier verify, kept outside the store."),
    ] = None,
) -> None:
    """Check every decision against its keyed hash, its columns and its notice, the
    append-only triggers and the anchor; exit 1 naming the first problem."""
    from triage.contract.errors import TriageError
    from triage.decisions import read_snapshot, verify_store

    try:
        report = read_snapshot(
            store,
            lambda conn: verify_store(conn, expect_count=expect_count, expect_head=expect_head),
        )
    except TriageError as exc:
        raise _store_error(exc) from None
    if not report.ok:
        _say(f"BROKEN: {flag_message(Exception(report.problem), VERIFY_FLAGS)}", err=True)
        if report.broken_id is not None:
            _say(
                f"the {report.n} decisions before decision {report.broken_id} are intact",
                err=True,
            )
        raise typer.Exit(1)
    _say(f"ok: {report.n} decisions, chain intact and anchored; head {report.head}")
    for note in report.notes:
        _say(f"note: {note}")
    _say(
        "keep the count and head outside the store, and check them later with "
        f"`triage decisions verify --expect-count {report.n} --expect-head {report.head}`"
    )


@decisions_app.command()
def export(
    out: Annotated[Path, typer.Option(help="Output file: .csv, .jsonl or .parquet.")],
    store: StoreOption = None,
    worker_ids: Annotated[
        bool,
        typer.Option(help="Export workers' logins instead of stable pseudonyms (W-...)."),
    ] = False,
) -> None:
    """Decisions for research, one row each; no free text beyond the override reason."""
    from triage.contract.errors import TriageError
    from triage.decisions import ExportError, export_rows, read_snapshot, write_export

    try:
        rows, report = read_snapshot(store, lambda conn: export_rows(conn, worker_ids=worker_ids))
        write_export(rows, out)
    except ExportError as exc:  # a broken chain (1), or an --out it cannot write (2)
        _say(error_line(exc, {"out": "--out"}), err=True)
        raise typer.Exit(2 if exc.param == "out" else 1) from None
    except TriageError as exc:
        raise _store_error(exc) from None
    _say(f"wrote {len(rows)} decisions to {out} (chain intact, head {report.head})")


ANALYSE_FLAGS = {"config": "--config", "truth": "--truth", "out": "--out", "store": "--store"}
DEFAULT_REVIEW_OUT = Path("reports/decisions")


@decisions_app.command()
def analyse(
    store: StoreOption = None,
    out: Annotated[
        Path, typer.Option(help="Folder for decisions.html, decisions.md and decisions.json.")
    ] = DEFAULT_REVIEW_OUT,
    truth: Annotated[
        Path | None,
        typer.Option(help="Synthetic truth (the truth.parquet of `triage synth`, or its folder)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="Audit config (default configs/audit.yaml).")
    ] = None,
    lang: Annotated[str, typer.Option(help="Report language: ja or en.")] = "ja",
) -> None:
    """Suggestions against decisions, aggregates only: agreement and kappa, override rates by
    tier, route, rule floor and group, direction, time to decision, and whether decisions
    widened or narrowed the gaps between groups."""
    from triage.contract.errors import TriageError
    from triage.decisions import read_snapshot
    from triage.decisions.review import (
        ReviewError,
        StoreTampered,
        analyse_store,
        load_review_config,
        read_truth,
        review_document,
        write_review,
    )

    if lang not in ("ja", "en"):
        _say(f"error: --lang: expected ja or en, got {lang!r}", err=True)
        raise typer.Exit(2)
    try:
        settings = load_review_config(config)
        truth_tiers = None if truth is None else read_truth(truth)
        results = read_snapshot(store, lambda conn: analyse_store(conn, settings, truth_tiers))
        paths = write_review(review_document(results, lang), out)
    except ReviewError as exc:
        _say(error_line(exc, ANALYSE_FLAGS), err=True)
        raise typer.Exit(1 if isinstance(exc, StoreTampered) else 2) from None
    except TriageError as exc:
        raise _store_error(exc) from None
    for path in paths:
        _say(f"wrote {path}")
    overall = results["overrides"]["overall"]
    widened = [g["feature"] for g in results["gaps"]["gaps"] if g["verdict"] == "widened"]
    _say(
        f"{results['decisions']} decisions by {results['workers']['workers']} workers: "
        f"{overall['k']} overridden ({overall['rate']:.1%}), weighted kappa "
        f"{results['agreement']['kappa_linear']['estimate']:.2f}; gaps widened: "
        f"{', '.join(widened) or 'none'}"
    )
