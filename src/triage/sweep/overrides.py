"""A config's raw mapping with values set at dotted key paths (``data.synthetic.n``).

Applied to the mapping as read from YAML, before validation, so the config's own
checks judge the result exactly as they judge a file written by hand: an unknown
key path or a wrong type is refused by ``parse_config`` naming the path.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from triage.contract.errors import TriageError


class OverrideError(TriageError, ValueError):
    """A key path that runs through a value instead of a section."""


def with_overrides(raw: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``raw`` with each ``key.path: value`` of ``overrides`` set.

    A missing section on the way is created (the config's defaults fill the rest);
    a value in the way (``seed.x`` where ``seed`` is a number) is an ``OverrideError``.
    """
    out = copy.deepcopy(dict(raw))
    for path, value in overrides.items():
        *sections, last = path.split(".")
        node = out
        for depth, part in enumerate(sections):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                where = ".".join(sections[: depth + 1])
                raise OverrideError(
                    f"{path}: {where} is a value ({child!r}), not a section with keys"
                )
            node = child
        node[last] = copy.deepcopy(value)
    return out
