"""``triage score`` (one JSON line per notice) and ``triage queue`` (the day's queue).

Both read notices the same way (each bad line on stderr, exit 3 when some were
rejected) and load the same scorer (exit 2 when a model is unavailable).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from triage.cli.consoles import console, err_console
from triage.cli.errors import SCORING_FLAGS, error_line, flag_message
from triage.cli.run import promote_command
from triage.contract.names import DEFAULT_MODEL, DEFAULT_ROUTING_MODEL, ROUTING_MODEL


def _load_scorer(model: str, routing_model: str | None, rules: Path | None):
    from triage.experiment.data import resolve_path
    from triage.scoring import ModelUnavailable, Scorer

    rules_path = rules if rules is not None else resolve_path("configs/rules.yaml")
    try:
        return Scorer.load(
            model, routing_model=routing_model, rules=rules_path if rules_path.exists() else None
        )
    except (ModelUnavailable, ValueError) as exc:
        err_console.print(
            error_line(exc, SCORING_FLAGS), markup=False, highlight=False, soft_wrap=True
        )
        raise typer.Exit(2) from None


def _registered_name(model_uri: str, default: str) -> str:
    """``NAME`` of ``models:/NAME@alias`` or ``models:/NAME/3``; ``default`` for another URI."""
    from triage.contract.errors import InvalidParameter
    from triage.scoring.scorer import parse_models_uri

    try:
        name = parse_models_uri(model_uri)[0]
    except InvalidParameter:
        return default
    return name or default


def _note_missing_routing(scorer, frame, routing_model: str | None) -> None:
    if routing_model and scorer.routing is None and (frame["notice_kind"] == "dv_witness").any():
        model = _registered_name(routing_model, ROUTING_MODEL)
        err_console.print(
            f"note: {routing_model} not found; DV-witness notices are sorted by the urgency "
            "model and the rules only (to use one, promote a version: "
            f"{promote_command('VERSION', model)})",
            markup=False,
            highlight=False,
            soft_wrap=True,  # one line: the command in it is copied as printed
        )


def _read_valid(path: Path):
    """Valid notices as a frame; each bad line reported on stderr. Returns (frame, n_rejected).

    A file that cannot be read at all is one ``error:`` line and exit 2.
    """
    from triage.contract.errors import TriageError
    from triage.notices import validate_notices

    if not path.exists():
        err_console.print(f"error: {path}: no such file", markup=False, highlight=False)
        raise typer.Exit(2)
    try:
        result = validate_notices(path)
    except TriageError as exc:  # a folder, a damaged or foreign file, not UTF-8
        err_console.print(error_line(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    for e in result.errors:
        where = f"line {e.row}" + (f" ({e.notice_id})" if e.notice_id else "")
        field = f"{e.field}: " if e.field and not e.message.startswith(f"{e.field}:") else ""
        err_console.print(
            f"{path}: {where}: {field}{e.message}", markup=False, highlight=False, soft_wrap=True
        )
    return result.valid, result.n_rejected


def _refuse_far_past(when, frame) -> None:
    """Exit 2 when ``--as-of`` is more than a year before the earliest notice (a wrong year
    would make every notice look received in the future, none of them overdue)."""
    from triage.notices import refuse_as_of_long_before

    try:
        refuse_as_of_long_before(when, frame["received_at"])
    except ValueError as exc:
        err_console.print(
            error_line(exc, SCORING_FLAGS), markup=False, highlight=False, soft_wrap=True
        )
        raise typer.Exit(2) from None


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

    Bad lines go to stderr with line number, field and expectation (never the
    value). Exit 0 when every line was valid, 3 when some were rejected, 2 for
    usage errors, an unreadable file or an --as-of more than a year before the
    earliest notice.
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
    _refuse_far_past(when, frame)
    scorer = _load_scorer(model, routing_model or None, rules)
    _note_missing_routing(scorer, frame, routing_model)
    records = scorer.score(frame, as_of=when, lang=lang, explain=explain, top=top)
    out = sys.stdout
    out.write("".join(score_line(r) + "\n" for r in records))
    out.flush()
    raise typer.Exit(3 if rejected else 0)


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
    from triage.scoring.queue import DayCapacity, build_queue, received_in_day

    try:
        when = parse_as_of(as_of)
    except ValueError as exc:
        raise typer.BadParameter(flag_message(exc, SCORING_FLAGS), param_hint="--as-of") from None
    try:
        cap = load_config(resolve_path(str(config))).tiers.capacity
    except ConfigError as exc:
        err_console.print(error_line(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    frame, rejected = _read_valid(notices)
    _refuse_far_past(when, frame)
    scorer = _load_scorer(model, routing_model or None, rules)
    _note_missing_routing(scorer, frame, routing_model)
    view = build_queue(
        scorer.score(frame, as_of=when, lang=lang, explain=False),
        DayCapacity(per_day=cap.per_day, immediate=cap.per_day * cap.immediate_share),
        in_day=received_in_day(frame["received_at"], when),
    )
    if as_json:
        sys.stdout.write(
            json.dumps({"as_of": when.isoformat(), **view.data()}, ensure_ascii=False) + "\n"
        )
    else:
        print_queue(view, console, as_of=when.isoformat())
    raise typer.Exit(3 if rejected else 0)
