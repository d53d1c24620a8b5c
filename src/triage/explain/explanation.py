"""An explanation's numbers and the plain dicts a worker's screen and ``triage score`` show.

``Explanation`` holds the field contributions of a batch (or of one notice);
the factors, with their labels in both languages and a sentence in one, are
built only when asked for: a batch summarised into aggregates never needs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, overload

import numpy as np

from triage.explain._rows import json_values
from triage.labels import factor_label, factor_sentence


@dataclass(frozen=True, eq=False)
class Explanation:
    """Contributions of contract fields to each notice's margin; ``.data()`` for plain dicts.

    ``contributions[i, k]`` is field ``fields[k]``'s contribution to notice
    ``i``'s margin; ``base[i] + contributions[i].sum() == margin[i]``.
    """

    kind: str
    fields: tuple[str, ...]
    base: np.ndarray
    margin: np.ndarray
    contributions: np.ndarray
    notices: Any = field(repr=False)
    lang: str = "ja"
    top: int | None = None

    def __len__(self) -> int:
        return len(self.margin)

    @cached_property
    def _values(self) -> dict[str, list[Any]]:
        return json_values(self.notices, self.fields)

    @cached_property
    def _ids(self) -> list[Any] | None:
        n = self.notices
        if hasattr(n, "columns"):
            return n["notice_id"].tolist() if "notice_id" in n.columns else None
        return [n.get("notice_id")]

    def factors(self, i: int, lang: str | None = None) -> list[dict[str, Any]]:
        """Factors of notice ``i``, largest |contribution| first (``top`` of them if set).

        Each: ``feature`` (contract field), ``value`` (the notice's value as
        JSON), ``contribution`` (margin units), ``direction`` ("up"/"down"),
        ``label_en``, ``label_ja`` and ``sentence`` (in ``lang``).
        """
        lang = lang or self.lang
        row = self.contributions[i]
        order = np.argsort(-np.abs(row), kind="stable")
        order = order[row[order] != 0.0]
        if self.top is not None:
            order = order[: self.top]
        out = []
        for k in order.tolist():
            f = self.fields[k]
            value = self._values[f][i]
            c = float(row[k])
            direction = "up" if c > 0 else "down"
            out.append(
                {
                    "feature": f,
                    "value": value,
                    "contribution": c,
                    "direction": direction,
                    "label_en": factor_label(f, value, "en"),
                    "label_ja": factor_label(f, value, "ja"),
                    "sentence": factor_sentence(f, value, direction, lang),
                }
            )
        return out

    @overload
    def data(self, i: None = None) -> list[dict[str, Any]]: ...
    @overload
    def data(self, i: int) -> dict[str, Any]: ...
    def data(self, i: int | None = None) -> list[dict[str, Any]] | dict[str, Any]:
        """Plain, JSON-serialisable dicts: one per notice, or notice ``i``'s.

        ``{"notice_id", "model", "base", "margin", "factors": [...], "others"}``;
        ``others`` is the sum of contributions left out by ``top`` (0.0 without
        it), so ``base + Σ factors + others == margin``.
        """
        if i is not None:
            return self._one(i)
        return [self._one(k) for k in range(len(self))]

    def _one(self, i: int) -> dict[str, Any]:
        factors = self.factors(i)
        base, margin = float(self.base[i]), float(self.margin[i])
        shown = sum(f["contribution"] for f in factors)
        others = float(self.contributions[i].sum()) - shown if self.top is not None else 0.0
        return {
            "notice_id": None if self._ids is None else self._ids[i],
            "model": self.kind,
            "base": base,
            "margin": margin,
            "factors": factors,
            "others": others,
        }
