"""YAML files people edit (configs, specs, rules, sweeps), read with one-line errors.

PyYAML's own messages span several lines (the snippet, a caret under the column);
every command answers ``error: ...`` on one line, so the problem is said as
``<file> is not valid YAML: line 3, column 7: mapping values are not allowed here``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

# libyaml's parser when PyYAML was built with it: the same documents, 8x faster (the
# generator spec is read several times a run, 65 ms each in pure Python). Its error
# marks point elsewhere, so a broken file is read again by the pure-Python parser,
# whose line and column are where a person would look.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def yaml_problem(exc: yaml.YAMLError) -> str:
    """Where and what, on one line: ``line 2, column 4: expected ',' or ']', but got ':'``."""
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    problem = getattr(exc, "problem", None) or " ".join(str(exc).split()) or type(exc).__name__
    return where + " ".join(str(problem).split())


def parse_yaml(text: str | bytes, path: Path, error: Callable[[str], Exception]) -> Any:
    """The YAML document ``text`` (read from ``path``); ``error(message)`` when it is not YAML."""
    try:
        return yaml.load(text, Loader=_FAST_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(f"{path} is not valid YAML: {yaml_problem(exc)}") from None


def read_yaml(path: Path, what: str, error: Callable[[str], Exception]) -> Any:
    """The YAML document in ``path``; ``error(message)`` (one line) when it cannot be read as
    UTF-8 text or is not YAML. ``what`` names the file's kind in the message (``config``)."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise error(f"cannot read {what} {path}: not UTF-8 text") from None
    return parse_yaml(text, path, error)
