"""``triage audit``: register with ``app.add_typer(audit_app, name="audit")``.

``triage audit --scores FILE --label COL (--score COL --threshold X | --tier COL
--flag-tiers immediate,urgent) --sensitive COL,... [--reference largest|F=G,...]
[--truth COL] [--out DIR]``, or ``triage audit --run RUN_ID``;
``triage audit power ...``; ``triage audit mitigate ...``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypedDict, TypeVar, cast

import typer

from triage.cli.consoles import console, err_console
from triage.cli.errors import error_line
from triage.contract.columns import RECORDED_HARM
from triage.contract.errors import TriageError

if TYPE_CHECKING:
    from triage.audit.config import AuditConfig
    from triage.audit.power import Mechanism

NO_SOURCE = "give --scores FILE or --run RUN_ID (not both)"
UNREADABLE_TABLE = "cannot read {path}: expected .csv, .parquet or .jsonl"
AUDIT_FLAGS = {
    "threshold": "--threshold",
    "flag_tiers": "--flag-tiers",
    "reference": "--reference",
    "run_id": "--run",
    "config": "--config",
}
NO_MLFLOW_HINT = "; or pass --no-mlflow to audit without logging"

audit_app = typer.Typer(
    help="Fairness audit in three layers: groups, disparities with intervals, flags.",
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _AuditArgs(TypedDict):
    """The options ``audit`` and ``audit_against_truth`` both take."""

    sensitive: list[str] | None
    score: str | None
    threshold: float | None
    tier: str | None
    flag_tiers: list[str] | None
    intersections: list[str] | None
    reference: str | None
    config: AuditConfig
    model_inputs: str | None


def _fail(exc: BaseException, hint: str = "") -> typer.Exit:
    """Print ``exc`` as one ``error:`` line (parameters as flags) and give the usage exit (2)."""
    err_console.print(
        error_line(exc, AUDIT_FLAGS) + hint, markup=False, highlight=False, soft_wrap=True
    )
    return typer.Exit(2)


def _audit_config(path: Path | None) -> AuditConfig:
    """The audit config (``--config``, else the default), or one ``error:`` line, exit 2."""
    from triage.audit.config import load_audit_config

    try:
        return load_audit_config(path)
    except (TriageError, ValueError) as exc:  # missing, unreadable, or a value out of range
        raise _fail(exc) from None


def _tracking_ready(hint: str = NO_MLFLOW_HINT) -> None:
    """Stop with one ``error:`` line, before any work, when the tracking store cannot be used."""
    from triage.audit.errors import TrackingUnavailable
    from triage.audit.runs import tracking_client

    try:
        tracking_client()
    except TrackingUnavailable as exc:
        raise _fail(exc, hint) from None


def _split(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _read_table(path: Path):
    import pandas as pd

    if not path.is_file():
        raise ValueError(f"--scores: no such file: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path, low_memory=False)  # whole columns typed: no DtypeWarning
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix in (".jsonl", ".json"):
        return pd.read_json(path, lines=suffix == ".jsonl")
    raise ValueError(UNREADABLE_TABLE.format(path=path))


BAD_CELLS = (
    "{flag}: column {column!r} must hold {rule} in every row; {count} row(s) do not, "
    "the first data row {first} (values not shown)"
)
"""A scored table's cells are checked here, before the audit, so that a refused value (which
may be a name typed into the wrong column) is never echoed: only its row is named."""


def _refuse_bad_cells(frame, **columns: tuple[str | None, str]) -> None:
    """``ValueError(BAD_CELLS)`` for the first of ``flag=(column, rule)`` with a bad cell."""
    rules = {"0/1": _is_binary, "a probability in [0, 1]": _is_probability}
    for flag, (column, rule) in columns.items():
        if column is None or column not in frame.columns:
            continue  # the audit names a column that is not there
        bad = [i for i, v in enumerate(frame[column].tolist(), start=1) if not rules[rule](v)]
        if bad:
            raise ValueError(
                BAD_CELLS.format(
                    flag=flag, column=column, rule=rule, count=len(bad), first=bad[0]
                )
            )


def _as_number(value: object) -> float | None:
    try:  # text too: a column with one word in it is read as text, its "1" included
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number == number else None  # NaN: a missing value


def _is_binary(value: object) -> bool:
    return _as_number(value) in (0.0, 1.0)


def _is_probability(value: object) -> bool:
    number = _as_number(value)
    return number is not None and 0.0 <= number <= 1.0


def _write(result, out: Path) -> None:
    from triage.audit.label_bias import LabelBiasAudit

    out.mkdir(parents=True, exist_ok=True)
    audits = result.audits if isinstance(result, LabelBiasAudit) else {result.name: result}
    for name, a in audits.items():
        a.groups.to_csv(out / f"{name}_groups.csv", index=False)
        a.disparities.to_csv(out / f"{name}_disparities.csv", index=False)
    if isinstance(result, LabelBiasAudit):
        result.differences.to_csv(out / "label_bias.csv", index=False)
    import json

    (out / "audit.json").write_text(
        json.dumps(
            result.data() if isinstance(result, LabelBiasAudit) else result.data(),
            indent=2,
            default=str,
        )
    )


@audit_app.callback(invoke_without_command=True)
def audit_command(
    ctx: typer.Context,
    scores: Annotated[
        Path | None, typer.Option(help="Scored table (.csv, .parquet, .jsonl).")
    ] = None,
    run: Annotated[
        str | None, typer.Option("--run", help="MLflow run id whose test predictions to audit.")
    ] = None,
    label: Annotated[
        str | None,
        typer.Option(help="0/1 outcome column (default for --run: the run's recorded outcome)."),
    ] = None,
    truth: Annotated[
        str | None, typer.Option(help="True-outcome column (synthetic data): audit both labels.")
    ] = None,
    score: Annotated[str | None, typer.Option(help="Probability column.")] = None,
    threshold: Annotated[float | None, typer.Option(help="Flag when score >= this.")] = None,
    tier: Annotated[str | None, typer.Option(help="Tier column.")] = None,
    flag_tiers: Annotated[
        str | None, typer.Option(help="Tiers that count as flagged, e.g. immediate,urgent.")
    ] = None,
    sensitive: Annotated[
        str | None, typer.Option(help="Sensitive columns, comma-separated (default: the config's).")
    ] = None,
    intersect: Annotated[
        list[str] | None, typer.Option(help="Intersection A:B (repeatable).")
    ] = None,
    reference: Annotated[
        str | None, typer.Option(help="'largest' (default) or FEATURE=GROUP,...")
    ] = None,
    n_boot: Annotated[
        int | None, typer.Option(help="Bootstrap resamples (default: the config's).")
    ] = None,
    min_n: Annotated[int | None, typer.Option(help="Suppress groups smaller than this.")] = None,
    config: Annotated[
        Path | None, typer.Option(help="Audit config (default configs/audit.yaml).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for the tables (CSV and JSON).")] = None,
    mlflow_log: Annotated[
        bool, typer.Option("--mlflow/--no-mlflow", help="Log the audit as an MLflow run.")
    ] = True,
) -> None:
    """Audit a scored table or a run's test predictions.

    A mistake in the input (an unknown column, a run id that is not a run of `triage
    run` with logged test predictions, a tracking store that does not answer) is one
    `error: ...` line on stderr and exit code 2.
    """
    if ctx.invoked_subcommand is not None:
        return
    from triage.audit.label_bias import audit_against_truth
    from triage.audit.report import log_audit
    from triage.cli.printers_audit import print_audit, print_label_bias

    try:
        cfg = _audit_config(config)
        updates = {k: v for k, v in {"n_boot": n_boot, "min_n": min_n}.items() if v is not None}
        cfg = cfg.model_copy(update=updates)
        if (scores is None) == (run is None):
            raise ValueError(NO_SOURCE)
        tags = {}
        model_inputs = None
        if run is not None:
            from triage.audit.of_run import run_audit_columns
            from triage.audit.runs import OF_RUN_TAG, load_logged_predictions

            # The run names its columns: an intake run's tier against harm, a DV run's route.
            logged = load_logged_predictions(run)
            frame, model_inputs = logged.frame, logged.model_inputs
            cols = run_audit_columns(
                logged, cfg, label=label, truth=truth, score=score, threshold=threshold,
                tier=tier, flag_tiers=_split(flag_tiers),
            )  # fmt: skip
            label, truth, score, tier = cols.label, cols.truth, cols.score, cols.tier
            flag_tiers = ",".join(cols.flag_tiers) if cols.flag_tiers else None
            tags[OF_RUN_TAG] = run
        else:
            assert scores is not None  # NO_SOURCE above: exactly one of --scores, --run
            frame = _read_table(scores)
            tags["audit.table"] = str(scores)
            if label is None:
                raise typer.BadParameter("give the outcome column", param_hint="--label")
            _refuse_bad_cells(
                frame,
                **{"--label": (label, "0/1"), "--truth": (truth, "0/1")},
                **{"--score": (score, "a probability in [0, 1]")},
            )
            if mlflow_log:
                _tracking_ready()  # before the audit's work, not after it
        common = _AuditArgs(
            sensitive=_split(sensitive), score=score, threshold=threshold, tier=tier,
            flag_tiers=_split(flag_tiers), intersections=intersect, reference=reference,
            config=cfg, model_inputs=model_inputs,
        )  # fmt: skip
        if truth:
            from triage.audit.label_bias import LabelBiasAudit  # noqa: F401

            result = audit_against_truth(frame, recorded_label=label, true_label=truth, **common)
            print_label_bias(result, console)
        else:
            from triage.audit import audit

            result = audit(frame, label=label, **common)
            print_audit(result, console)
    except (TriageError, ValueError, FileNotFoundError) as exc:
        raise _fail(exc) from None
    if out is not None:
        _write(result, out)
        console.print(f"tables written to {out}")
    if mlflow_log:
        run_id = log_audit(result, experiment=cfg.experiment, run_name="audit", tags=tags)
        console.print(f"MLflow run {run_id} (experiment {cfg.experiment})")


_N = TypeVar("_N", int, float)


def _numbers(value: str, kind: type[_N], flag: str, what: str) -> list[_N]:
    """A comma-separated option as numbers, or a usage error naming the flag."""
    items = _split(value)
    try:
        if items is None:
            raise ValueError
        return [kind(item) for item in items]
    except ValueError:
        raise typer.BadParameter(
            f"expected {what} separated by commas, got {value!r}", param_hint=flag
        ) from None


@audit_app.command()
def power(
    effects: Annotated[
        str, typer.Option(help="Planted log-odds terms, comma-separated.")
    ] = "0,0.5,1,2",
    sizes: Annotated[
        str, typer.Option(help="Numbers of notices, comma-separated.")
    ] = "5000,20000,100000",
    sims: Annotated[int, typer.Option(help="Simulations per cell.")] = 50,
    mechanism: Annotated[
        str, typer.Option(help="false_record (surveillance) or detection.")
    ] = "false_record",
    feature: Annotated[str, typer.Option(help="Node the bias is planted on.")] = "welfare_receipt",
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples per audit.")] = 200,
    seed: Annotated[int, typer.Option()] = 0,
    spec: Annotated[
        Path | None, typer.Option(help="Generator spec (default synthetic/spec.yaml).")
    ] = None,
    config: Annotated[Path | None, typer.Option(help="Audit config.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the table here (.csv).")] = None,
    mlflow_log: Annotated[bool, typer.Option("--mlflow/--no-mlflow")] = True,
) -> None:
    """Plant recording biases of given sizes and report how often the audit flags them."""
    from triage.audit.power import MECHANISM_METRIC, power_table
    from triage.cli.printers_audit import print_power_table
    from triage.synth import load_spec

    if mechanism not in MECHANISM_METRIC:
        raise typer.BadParameter(
            f"expected one of {list(MECHANISM_METRIC)}", param_hint="--mechanism"
        )
    cfg = _audit_config(config)
    if mlflow_log:
        _tracking_ready()
    effect_list = _numbers(effects, float, "--effects", "numbers")
    size_list = _numbers(sizes, int, "--sizes", "whole numbers")
    table = power_table(
        load_spec(spec), effects=effect_list, sizes=size_list,
        sims=sims, mechanism=cast("Mechanism", mechanism),  # checked against MECHANISM_METRIC above
        feature=feature, config=cfg, n_boot=n_boot, seed=seed,
    )  # fmt: skip
    print_power_table(table, console)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out, index=False)
    if mlflow_log:
        from triage.audit.report import log_power

        run_id = log_power(
            table, experiment=cfg.experiment,
            params={"mechanism": mechanism, "feature": feature, "sims": sims, "n_boot": n_boot, "seed": seed},
        )  # fmt: skip
        console.print(f"MLflow run {run_id}")


@audit_app.command()
def mitigate(
    n: Annotated[int, typer.Option("--n", min=1, help="Synthetic notices.")] = 30_000,
    seed: Annotated[int, typer.Option()] = 0,
    feature: Annotated[
        str, typer.Option(help="Sensitive feature to mitigate on.")
    ] = "welfare_receipt",
    constraints: Annotated[
        str,
        typer.Option(
            help="false_negative_rate_parity, false_positive_rate_parity, equalized_odds, demographic_parity."
        ),
    ] = "false_negative_rate_parity",
    threshold: Annotated[float, typer.Option(help="Baseline flag threshold on the score.")] = 0.15,
    label: Annotated[str, typer.Option(help="Label to train and audit on.")] = RECORDED_HARM,
    config: Annotated[Path | None, typer.Option(help="Audit config.")] = None,
) -> None:
    """Experiments only: ThresholdOptimizer and ExponentiatedGradient, deterministic, one MLflow run each."""
    from triage.audit.mitigation import CONSTRAINTS, log_mitigations, synthetic_mitigation
    from triage.cli.printers_audit import print_audit

    if constraints not in CONSTRAINTS:
        raise typer.BadParameter(f"expected one of {list(CONSTRAINTS)}", param_hint="--constraints")
    cfg = _audit_config(config)
    _tracking_ready(hint="")  # every mitigation is an MLflow run
    runs = synthetic_mitigation(
        n=n,
        seed=seed,
        feature=feature,
        constraints=constraints,
        threshold=threshold,
        label=label,
        config=cfg,
    )
    ids = log_mitigations(runs)
    for name, r in runs.items():
        print_audit(r.audit, console)
        console.print(
            f"{name}: accuracy {r.accuracy['accuracy']:.3f} (cost {r.accuracy['cost.accuracy']:+.3f}), "
            f"balanced accuracy {r.accuracy['balanced_accuracy']:.3f} (cost {r.accuracy['cost.balanced_accuracy']:+.3f}); "
            f"MLflow run {ids[name]}; never applied in scoring\n"
        )
