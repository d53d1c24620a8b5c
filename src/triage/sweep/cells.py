"""A sweep's cells: every combination of its settings × its seeds, each a validated config.

Every cell is validated before any runs: first each value alone on the base
config (so a bad key path or value is named with the value that breaks it),
then each whole combination (settings that only clash together), then the
candidates' parameters. A cell's id (``c003-s2``: the third combination of
settings, seed 2) is stable while the sweep file's lists keep their order; its
digest, the sha256 of its complete validated config, is what ``--resume``
compares, so a cell is rerun exactly when its config changed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from triage.experiment.config import ConfigError, ExperimentConfig, find_config, parse_config
from triage.sweep.overrides import OverrideError, with_overrides
from triage.sweep.spec import SweepError, SweepFile, load_sweep_file


@dataclass(frozen=True)
class Cell:
    """One run of the sweep: its settings, its seed and the config they make."""

    id: str
    overrides: dict[str, Any]  # key path -> value as the sweep file gives it (seed excluded)
    seed: int
    config: ExperimentConfig
    digest: str


@dataclass(frozen=True)
class Sweep:
    """A validated sweep file and all its cells, ready to run."""

    path: Path
    file: SweepFile
    base: Path
    cells: tuple[Cell, ...]
    digest: str  # of the base config, the grid, the zipped lists, the seeds (and the audit)
    audit: dict[str, Any] | None = None
    """The audit config each cell's run is audited with (``audit:`` in the file), or None."""

    @property
    def name(self) -> str:
        return self.file.name

    @property
    def experiment(self) -> str:
        """The MLflow experiment of the parent run and of every cell: the base config's."""
        return self.cells[0].config.mlflow.experiment


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def config_digest(cfg: ExperimentConfig) -> str:
    """sha256 of the validated config's canonical JSON: equal configs, equal digests."""
    return hashlib.sha256(canonical_json(cfg.model_dump(mode="json")).encode()).hexdigest()


def plan_sweep(path: str | Path) -> Sweep:
    """The sweep file at ``path`` with every cell validated; ``SweepError`` names the first problem."""
    path = find_sweep_file(path)
    spec = load_sweep_file(path)
    base, raw = _base_config(path, spec)
    base_cfg = _parse(path, raw, "base " + str(spec.base))
    seeds = spec.seeds if spec.seeds is not None else [base_cfg.seed]
    for section in ("grid", "zip"):  # each value alone: the error names it
        for key, values in getattr(spec, section).items():
            for value in values:
                _config(path, raw, {key: value}, f"{section}.{key} = {value!r}")
    audit = audit_settings(path, spec.audit)
    cells = []
    for index, overrides in enumerate(_settings(spec), start=1):
        for seed in seeds:
            cell_id = f"c{index:03d}-s{seed}"
            shown = ", ".join(f"{k} = {v!r}" for k, v in overrides.items())
            cfg = _config(path, raw, {**overrides, "seed": seed}, f"cell {cell_id} ({shown})")
            cells.append(Cell(cell_id, overrides, seed, cfg, cell_digest(cfg, audit)))
    _check_distinct(path, cells)
    _check_candidate_params(path, cells)
    what: dict[str, Any] = {
        "base": base_cfg.model_dump(mode="json"),
        "grid": spec.grid,
        "zip": spec.zip,
        "seeds": seeds,
    }
    if audit is not None:
        what["audit"] = audit
    digest = hashlib.sha256(canonical_json(what).encode()).hexdigest()
    return Sweep(
        path=path, file=spec, base=base, cells=tuple(cells), digest=digest, audit=audit
    )


def find_sweep_file(name_or_path: str | Path) -> Path:
    """The sweep file a user names: a file that exists; else the packaged copy of a shipped
    sweep, by its path in the project (``configs/sweeps/small/label_bias.yaml``) or by name
    (``learning_curve``, ``small/learning_curve``), so an installed ``triage`` runs them from
    any folder; else the path as given (``load_sweep_file`` says it cannot be read)."""
    from triage.experiment.config import packaged_config
    from triage.experiment.data import resolve_path

    path = Path(name_or_path)
    if path.is_file() or path.is_absolute():
        return path
    found = resolve_path(path.as_posix())
    if found != path:
        return found
    if not path.suffix and len(path.parts) <= 2:
        copy = packaged_config(f"sweeps/{path.as_posix()}.yaml")
        if copy.is_file():
            return copy
    return path


