"""The sweep file: what a sweep asks, its base config, the settings it varies, its seeds.

```yaml
name: learning-curve            # letters, digits, ., _ and -: names the parent run and folder
question: How many notices must a centre hold before a model beats the checklist?
base: ci                        # a config path, or a packaged config's name (as `triage run`)
grid:                           # config key path -> values; every combination
  data.synthetic.n: [10000, 100000]
zip:                            # key paths -> equal-length lists, varied together
  tiers.capacity.workers: [6, 9]
  tiers.capacity.immediate_share: [0.2, 0.25]
seeds: [1, 2, 3]                # each cell's config `seed`; default: the base config's
audit: true                     # optional: audit each cell as `triage audit --run` does; or
                                # a mapping of audit config keys ({n_boot: 200}) over the default
```

Only the file's own shape is checked here; whether each key path and value fits
the config is checked against the base config when the cells are made
(``triage.sweep.cells``). Every problem is one line naming the file and the key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, ValidationError

from triage.contract.errors import TriageError
from triage.contract.yaml_files import read_yaml

NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$")
"""A sweep's name: it names the parent run and its folder under ``reports/`` as written."""

FIXED_KEYS = ("config_version", "pipeline", "seed", "mlflow")
"""Config keys a sweep may not vary: the seed comes from ``seeds``; a cell is a run of the
base config's pipeline, and all cells and their parent share its MLflow experiment."""


class SweepError(TriageError, ValueError):
    """A sweep file that cannot run: one line naming the file, the key path and the value."""


class SweepFile(BaseModel):
    """The sweep file as written (its key paths not yet checked against the config)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    question: str
    base: str
    grid: dict[str, list[Any]] = {}
    zip: dict[str, list[Any]] = {}
    seeds: list[StrictInt] | None = None
    audit: StrictBool | dict[str, Any] = False

    def keys(self) -> list[str]:
        """The varied key paths, in the file's order: the grid's, then the zipped ones."""
        return [*self.grid, *self.zip]


def load_sweep_file(path: Path) -> SweepFile:
    """The sweep file at ``path``, its shape checked; ``SweepError`` names the first problem."""
    raw = read_yaml(path, "the sweep file", SweepError)
    if not isinstance(raw, dict):
        raise SweepError(f"{path}: expected a mapping with name, question, base, grid, seeds")
    try:
        sweep = SweepFile.model_validate(raw)
    except ValidationError as exc:
        raise SweepError(f"{path}: {_first_problem(exc)}") from None
    _check_shape(path, sweep)
    return sweep


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    key = ".".join(str(p) for p in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{key}: unknown key (expected name, question, base, grid, zip, seeds, audit)"
    if error["type"] == "missing":
        return f"{key}: missing"
    return f"{key}: {error['msg']}, got {repr(error.get('input'))[:60]}"


def _check_shape(path: Path, sweep: SweepFile) -> None:
    def fail(message: str) -> SweepError:
        return SweepError(f"{path}: {message}")

    if not NAME.match(sweep.name):
        raise fail(
            "name: expected letters and digits, with '.', '_' or '-' between them "
            f"(it names a folder), got {sweep.name!r}"
        )
    if not sweep.question.strip():
        raise fail("question: say what the sweep asks (it heads the sweep report)")
    if not sweep.grid and not sweep.zip:
        raise fail("grid: expected at least one config key path with a list of values")
    for section in ("grid", "zip"):
        for key, values in getattr(sweep, section).items():
            if not values:
                raise fail(f"{section}.{key}: expected a non-empty list of values")
            _check_key(key, fail, section)
    both = set(sweep.grid) & set(sweep.zip)
    if both:
        key = sorted(both)[0]
        raise fail(f"zip.{key}: already varied in grid; give each key path once")
    lengths = {key: len(values) for key, values in sweep.zip.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{key} has {n}" for key, n in lengths.items())
        raise fail(f"zip: expected lists of equal length, varied together ({shown})")
    if sweep.seeds is not None:
        if not sweep.seeds:
            raise fail("seeds: expected a non-empty list of integers")
        repeated = sorted({s for s in sweep.seeds if sweep.seeds.count(s) > 1})
        if repeated:
            raise fail(f"seeds: seed {repeated[0]} is given twice")


def _check_key(key: str, fail: Any, section: str) -> None:
    parts = key.split(".")
    if not all(parts):
        raise fail(f"{section}.{key}: expected a dotted config key path such as data.synthetic.n")
    if parts[0] in FIXED_KEYS:
        why = (
            "set seeds with the sweep's seeds list"
            if parts[0] == "seed"
            else "every cell runs the base config's pipeline in its MLflow experiment"
        )
        raise fail(f"{section}.{key}: {parts[0]} cannot be varied ({why})")
