"""The release spec: which attributes an agency releases, how it bins integers, which tables.

One versioned YAML file (``configs/release.yaml``; its packaged copy is the
default), checked before anything is counted: an unknown key, an unknown
attribute, a bad bin or a table too large fails at once, in one line, with
the key path of every problem (``tables.extra.2: unknown field 'chld_age'
...``). The attributes and their levels are those of
:mod:`triage.aggregates.attributes`: receipt no finer than the month, area no
finer than urbanity.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from importlib.resources import files
from math import prod
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from triage.aggregates.attributes import (
    MONTH,
    OUTCOMES,
    attribute_levels,
    attribute_names,
    attributes_by_name,
    attributes_of_field,
    required_attributes,
)
from triage.aggregates.tables import table_name
from triage.contract import notice_fields
from triage.contract.errors import TriageError
from triage.contract.yaml_files import read_yaml

RELEASE_SPEC_VERSION = 1

Outcome = Literal["recorded_harm_90d", "recorded_tier"]


class ReleaseSpecError(TriageError, ValueError):
    """A release spec that cannot be used, with the key path of every problem."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TablesSpec(_Section):
    """Which tables to release; each is counted over every cell of its attributes' grid."""

    one_way: StrictBool = True
    """Every attribute alone."""
    by_outcome: StrictBool = True
    """Every attribute by each outcome (two-way), the outcomes by each other included."""
    extra: tuple[tuple[str, ...], ...] = ()
    """Further tables, each a list of attribute names (any order)."""


