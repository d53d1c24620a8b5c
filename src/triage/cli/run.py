"""``triage run`` (an experiment config's pipeline) and ``triage promote`` (a person's decision)."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from triage.cli.consoles import console, err_console
from triage.cli.errors import error_line
from triage.contract.names import CHAMPION, URGENCY_MODEL


def run(
    config: Annotated[
        Path,
        typer.Argument(
            help="Experiment config (YAML), e.g. configs/intake_urgency.yaml, or the name of a "
            "packaged config: ci, ci_dv, dv_witness_sorting, from_release, intake_urgency."
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
    except ConfigError as exc:  # every problem of the config, each on its own line
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(config_exit_code(exc)) from None
    try:
        result = run_pipeline(cfg, config_path=config, console=console, quiet=quiet)
    except ConfigError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        exit_interrupted()
    print_run_result(result, console)


def config_exit_code(exc: Exception) -> int:
    """2 when there is no config where the user pointed (a usage mistake), 1 when the
    config's content is what cannot run."""
    from triage.experiment.config import ConfigNotFound

    return 2 if isinstance(exc, ConfigNotFound) else 1


def exit_interrupted() -> NoReturn:
    """Say in one line that SIGTERM or SIGINT stopped the run, and exit with 128 + its number.

    ``os._exit``, not ``sys.exit``: the pipeline's background threads (the
    bootstrap, the explanations' refits) would otherwise hold the exit for
    minutes, and the MLflow run is already marked KILLED.
    """
    import signal

    from triage.tracking.interrupts import received_signal

    signum = received_signal() or signal.SIGINT
    name = signal.Signals(signum).name
    err_console.print(
        f"error: stopped by {name}; the MLflow run (if one was open) is marked KILLED "
        "and the model's aliases are left as they were",
        markup=False,
        highlight=False,
        soft_wrap=True,  # one line, however wide
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(128 + signum)


def _names_no_such_version(exc: Exception) -> bool:
    """MLflow says the model or version named does not exist, or is not a version number:
    the user's mistake (exit 2), not the store's fault."""
    code = getattr(exc, "error_code", None)
    return code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")


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
    except ValueError as exc:  # no reason given, or a version that is not complete
        err_console.print(
            error_line(exc, {"reason": "--reason", "version": "VERSION"}),
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(2) from None
    except Exception as exc:  # noqa: BLE001 - MLflow's own errors say what is missing
        err_console.print(
            error_line(Exception(f"cannot promote {model} version {version}: {exc}")),
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(2 if _names_no_such_version(exc) else 1) from None
    console.print(f"models:/{model}@{alias} -> version {version}", markup=False)
    for key, value in record.items():
        console.print(f"  {key}: {value}", markup=False)


def promote_command(version: str, model: str) -> str:
    """The ``triage promote`` line that promotes ``model`` version ``version``, as printed.

    Built here, beside the command that parses it, from the same defaults: the
    model is named whenever it is not the command's default, so a DV run's hint
    never moves the urgency champion. The reason is left for the person to write.
    """
    words = ["triage", "promote", version]
    if model != URGENCY_MODEL:
        words += ["--model", model]
    return shlex.join(words) + " --reason '...'"