def cell_digest(cfg: ExperimentConfig, audit: dict[str, Any] | None) -> str:
    """What ``--resume`` compares: the config's digest, and the audit's when cells are audited
    (a cell run without its audit is not the cell of an audited sweep)."""
    if audit is None:
        return config_digest(cfg)
    both = {"config": cfg.model_dump(mode="json"), "audit": audit}
    return hashlib.sha256(canonical_json(both).encode()).hexdigest()


def audit_settings(path: Path, audit: bool | dict[str, Any]) -> dict[str, Any] | None:
    """The audit config of ``audit:`` (the default one as ``triage audit`` finds it, with the
    file's keys over it), as JSON; None when cells are not audited."""
    if audit is False:
        return None
    from pydantic import ValidationError

    from triage.audit.config import AuditConfig, load_audit_config

    base = load_audit_config(None).model_dump(mode="json")
    overrides = audit if isinstance(audit, dict) else {}
    try:
        cfg = AuditConfig.model_validate({**base, **overrides})
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(p) for p in error["loc"])
        raise SweepError(
            f"{path}: audit.{key}: {error['msg']}, got {repr(error.get('input'))[:60]}"
        ) from None
    return cfg.model_dump(mode="json")


def _base_config(path: Path, spec: SweepFile) -> tuple[Path, dict[str, Any]]:
    try:
        base = find_config(spec.base)
        raw = yaml.safe_load(base.read_text("utf-8"))
    except ConfigError as exc:
        raise SweepError(f"{path}: base: {_one_line(exc)}") from None
    except OSError as exc:
        raise SweepError(
            f"{path}: base: cannot read config {spec.base} ({exc.strerror}); give a config "
            "path from the working folder or a packaged config's name (ci, intake_urgency, ...)"
        ) from None
    except yaml.YAMLError:
        raise SweepError(f"{path}: base: {spec.base} is not valid YAML") from None
    if not isinstance(raw, dict):
        raise SweepError(f"{path}: base: {spec.base} is not a config (expected a mapping)")
    return base, raw


def _settings(spec: SweepFile) -> list[dict[str, Any]]:
    """Every combination of the grid's values, each with every row of the zipped lists."""
    grid = [[(key, value) for value in values] for key, values in spec.grid.items()]
    zipped_keys = list(spec.zip)
    rows = list(zip(*spec.zip.values(), strict=True)) if spec.zip else [()]
    out = []
    for combination in itertools.product(*grid):
        for row in rows:
            out.append({**dict(combination), **dict(zip(zipped_keys, row, strict=True))})
    return out


def _config(
    path: Path, raw: dict[str, Any], overrides: dict[str, Any], what: str
) -> ExperimentConfig:
    try:
        changed = with_overrides(raw, overrides)
    except OverrideError as exc:
        raise SweepError(f"{path}: {what}: {exc}") from None
    return _parse(path, changed, what)


def _parse(path: Path, raw: dict[str, Any], what: str) -> ExperimentConfig:
    try:
        return parse_config(raw)
    except ConfigError as exc:
        raise SweepError(f"{path}: {what}: {_problems(exc)}") from None


def _problems(exc: ConfigError) -> str:
    """The config error's problem lines (its first line only counts them), joined on one line."""
    lines = [line.strip() for line in str(exc).splitlines()]
    return "; ".join(lines[1:] if len(lines) > 1 else lines)


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _check_distinct(path: Path, cells: list[Cell]) -> None:
    first: dict[str, str] = {}
    for cell in cells:
        if cell.digest in first:
            raise SweepError(
                f"{path}: cells {first[cell.digest]} and {cell.id} make the same config; "
                "give each combination of grid, zip and seeds distinct values"
            )
        first[cell.digest] = cell.id


def _check_candidate_params(path: Path, cells: list[Cell]) -> None:
    """The candidates' parameters as their estimators take them, once per distinct set."""
    from triage.experiment.training import check_candidate_params

    seen: set[str] = set()
    for cell in cells:
        key = canonical_json(cell.config.model_dump(mode="json", include={"candidates"}))
        if key in seen:
            continue
        seen.add(key)
        try:
            check_candidate_params(cell.config)
        except ConfigError as exc:
            shown = ", ".join(f"{k} = {v!r}" for k, v in cell.overrides.items())
            raise SweepError(f"{path}: cell {cell.id} ({shown}): {_problems(exc)}") from None