class ReleaseSpec(_Section):
    """What an agency releases: attributes, bins, outcomes and tables (``configs/release.yaml``)."""

    release_spec_version: Literal[1]
    fields: Literal["all"] | tuple[str, ...] = "all"
    """``all`` or the attributes to release (outcomes apart: see ``outcomes``)."""
    exclude: tuple[str, ...] = ()
    """Attributes left out of ``all``."""
    outcomes: tuple[Outcome, ...] = ("recorded_harm_90d", "recorded_tier")
    bins: dict[str, tuple[StrictInt, ...]] = {}
    """Left edges of the bins of each released integer field; the first is the
    field's schema minimum, the last bin runs to its schema maximum."""
    tables: TablesSpec = TablesSpec()
    max_cells: Annotated[StrictInt, Field(gt=0)] = 5000
    """A table whose grid has more cells is refused, named."""

    @field_validator("fields", mode="before")
    @classmethod
    def _all_or_list(cls, value: Any) -> Any:
        if isinstance(value, str) and value != "all":
            raise ValueError(f"expected all or a list of field names, got {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ReleaseSpec:
        problems = [
            *self._attribute_problems(),
            *self._bin_problems(),
            *self._table_problems(),
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def attribute_names(self) -> tuple[str, ...]:
        """The attributes released, in canonical order (contract order, outcomes last)."""
        chosen = set(self.fields) if self.fields != "all" else None
        names: list[str] = []
        for name in attribute_names():
            if name in OUTCOMES:
                if name in self.outcomes:
                    names.append(name)
            elif (chosen is None or name in chosen) and name not in self.exclude:
                names.append(name)
        return tuple(names)

    def table_attributes(
        self, domain_attributes: Mapping[str, Sequence[str]] | Iterable[str]
    ) -> list[tuple[str, ...]]:
        """The tables to release, each its attributes in the domain's order, each once.

        ``domain_attributes``: the domain (attribute → levels), or its attribute
        names only. Tables first one-way, then by outcome, then the extra ones
        as listed; a table listed again, in any order of its attributes, counts
        once. A table naming an attribute the domain lacks (an outcome, for
        records without outcomes) is left out. Given the levels, a table whose
        grid has more than ``max_cells`` cells raises :class:`ReleaseSpecError`
        naming it (given names only, the months of ``received_month`` are not
        known and count as one, as when the spec was read).
        """
        order = {name: i for i, name in enumerate(domain_attributes)}
        released = [name for name in self.attribute_names() if name in order]
        outcomes = [name for name in released if name in OUTCOMES]
        wanted: list[tuple[str, ...]] = []
        if self.tables.one_way:
            wanted += [(name,) for name in released]
        if self.tables.by_outcome:
            wanted += [(name, o) for o in outcomes for name in released if name != o]
        wanted += list(self.tables.extra)
        tables: list[tuple[str, ...]] = []
        seen: set[frozenset[str]] = set()
        for attributes in wanted:
            if any(a not in order for a in attributes) or frozenset(attributes) in seen:
                continue
            seen.add(frozenset(attributes))
            tables.append(tuple(sorted(attributes, key=order.__getitem__)))
        if isinstance(domain_attributes, Mapping):
            for attributes in tables:
                cells = prod(len(domain_attributes[a]) for a in attributes)
                if cells > self.max_cells:
                    raise ReleaseSpecError(
                        f"tables: table {table_name(attributes)} has {cells} cells, more than "
                        f"max_cells {self.max_cells}",
                        param="tables",
                    )
        return tables

    @property
    def digest(self) -> str:
        """The first 16 hex digits of the sha256 of the spec as canonical JSON."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    # --- the checks behind _consistent: each problem with its key path ---

    def _attribute_problems(self) -> list[str]:
        problems = []
        if self.fields != "all":
            problems += _name_problems("fields", self.fields, allow_outcomes=False)
            if self.exclude:
                problems.append("exclude: only with fields: all (list the fields instead)")
        problems += _name_problems("exclude", self.exclude, allow_outcomes=False)
        released = set(self.attribute_names())
        missing = [a for a in required_attributes() if a not in released]
        if missing:
            where = "exclude" if self.fields == "all" else "fields"
            problems.append(
                f"{where}: {', '.join(missing)} must be released: every notice needs them "
                "(the notice contract requires them), and notices are synthesized from a release"
            )
        for i, outcome in enumerate(self.outcomes):
            if outcome in self.outcomes[:i]:
                problems.append(f"outcomes.{i}: {outcome} is listed twice")
        return problems

    def _bin_problems(self) -> list[str]:
        integers = notice_fields().integers
        problems = []
        for field, edges in self.bins.items():
            if field not in integers:
                problems.append(
                    f"bins.{field}: not an integer field (integer fields: {', '.join(integers)})"
                )
                continue
            low, high = integers[field]
            if not edges:
                problems.append(f"bins.{field}: expected at least one left edge, got none")
            elif edges[0] != low:
                problems.append(
                    f"bins.{field}: the first edge must be the field's minimum {low}, got {edges[0]}"
                )
            elif any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
                problems.append(
                    f"bins.{field}: expected strictly increasing edges, got {list(edges)}"
                )
            elif edges[-1] > high:
                problems.append(
                    f"bins.{field}: edge {edges[-1]} is above the field's maximum {high}"
                )
        for name in self.attribute_names():
            attribute = attributes_by_name()[name]
            if attribute.kind == "integer" and attribute.field not in self.bins:
                problems.append(
                    f"bins: no bins for {attribute.field} (left edges from "
                    f"{integers[attribute.field][0]}, e.g. [0, 1, 2, 3])"
                )
        return problems

    def _table_problems(self) -> list[str]:
        released = set(self.attribute_names())
        problems = []
        for i, attributes in enumerate(self.tables.extra):
            path = f"tables.extra.{i}"
            if not attributes:
                problems.append(f"{path}: expected a list of attribute names, got an empty one")
                continue
            named = _name_problems(path, attributes, allow_outcomes=True, indexed=False)
            if named:
                problems += named
                continue
            repeated = sorted({a for a in attributes if attributes.count(a) > 1})
            if repeated:
                problems.append(f"{path}: {', '.join(repeated)} listed more than once")
            left_out = [a for a in attributes if a not in released]
            if left_out:
                problems.append(
                    f"{path}: {', '.join(left_out)} not released (see fields, exclude, outcomes)"
                )
                continue
            cells = self._fewest_cells(attributes)
            if cells is not None and cells > self.max_cells:
                at_least = "at least " if MONTH in attributes else ""
                problems.append(
                    f"{path}: table {table_name(attributes)} has {at_least}{cells} cells, "
                    f"more than max_cells {self.max_cells}"
                )
        return problems

    def _fewest_cells(self, attributes: Iterable[str]) -> int | None:
        """The table's cells with one month (months come with the data); None if bins are bad."""
        cells = 1
        for name in attributes:
            attribute = attributes_by_name()[name]
            if attribute.kind == "month":
                continue
            if attribute.kind == "integer" and not _good_edges(
                self.bins.get(attribute.field, ()), attribute.field
            ):
                return None
            cells *= len(attribute_levels(attribute, self.bins, ()))
        return cells


def _good_edges(edges: tuple[int, ...], field: str) -> bool:
    low, high = notice_fields().integers[field]
    increasing = all(b > a for a, b in zip(edges, edges[1:], strict=False))
    return bool(edges) and edges[0] == low and edges[-1] <= high and increasing


def _name_problems(
    path: str, names: Iterable[str], *, allow_outcomes: bool, indexed: bool = True
) -> list[str]:
    known = attribute_names()
    choices = known if allow_outcomes else tuple(n for n in known if n not in OUTCOMES)
    problems = []
    for i, name in enumerate(names):
        where = f"{path}.{i}" if indexed else path
        if name in OUTCOMES and not allow_outcomes:
            problems.append(f"{where}: {name} is an outcome; list it under outcomes")
        elif name not in known:
            problems.append(f"{where}: unknown field {name!r} ({_hint(name, choices)})")
    return problems


def _hint(name: str, choices: tuple[str, ...]) -> str:
    becomes = attributes_of_field(name)
    if becomes:
        return f"the field {name} is released as {', '.join(becomes)}"
    close = difflib.get_close_matches(name, choices, n=2)
    guess = f"did you mean {' or '.join(close)}? " if close else ""
    return f"{guess}fields: {', '.join(choices)}"


# --- reading --------------------------------------------------------------------------------


def _describe(err: ErrorDetails) -> str:
    path = ".".join(str(p) for p in err["loc"])
    msg = err["msg"]
    if err["type"] == "value_error":  # our own checks: their messages say what they got
        msg = msg.removeprefix("Value error, ")
        return f"{path}: {msg}" if path else msg  # _consistent names its own key paths
    if err["type"] == "extra_forbidden":
        msg = f"unknown key (keys: {', '.join(_keys_at(err['loc'][:-1]))})"
    elif "input" in err and err["type"] != "missing":
        msg = f"{msg}, got {repr(err['input'])[:60]}"
    return f"{path or '(top level)'}: {msg}"


def _keys_at(loc: tuple[int | str, ...]) -> list[str]:
    model: type[BaseModel] = ReleaseSpec
    for part in loc:
        annotation = model.model_fields[str(part)].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def parse_release_spec(raw: Any, *, source: str = "release spec") -> ReleaseSpec:
    """A release spec from parsed YAML; :class:`ReleaseSpecError` lists every problem in one line."""
    if not isinstance(raw, dict):
        raise ReleaseSpecError(f"{source}: expected a mapping of keys at the top level")
    try:
        return ReleaseSpec.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors())
        raise ReleaseSpecError(f"{source}: {problems}") from None


def packaged_release_spec() -> Path:
    """The packaged copy of ``configs/release.yaml`` (a plain file once installed)."""
    return Path(str(files("triage.aggregates") / "configs" / "release.yaml"))


def release_spec_path(path: str | Path | None) -> Path:
    """The file a spec path names: as given, or the packaged copy of a missing ``configs/...``."""
    if path is None:
        return packaged_release_spec()
    path = Path(path)
    if not path.exists() and len(path.parts) == 2 and path.parts[0] == "configs":
        packaged = packaged_release_spec().with_name(path.name)
        return packaged if packaged.is_file() else path
    return path


def load_release_spec(path: str | Path | None = None) -> ReleaseSpec:
    """Read and check a release spec; without ``path``, the packaged default.

    ``configs/<name>.yaml`` that is not in the working folder but ships in the
    package (``configs/release.yaml``) is read from the package, so an
    installed ``triage`` runs from any folder.
    """
    path = release_spec_path(path)
    raw = read_yaml(path, "release spec", ReleaseSpecError)
    return parse_release_spec(raw, source=str(path))
