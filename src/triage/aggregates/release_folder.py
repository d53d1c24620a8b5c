"""The release folder: ``manifest.json`` and ``tables/<name>.csv``, written and read back.

A release is what leaves the agency: one CSV per table (its attribute columns
then ``count``, every cell of the grid in row-major order, a suppressed count
left empty) and a manifest saying how they were protected (method,
parameters, budget), from which spec, under which contract and toolkit, with
each file's sha256. Nothing in it depends on the clock: the same release
gives byte-identical files, so a digest names a release.

Reading one back trusts nothing: the manifest must follow the JSON Schema
shipped beside this module, each table file must still have the digest the
manifest gives, stay inside ``tables/`` and list exactly its grid; a file
missing or one the manifest does not name refuses the release. Every problem
is one ``ReleaseError`` line naming the JSON path, or the table and line, and
what was expected.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import importlib.metadata
import io
import itertools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pandas as pd

from triage.aggregates.tables import COUNT, Domain, Table, grid, table_name
from triage.contract import InvalidParameter, TriageError, load_schema
from triage.notices import shorten

MANIFEST = "manifest.json"
TABLES = "tables"
FORMAT = "triage-aggregates-release"
MANIFEST_VERSION = 1
METHODS = ("sdc", "dp")
NEVER_RELEASED: tuple[str, ...] = ("notice_id", "received_at", "safety_confirmed_at", "region_code")
"""Attributes finer than a release allows: an id, exact date-times, a region code."""

COMPANIONS: tuple[str, ...] = ("report.*.md", "report.*.html")
"""Files written beside a release from its manifest (its report): replaced with the release."""

SCHEMA_FILE = "release-manifest.schema.json"
MAX_MANIFEST_BYTES = 16 * 2**20
MAX_DEPTH = 32
MAX_INTEGER = 2**63 - 1
MAX_COUNT = 10**13 - 1  # a count of at most 13 digits, as a table file may hold
_COUNT_TEXT = re.compile(r"0|[1-9][0-9]{0,12}")  # at most MAX_COUNT


class ReleaseError(TriageError):
    """A release folder that cannot be trusted as it is; the message names what and where."""

    def __init__(self, message: str) -> None:
        super().__init__(message, param="release")


@dataclass(frozen=True)
class Release:
    """A release as read back: its manifest, the attributes' levels, and its tables in manifest order."""

    folder: Path
    manifest: dict[str, Any]
    domain: dict[str, tuple[str, ...]]
    tables: list[Table]

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise InvalidParameter(
            f"table: expected one of {', '.join(t.name for t in self.tables)}, got {name!r}",
            param="table",
        )


# --- writing ---------------------------------------------------------------------------------


