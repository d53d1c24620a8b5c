"""Global importance of a run's model: local explanations of a notice sample, read together.

``global_explanation(pipeline, notices)`` explains a sample of at most
``GLOBAL_SAMPLE`` notices with the exact local explanations
(``triage.explain.explain``) and keeps them; ``.data()`` is a plain dict of
*aggregates only* (the figures' numbers: mean |contribution| per field, and
per field and value the count and quantiles of contributions; cells of fewer
than ``MIN_CELL`` notices give only their count), never row-level records.
The figures drawn from it are in ``triage.explain.figures``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from triage.explain.local import explain
from triage.labels import field_label, value_label

GLOBAL_SAMPLE = 5_000
"""Notices explained for the global view (TreeSHAP costs about 0.5 ms a notice)."""

TOP_PLOTS = 6
"""Fields in the beeswarm and dependence plots."""

MIN_CELL = 10
"""A value seen in fewer sampled notices reports only its count."""

UNITS = "log-odds of harm before calibration (the model's margin)"

ERRORS = {
    "empty": "global explanations need at least one notice.",
}


def sample_positions(n: int, *, size: int = GLOBAL_SAMPLE, seed: int = 0) -> np.ndarray:
    """Sorted row positions of a uniform sample without replacement (all rows when n <= size)."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def group_key(field_name: str, value: Any) -> Any:
    """The value a notice is grouped by: ``alleged_types`` by its main (first) type."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def key_label(field_name: str, key: Any, lang: str) -> str:
    """A group's label (``group_key``) in ``lang``."""
    if field_name == "alleged_types" and key is not None:
        return value_label(field_name, [key], lang)
    return value_label(field_name, key, lang)


def sort_keys(keys: Iterable[Any]) -> list[Any]:
    """Group keys in reading order: yes/no and numbers, then categories, then unknown."""

    def order(k: Any) -> tuple[int, Any]:
        if k is None:
            return (2, "")
        if isinstance(k, bool):
            return (0, int(k))
        if isinstance(k, int | float):
            return (0, k)
        return (1, str(k))

    return sorted(keys, key=order)


@dataclass(frozen=True, eq=False)
class GlobalExplanation:
    """Local explanations of a notice sample, read globally; ``.data()`` holds aggregates only."""

    kind: str
    fields: tuple[str, ...]
    contributions: np.ndarray  # (n_sample, n_fields)
    margin: np.ndarray
    values: dict[str, list[Any]]  # field → JSON value per sampled notice
    positions: np.ndarray  # sampled row positions in the notices given
    n_population: int
    seed: int
    extra: dict = field(default_factory=dict)

    @property
    def importance(self) -> dict[str, float]:
        """Mean |contribution| per field, largest first."""
        imp = np.abs(self.contributions).mean(axis=0)
        order = np.argsort(-imp, kind="stable")
        return {self.fields[k]: float(imp[k]) for k in order}

    def top(self, k: int = TOP_PLOTS) -> list[str]:
        return list(self.importance)[:k]

    def by_value(self, field_name: str) -> list[dict[str, Any]]:
        """Per value of a field: count and quantiles of its contribution."""
        c = self.contributions[:, self.fields.index(field_name)]
        keys = [group_key(field_name, v) for v in self.values[field_name]]
        groups: dict[Any, list[int]] = {}
        for i, k in enumerate(keys):
            groups.setdefault(k, []).append(i)
        rows = []
        for k in sort_keys(groups):
            idx = groups[k]
            row = {
                "value": k,
                "label_en": key_label(field_name, k, "en"),
                "label_ja": key_label(field_name, k, "ja"),
                "n": len(idx),
            }
            if len(idx) >= MIN_CELL:
                q = np.quantile(c[idx], [0.05, 0.25, 0.5, 0.75, 0.95])
                row.update(
                    mean=float(c[idx].mean()),
                    **{f"q{p:02d}": float(v) for p, v in zip((5, 25, 50, 75, 95), q, strict=True)},
                )
            rows.append(row)
        return rows

    def data(self, *, top: int = TOP_PLOTS) -> dict[str, Any]:
        imp = self.importance
        ranking = [
            {
                "rank": r + 1,
                "feature": f,
                "label_en": field_label(f, "en"),
                "label_ja": field_label(f, "ja"),
                "mean_abs_contribution": v,
            }
            for r, (f, v) in enumerate(imp.items())
        ]
        hist = {}
        for f in self.top(top):
            c = self.contributions[:, self.fields.index(f)]
            counts, edges = np.histogram(c, bins=30)
            hist[f] = {"edges": edges.tolist(), "counts": counts.tolist()}
        return {
            "model": self.kind,
            "units": UNITS,
            "n_notices": len(self.margin),
            "n_population": self.n_population,
            "sample_seed": self.seed,
            "importance": ranking,
            "top_fields": self.top(top),
            "by_value": {f: self.by_value(f) for f in self.top(top)},
            "histograms": hist,
            **self.extra,
        }


def global_explanation(
    pipeline: Any, notices: pd.DataFrame, *, sample: int = GLOBAL_SAMPLE, seed: int = 0
) -> GlobalExplanation:
    """Explain a sample of ``notices`` (at most ``sample``) for the global view."""
    if len(notices) == 0:
        raise ValueError(ERRORS["empty"])
    pos = sample_positions(len(notices), size=sample, seed=seed)
    sub = notices.iloc[pos].reset_index(drop=True)
    e = explain(pipeline, sub)
    values = {f: [e._values[f][i] for i in range(len(e))] for f in e.fields}
    return GlobalExplanation(
        kind=e.kind,
        fields=e.fields,
        contributions=e.contributions,
        margin=e.margin,
        values=values,
        positions=pos,
        n_population=len(notices),
        seed=seed,
    )
