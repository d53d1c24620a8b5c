"""``triage sweep``: a sweep file's cells as pipeline runs on Dask, then its summary."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.live import Live

from triage.cli.consoles import console, err_console
from triage.cli.errors import error_line

if TYPE_CHECKING:
    from triage.sweep.cell_run import CellOutcome
    from triage.sweep.cells import Sweep
    from triage.sweep.execute import SweepResult
    from triage.sweep.progress import SweepProgress

FLAGS = {"scheduler": "--scheduler", "workers": "--workers"}
DEFAULT_REPORTS = Path("reports")


def sweep(
    sweep_file: Annotated[
        Path,
        typer.Argument(
            metavar="SWEEP.yaml",
            help="Sweep file: name, question, base config, grid (and zip) of config key "
            "paths, seeds; or a shipped sweep's name (learning_curve, small/label_bias, ...).",
        ),
    ],
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="An existing Dask cluster's scheduler (tcp://HOST:8786); its workers need "
            "an MLflow tracking server (MLFLOW_TRACKING_URI=http://...). Default: a "
            "LocalCluster on this machine."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="LocalCluster worker processes, one cell each (default: one per core)."),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="Continue the latest run of this sweep: run only unfinished cells."
        ),
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Validate the sweep file and every cell; run nothing.")
    ] = False,
    reports: Annotated[
        Path, typer.Option(help="Folder of the sweep's summary and its cells' model cards.")
    ] = DEFAULT_REPORTS,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress display; print only the result.")
    ] = False,
) -> None:
    """Run every cell of SWEEP.yaml (its settings × seeds) as a pipeline run, on Dask."""
    from triage.contract.errors import TriageError
    from triage.sweep.cells import plan_sweep
    from triage.sweep.execute import run_sweep
    from triage.tracking.interrupts import signals_interrupt

    try:
        planned = plan_sweep(sweep_file)
    except TriageError as exc:
        _fail(exc)
    if check:
        _print_plan(planned)
        return
    display = _Display(quiet=quiet)
    try:
        with signals_interrupt(), display:
            result = run_sweep(
                planned,
                scheduler=scheduler,
                workers=workers,
                resume=resume,
                reports=reports,
                on_progress=display.update,
            )
    except TriageError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        import signal

        from triage.tracking.interrupts import received_signal

        signum = received_signal() or signal.SIGINT
        err_console.print(
            f"error: stopped by {signal.Signals(signum).name}; the sweep's parent run and its "
            "running cells are marked KILLED; continue with: "
            + _rerun(sweep_file, scheduler, workers, reports),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(128 + signum) from None
    except Exception as exc:  # noqa: BLE001 - the store or the cluster broke: said in one line
        err_console.print(
            f"error: the sweep stopped: {error_line(exc).removeprefix('error: ')}",
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(1) from None
    summary = _summarize(result, reports)
    _print_result(result, summary, _rerun(sweep_file, scheduler, workers, reports))
    if result.failed or summary is None:
        raise typer.Exit(1)


def _fail(exc: Exception) -> NoReturn:
    err_console.print(error_line(exc, FLAGS), markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2) from None


def _rerun(sweep_file: Path, scheduler: str | None, workers: int | None, reports: Path) -> str:
    """The command that resumes this sweep, with the options it was started with."""
    words = ["triage", "sweep", str(sweep_file), "--resume"]
    if scheduler is not None:
        words += ["--scheduler", scheduler]
    if workers is not None:
        words += ["--workers", str(workers)]
    if reports != DEFAULT_REPORTS:
        words += ["--reports", str(reports)]
    return shlex.join(words)


def _summarize(result: SweepResult, reports: Path) -> Path | None:
    """The sweep's summary report's path, or None (said on stderr) if it could not be built."""
    from triage.sweep.execute import summarize

    try:
        return summarize(result, reports)
    except Exception as exc:  # noqa: BLE001 - the runs are complete; say why the report is not
        err_console.print(
            f"error: summary: {error_line(exc).removeprefix('error: ')}; the cells' runs are "
            "complete in MLflow",
            markup=False,
            soft_wrap=True,
        )
        return None


def _print_plan(planned: Sweep) -> None:
    seeds = len({cell.seed for cell in planned.cells})
    settings = len(planned.cells) // seeds
    console.print(
        f"{planned.path}: valid; {len(planned.cells)} cells ({settings} settings × {seeds} "
        f"seeds) of {planned.base}, experiment {planned.experiment}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _print_result(result: SweepResult, summary: Path | None, rerun: str) -> None:
    from triage.tracking import ui_hint

    finished = sum(not o.failed for o in result.outcomes)
    line = (
        f"sweep {result.sweep.name}: {len(result.outcomes)} cells run: {finished} finished, "
        f"{len(result.failed)} failed"
    )
    if result.skipped:
        line += f"; {len(result.skipped)} already finished (skipped)"
    console.print(line, markup=False, highlight=False)
    for outcome in result.failed:
        console.print(f"  failed {outcome.cell_id}: {outcome.error}", markup=False, soft_wrap=True)
    console.print(
        f"parent run: {result.parent_run_id} (experiment id {result.experiment_id})", markup=False
    )
    if summary is not None:
        console.print(f"summary: {summary}", markup=False, soft_wrap=True)
    if result.failed:
        console.print(f"next: {rerun}", markup=False, soft_wrap=True)
    hint = ui_hint(result.tracking_uri)
    console.print(f"look at it with: {hint}", markup=False, soft_wrap=True)


class _Display:
    """The live progress line on stderr, and one line per cell as it ends (silent if quiet)."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet
        self.progress: SweepProgress | None = None
        self.live: Live | None = None

    def __enter__(self) -> _Display:
        if not self.quiet:
            self.live = Live(self, console=err_console, refresh_per_second=2, transient=True)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(None, None, None)

    def update(self, progress: SweepProgress, outcome: CellOutcome) -> None:
        self.progress = progress
        if self.quiet:
            return
        if outcome.failed:
            err_console.print(f"✗ {outcome.cell_id} {outcome.error}", markup=False, soft_wrap=True)
        else:
            err_console.print(
                f"[green]✓[/green] {outcome.cell_id} [dim]{outcome.seconds:.1f} s[/dim]  "
                + _status(progress)
            )

    def __rich__(self) -> str:
        return "…" if self.progress is None else _status(self.progress)


def _status(p: SweepProgress) -> str:
    left = p.seconds_left()
    line = f"{p.finished} done, {p.failed} failed, {p.running} running, "
    line += f"{p.remaining - p.running} waiting"
    if p.skipped:
        line += f" ({p.skipped} finished before)"
    if left is None:
        return line + ", time left: after the first cell"
    return line + f", about {_duration(left)} left"


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