def write_release(
    out: Path,
    *,
    tables: Sequence[Table],
    domain: Domain,
    method: str,
    parameters: dict[str, Any],
    budget: dict[str, Any] | None,
    spec: dict[str, Any],
    spec_digest: str,
    records: int | None,
    notes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write ``tables/<name>.csv`` and then ``manifest.json`` into ``out``; return the manifest.

    ``out`` must be missing, empty, or a release already (overwritten whole,
    its report, ``COMPANIONS``, removed with it).
    Everything is checked before the first byte is written: a table over an
    attribute outside ``domain``, a ``domain`` holding an attribute finer than
    a release allows (``NEVER_RELEASED``), a table that is not its full grid,
    or parameters the manifest schema refuses raise ``InvalidParameter``.
    """
    out = Path(out)
    if method not in METHODS:
        raise InvalidParameter(
            f"method: expected one of {', '.join(METHODS)}, got {shorten(repr(method))}",
            param="method",
        )
    levels = _checked_domain(domain)
    files = {t.name: _csv_bytes(t) for t in _checked_tables(tables, levels)}
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "manifest_version": MANIFEST_VERSION,
        "method": method,
        "parameters": _plain(parameters, "parameters"),
        "budget": None if budget is None else _plain(budget, "budget"),
        "spec": _plain(spec, "spec"),
        "spec_digest": spec_digest,
        "contract_version": contract_version(),
        "toolkit_version": toolkit_version(),
        "records": _plain(records, "records"),
        "attributes": {a: list(v) for a, v in levels.items()},
        "tables": [
            {
                "name": t.name,
                "attributes": list(t.attributes),
                "file": f"{TABLES}/{t.name}.csv",
                "cells": len(t.frame),
                "suppressed": int(t.suppressed().sum()),
                "sha256": hashlib.sha256(files[t.name]).hexdigest(),
            }
            for t in tables
        ],
        "notes": None if notes is None else _plain(notes, "notes"),
    }
    problem = _schema_problem(manifest)
    if problem is not None:
        where, what = problem
        param = re.split(r"[.\[]", where.removeprefix("$."), maxsplit=1)[0] or "manifest"
        raise InvalidParameter(f"{param}: {where}: {what}", param=param)
    text = json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    _make_room(out)
    (out / TABLES).mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / TABLES / f"{name}.csv").write_bytes(data)
    (out / MANIFEST).write_bytes(text.encode("utf-8"))  # last: a release is whole once it has one
    return manifest


def contract_version() -> str:
    """The notice contract's version: 16 hex digits of the sha256 of ``notice.schema.json``.

    Read as JSON and written back canonically, so whitespace and key order do
    not change it; the contract carries no version number of its own.
    """
    canonical = json.dumps(load_schema("notice"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def toolkit_version() -> str:
    try:
        return importlib.metadata.version("urgency-triage")
    except importlib.metadata.PackageNotFoundError:  # a source tree that was never installed
        return "unknown"


def _checked_domain(domain: Domain) -> dict[str, tuple[str, ...]]:
    attribute, level = _pattern("attribute"), _pattern("level")
    checked: dict[str, tuple[str, ...]] = {}
    for name, values in domain.items():
        if name in NEVER_RELEASED:
            raise InvalidParameter(
                f"domain: attribute {name} is finer than a release allows (never released: "
                f"{', '.join(NEVER_RELEASED)}; nothing finer than a month or an urbanity class)",
                param="domain",
            )
        if not isinstance(name, str) or not attribute.fullmatch(name):
            raise InvalidParameter(
                f"domain: attribute {shorten(repr(name))}: expected a name matching "
                f"{attribute.pattern}",
                param="domain",
            )
        if not isinstance(values, (tuple, list)) or not all(isinstance(v, str) for v in values):
            raise InvalidParameter(
                f"domain: attribute {name}: expected its levels as a tuple of strings",
                param="domain",
            )
        values = tuple(values)
        bad = [v for v in values if not level.fullmatch(v)]
        if not values or bad or len(set(values)) != len(values):
            got = shorten(repr(bad[0])) if bad else f"{list(values)!r}"[:80]
            raise InvalidParameter(
                f"domain: attribute {name}: expected distinct levels of 1-128 characters "
                f"without control characters, got {got}",
                param="domain",
            )
        checked[name] = values
    return checked


def _checked_tables(tables: Sequence[Table], levels: Mapping[str, tuple[str, ...]]) -> list[Table]:
    if not tables:
        raise InvalidParameter("tables: expected at least one table", param="tables")
    seen: set[str] = set()
    for t in tables:
        where = f"tables: table {shorten(t.name)}"
        if not t.attributes:
            raise InvalidParameter(f"{where}: expected at least one attribute", param="tables")
        for a in t.attributes:
            if a not in levels:
                finer = " (finer than a release allows)" if a in NEVER_RELEASED else ""
                raise InvalidParameter(
                    f"{where}: attribute {shorten(repr(a))}{finer} is not in the domain "
                    f"(expected one of {', '.join(levels)})",
                    param="tables",
                )
        if t.name != table_name(t.attributes):
            raise InvalidParameter(
                f"{where}: expected the name {table_name(t.attributes)} (its attributes joined "
                "by '__')",
                param="tables",
            )
        if t.name in seen:
            raise InvalidParameter(f"{where}: expected each table once", param="tables")
        seen.add(t.name)
        _check_frame(t, levels, where)
    return list(tables)


def _check_frame(t: Table, levels: Mapping[str, tuple[str, ...]], where: str) -> None:
    expected_columns = [*t.attributes, COUNT]
    if list(t.frame.columns) != expected_columns:
        raise InvalidParameter(
            f"{where}: expected the columns {', '.join(expected_columns)}, "
            f"got {', '.join(map(str, t.frame.columns))}",
            param="tables",
        )
    cells = grid(levels, t.attributes)
    if len(t.frame) != len(cells):
        raise InvalidParameter(
            f"{where}: expected {len(cells)} cells (the full grid), got {len(t.frame)}",
            param="tables",
        )
    for a in t.attributes:
        same = t.frame[a].astype(object).to_numpy() == cells[a].to_numpy()
        if not same.all():
            row = int(np.flatnonzero(~same)[0])
            raise InvalidParameter(
                f"{where}: row {row + 1}: expected {a}={cells[a].iloc[row]} (every cell of the "
                f"grid, row-major), got {shorten(repr(t.frame[a].iloc[row]))}",
                param="tables",
            )
    for row, value in enumerate(t.frame[COUNT].to_numpy(dtype=object, na_value=None)):
        if value is not None and not _is_count(value):
            raise InvalidParameter(
                f"{where}: row {row + 1}: count: expected a non-negative integer or <NA> "
                f"(suppressed), got {shorten(repr(value))}",
                param="tables",
            )


def _is_count(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        return False
    number = float(value)
    return math.isfinite(number) and number.is_integer() and 0 <= number <= MAX_COUNT


def _csv_bytes(t: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*t.attributes, COUNT])
    counts = t.frame[COUNT].to_numpy(dtype=object, na_value=None)
    columns = [t.frame[a].astype(object).to_numpy() for a in t.attributes]
    for *cell, count in zip(*columns, counts, strict=True):
        writer.writerow([*cell, "" if count is None else str(int(count))])
    return buffer.getvalue().encode("utf-8")


def _plain(value: Any, param: str, path: tuple[str | int, ...] = ()) -> Any:
    """A copy of ``value`` as plain JSON data (numpy scalars as Python ones, tuples as lists)."""
    where = param + _json_path(path).removeprefix("$")
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_INTEGER:
            raise InvalidParameter(f"{where}: expected an integer of at most 63 bits", param=param)
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidParameter(f"{where}: expected a finite number, got {value}", param=param)
        return value
    if len(path) >= MAX_DEPTH:
        raise InvalidParameter(f"{where}: nested deeper than {MAX_DEPTH} levels", param=param)
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise InvalidParameter(f"{where}: expected string keys", param=param)
        return {k: _plain(v, param, (*path, k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, param, (*path, i)) for i, v in enumerate(value)]
    raise InvalidParameter(
        f"{where}: expected plain JSON data (objects, arrays, strings, numbers, booleans, "
        f"null), got {type(value).__name__}",
        param=param,
    )


def _make_room(out: Path) -> None:
    """Make ``out`` ready for a release: created, empty, or a release whose files go first."""
    if out.exists() and not out.is_dir():
        raise InvalidParameter(f"out: {out} is a file; expected a folder", param="out")
    if not out.exists():
        out.mkdir(parents=True)
        return
    entries = sorted(p.name for p in out.iterdir())
    if not entries:
        return
    if not _is_release(out):
        raise InvalidParameter(
            f"out: {out} is not empty and holds no release ({MANIFEST} of {FORMAT}); a release "
            "must never mix files: choose an empty folder",
            param="out",
        )
    companions = [e for e in entries if _is_companion(out / e)]
    strays = [e for e in entries if e not in (MANIFEST, TABLES, *companions)]
    tables = out / TABLES
    if tables.is_symlink() or (tables.exists() and not tables.is_dir()):
        strays.append(TABLES)
    elif tables.exists():
        strays += [
            f"{TABLES}/{p.name}"
            for p in sorted(tables.iterdir())
            if p.suffix != ".csv" or p.is_symlink() or not p.is_file()
        ]
    if strays:
        raise InvalidParameter(
            f"out: {out} is a release that also holds {shorten(repr(strays[0]))}; a release "
            "must never mix files: move it away or choose an empty folder",
            param="out",
        )
    (out / MANIFEST).unlink()  # first: a folder left half rewritten is never taken for a release
    for name in companions:  # they describe the old release
        (out / name).unlink()
    if tables.exists():
        for p in tables.iterdir():
            p.unlink()


def _is_companion(path: Path) -> bool:
    return (
        any(fnmatch.fnmatchcase(path.name, pattern) for pattern in COMPANIONS)
        and path.is_file()
        and not path.is_symlink()
    )


def _is_release(folder: Path) -> bool:
    path = folder / MANIFEST
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_MANIFEST_BYTES:
            return False
        manifest = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(manifest, dict) and manifest.get("format") == FORMAT


# --- reading ---------------------------------------------------------------------------------


def read_release(folder: Path) -> Release:
    """Read a release folder back, trusting nothing in it; raise ``ReleaseError`` (one line) if it fails.

    Checks, in order: the manifest against the shipped JSON Schema; its
    tables against its attributes (names, files, cells); that ``tables/``
    holds exactly the files it names, each inside ``tables/``; each file's
    sha256; and each CSV, strictly: the header, every grid cell once and in
    order, counts empty or non-negative integers.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ReleaseError(f"release: {folder} is not a folder")
    manifest = _load_manifest(folder / MANIFEST)
    domain = _checked_attributes(manifest["attributes"])
    entries: list[dict[str, Any]] = manifest["tables"]
    _check_entries(entries, domain)
    _check_table_files(folder, entries)
    tables = [_read_table(folder, entry, domain) for entry in entries]
    return Release(folder=folder, manifest=manifest, domain=domain, tables=tables)


def _load_manifest(path: Path) -> dict[str, Any]:
    if path.is_symlink() or not path.is_file():
        raise ReleaseError(f"release: {path.parent} is not a release: {MANIFEST} is missing")
    size = path.stat().st_size
    if size > MAX_MANIFEST_BYTES:
        raise ReleaseError(f"{MANIFEST}: expected at most {MAX_MANIFEST_BYTES} bytes, got {size}")
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise ReleaseError(f"{MANIFEST}: expected UTF-8 text") from None
    except RecursionError:
        raise ReleaseError(f"{MANIFEST}: nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise ReleaseError(f"{MANIFEST}: not valid JSON: {_one_line(str(exc), 120)}") from None
    _check_json_shape(manifest)
    problem = _schema_problem(manifest)
    if problem is not None:
        where, what = problem
        raise ReleaseError(f"{MANIFEST}: {where}: {what}")
    return manifest


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _check_json_shape(value: Any) -> None:
    """No nesting deeper than ``MAX_DEPTH``, no number JSON cannot carry exactly."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise ReleaseError(
                f"{MANIFEST}: {_json_path(path[:MAX_DEPTH])}: nested deeper than {MAX_DEPTH} levels"
            )
        if isinstance(item, dict):
            stack.extend((v, (*path, k)) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(item))
        elif isinstance(item, float) and not math.isfinite(item):
            raise ReleaseError(f"{MANIFEST}: {_json_path(path)}: expected a finite number")
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > MAX_INTEGER:
            raise ReleaseError(
                f"{MANIFEST}: {_json_path(path)}: expected an integer of at most 63 bits"
            )


def _checked_attributes(attributes: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    # The schema's patterns, applied to the whole string: its "$" lets a trailing newline by.
    attribute, level = _pattern("attribute"), _pattern("level")
    for name, levels in attributes.items():
        if not attribute.fullmatch(name):
            raise ReleaseError(
                f"{MANIFEST}: {_json_path(('attributes',))}: expected attribute names matching "
                f"{attribute.pattern}, got {_describe(name)}"
            )
        for i, value in enumerate(levels):
            if not level.fullmatch(value):
                raise ReleaseError(
                    f"{MANIFEST}: {_json_path(('attributes', name, i))}: expected a level of "
                    f"1-128 characters without control characters, got {_describe(value)}"
                )
    return {name: tuple(levels) for name, levels in attributes.items()}


def _check_entries(entries: list[dict[str, Any]], domain: Mapping[str, tuple[str, ...]]) -> None:
    # A name and a file equal to the ones its attributes give (each checked whole) can
    # only be tables/<words>.csv: never a path out of tables/.
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        name, attributes = entry["name"], entry["attributes"]
        for j, a in enumerate(attributes):
            if a not in domain:
                raise ReleaseError(
                    f"{MANIFEST}: {_json_path(('tables', i, 'attributes', j))}: expected an "
                    f"attribute of $.attributes, got {_describe(a)}"
                )
        expected = {
            "name": table_name(attributes),
            "file": f"{TABLES}/{table_name(attributes)}.csv",
            "cells": math.prod(len(domain[a]) for a in attributes),
        }
        for key, value in expected.items():
            if entry[key] != value:
                raise ReleaseError(
                    f"{MANIFEST}: {_json_path(('tables', i, key))}: expected {_describe(value)} "
                    f"(from the table's attributes), got {_describe(entry[key])}"
                )
        if name in seen:
            raise ReleaseError(
                f"{MANIFEST}: {_json_path(('tables', i, 'name'))}: expected each table once, "
                f"got {name} again"
            )
        seen.add(name)


def _check_table_files(folder: Path, entries: list[dict[str, Any]]) -> None:
    tables = folder / TABLES
    if tables.is_symlink() or not tables.is_dir():
        raise ReleaseError(f"release: {TABLES}/ is missing (expected the tables' files there)")
    named = {Path(entry["file"]).name for entry in entries}
    extras = sorted(p.name for p in tables.iterdir() if p.name not in named)
    if extras:
        raise ReleaseError(
            f"{TABLES}/{_describe(extras[0])}: not a table of {MANIFEST}; a release holds only "
            "the tables it names"
        )
    inside = tables.resolve()
    for entry in entries:
        path = folder / entry["file"]
        if path.is_symlink() or not path.is_file():
            raise ReleaseError(f"table {entry['name']}: its file {entry['file']} is missing")
        if path.resolve().parent != inside:
            raise ReleaseError(
                f"table {entry['name']}: its file {entry['file']} is outside {TABLES}/"
            )


def _read_table(
    folder: Path, entry: dict[str, Any], domain: Mapping[str, tuple[str, ...]]
) -> Table:
    name = entry["name"]
    attributes = tuple(entry["attributes"])
    data = (folder / entry["file"]).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry["sha256"]:
        raise ReleaseError(
            f"table {name}: its file changed after release "
            f"(sha256 {digest[:12]}… ≠ manifest {entry['sha256'][:12]}…)"
        )
    counts = _parse_csv(name, attributes, domain, data)
    suppressed = sum(c is None for c in counts)
    if suppressed != entry["suppressed"]:
        raise ReleaseError(
            f"table {name}: expected {entry['suppressed']} suppressed cells as {MANIFEST} says, "
            f"got {suppressed}"
        )
    frame = grid(domain, attributes)
    frame[COUNT] = pd.array(counts, dtype="Int64")
    return Table(name, attributes, frame)


def _parse_csv(
    name: str, attributes: tuple[str, ...], domain: Mapping[str, tuple[str, ...]], data: bytes
) -> list[int | None]:
    """The counts of a table file that lists its grid exactly as ``write_release`` writes it."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ReleaseError(f"table {name}: expected UTF-8 text") from None
    if not text.endswith("\n"):
        raise ReleaseError(f"table {name}: expected the file to end with a line break")
    lines = text[:-1].split("\n")
    header = [*attributes, COUNT]
    if _fields(name, 1, lines[0]) != header:
        raise ReleaseError(
            f"table {name}: line 1: expected the header {','.join(header)}, "
            f"got {_describe(lines[0])}"
        )
    n_cells = math.prod(len(domain[a]) for a in attributes)
    if len(lines) - 1 != n_cells:
        raise ReleaseError(
            f"table {name}: expected {n_cells} cells (every cell of the grid), "
            f"got {len(lines) - 1} lines after the header"
        )
    cells = itertools.product(*(domain[a] for a in attributes))  # lazily: never a grid in memory
    counts: list[int | None] = []
    for number, (line, cell) in enumerate(zip(lines[1:], cells, strict=True), start=2):
        fields = _fields(name, number, line)
        values, count = fields[:-1], (fields[-1] if fields else "")
        if values != list(cell):
            expected = ", ".join(f"{a}={v}" for a, v in zip(attributes, cell, strict=True))
            raise ReleaseError(
                f"table {name}: line {number}: expected the cell {expected} (grid order), "
                f"got {_describe(line)}"
            )
        if count and not _COUNT_TEXT.fullmatch(count):
            raise ReleaseError(
                f"table {name}: line {number}: count: expected empty (suppressed) or a "
                f"non-negative integer, got {_describe(count)}"
            )
        if _csv_line([*values, count]) != line:
            raise ReleaseError(
                f"table {name}: line {number}: expected {_describe(_csv_line([*values, count]))} "
                f"as written, got {_describe(line)}"
            )
        counts.append(int(count) if count else None)
    return counts


def _fields(name: str, number: int, line: str) -> list[str]:
    try:
        return next(csv.reader([line], strict=True), [])
    except csv.Error as exc:
        raise ReleaseError(
            f"table {name}: line {number}: not CSV: {_one_line(str(exc), 80)}"
        ) from None


def _csv_line(fields: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return buffer.getvalue()


# --- the schema, and its problems in one line ------------------------------------------------


@cache
def manifest_schema() -> dict[str, Any]:
    """The JSON Schema of ``manifest.json``, shipped in the package."""
    text = resources.files("triage.aggregates").joinpath(SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(manifest_schema())


@cache
def _pattern(definition: str) -> re.Pattern[str]:
    return re.compile(manifest_schema()["$defs"][definition]["pattern"])


def _schema_problem(instance: Any) -> tuple[str, str] | None:
    """(JSON path, what was expected) of the most relevant schema violation, or None."""
    error = jsonschema.exceptions.best_match(_validator().iter_errors(instance))
    if error is None:
        return None
    where = _json_path(tuple(error.absolute_path))
    if "propertyNames" in error.absolute_schema_path:
        return f"{where} (a key)", _expected(error)
    return where, _expected(error)


def _expected(error: jsonschema.ValidationError) -> str:
    kind, rule, value = error.validator, error.validator_value, error.instance
    got = _describe(value)
    if kind == "required" and isinstance(value, dict):
        missing = [k for k in rule if k not in value]
        return f"expected the key {_describe(missing[0])}, which is missing"
    if kind == "additionalProperties" and rule is False and isinstance(value, dict):
        known = error.schema.get("properties", {})
        extra = [k for k in value if k not in known]
        return f"expected no other key, got {_describe(extra[0])}"
    if kind == "type":
        return f"expected {' or '.join(rule) if isinstance(rule, list) else rule}, got {got}"
    if kind == "const":
        return f"expected {_describe(rule)}, got {got}"
    if kind == "enum":
        return f"expected one of {', '.join(_describe(v) for v in rule)}, got {got}"
    if kind == "pattern":
        return f"expected a string matching {rule}, got {got}"
    if kind == "not" and isinstance(rule, dict) and "enum" in rule:
        return (
            f"expected none of {', '.join(rule['enum'])} (finer than a release allows), got {got}"
        )
    bounds = {
        "minimum": "≥",
        "maximum": "≤",
        "exclusiveMinimum": ">",
        "exclusiveMaximum": "<",
    }
    if kind in bounds:
        return f"expected a number {bounds[kind]} {rule}, got {got}"
    sizes = {
        "minItems": "at least {} items",
        "maxItems": "at most {} items",
        "minProperties": "at least {} keys",
        "maxProperties": "at most {} keys",
        "minLength": "at least {} characters",
        "maxLength": "at most {} characters",
    }
    if kind in sizes:
        return "expected " + sizes[kind].format(rule)
    if kind == "uniqueItems":
        return "expected no item twice"
    return _one_line(error.message, 160)


def _json_path(path: Sequence[str | int]) -> str:
    text = "$"
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", step):
            text += f".{step}"
        else:
            text += f"[{_describe(step)}]"
    return text


def _describe(value: Any) -> str:
    """A value as JSON, on one line and short: a manifest's own text never spans lines."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    try:
        text = json.dumps(value)  # ASCII: every line separator escaped
    except (TypeError, ValueError):
        text = repr(value)
    return shorten(text)


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
