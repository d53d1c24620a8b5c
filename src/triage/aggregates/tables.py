"""Contingency tables over discretised attributes: the unit of every release.

A :class:`Table` lists every cell of the full grid of its attributes' levels,
in row-major order (the last attribute varies fastest), with its count. A
published table may leave a count empty (``<NA>``): suppressed. Listing every
cell, zeros included, means a table's shape never depends on which
combinations happened to occur, and a reader can rebuild the array from the
CSV alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from triage.contract.errors import InvalidParameter

COUNT = "count"
"""The count column of every table."""

SEPARATOR = "__"
"""Joins attribute names into a table name: ``route__recorded_harm_90d``."""

Domain = Mapping[str, tuple[str, ...]]
"""Each attribute's levels, in order."""


@dataclass(frozen=True)
class Table:
    """One released table: attribute columns (str) and ``count`` (Int64, ``<NA>`` = suppressed)."""

    name: str
    attributes: tuple[str, ...]
    frame: pd.DataFrame

    def shape(self, domain: Domain) -> tuple[int, ...]:
        return tuple(len(domain[a]) for a in self.attributes)

    def counts(self) -> np.ndarray:
        """The counts as floats in grid order, ``nan`` where suppressed."""
        return self.frame[COUNT].to_numpy(dtype="float64", na_value=np.nan)

    def suppressed(self) -> np.ndarray:
        """A boolean mask of the suppressed cells, in grid order."""
        return self.frame[COUNT].isna().to_numpy()

    def with_counts(self, counts: Sequence[float] | np.ndarray) -> Table:
        """The same cells with new counts (``nan`` → suppressed)."""
        values = pd.array(
            [None if np.isnan(c) else int(c) for c in np.asarray(counts, dtype="float64")],
            dtype="Int64",
        )
        frame = self.frame.copy()
        frame[COUNT] = values
        return Table(self.name, self.attributes, frame)


def table_name(attributes: Sequence[str]) -> str:
    return SEPARATOR.join(attributes)


def grid(domain: Domain, attributes: Sequence[str]) -> pd.DataFrame:
    """Every combination of the attributes' levels, row-major, as str columns."""
    levels = [domain[a] for a in attributes]
    if not attributes:
        return pd.DataFrame(index=range(1))
    index = pd.MultiIndex.from_product(levels, names=list(attributes))
    return index.to_frame(index=False).astype(object)


def tabulate(records: pd.DataFrame, domain: Domain, attributes: Sequence[str]) -> Table:
    """Count the records in every cell of the attributes' grid (zeros included).

    ``records`` holds one categorical column per attribute whose categories
    are exactly ``domain[attribute]`` and no missing value (discretisation
    makes "unknown" a level of its own).
    """
    attributes = tuple(attributes)
    shape = tuple(len(domain[a]) for a in attributes)
    codes = [_codes(records[a], domain[a], a) for a in attributes]
    flat = np.ravel_multi_index(codes, shape) if attributes else np.zeros(len(records), np.int64)
    counts = np.bincount(flat, minlength=int(np.prod(shape)))
    frame = grid(domain, attributes)
    frame[COUNT] = pd.array(counts, dtype="Int64")
    return Table(table_name(attributes), attributes, frame)


def _codes(column: pd.Series, levels: tuple[str, ...], name: str) -> np.ndarray:
    if isinstance(column.dtype, pd.CategoricalDtype) and tuple(column.cat.categories) == levels:
        codes = column.cat.codes.to_numpy()
    else:
        codes = pd.Categorical(column, categories=list(levels)).codes
    if (codes < 0).any():
        raise InvalidParameter(
            f"{name}: a value outside its levels {list(levels)} or missing", param=name
        )
    return codes.astype(np.int64)


def marginal(counts: np.ndarray, attributes: Sequence[str], keep: Sequence[str]) -> np.ndarray:
    """Sum a table's count array (shaped by its attributes) down to ``keep``, in ``keep``'s order."""
    attributes = list(attributes)
    drop = tuple(i for i, a in enumerate(attributes) if a not in keep)
    summed = counts.sum(axis=drop) if drop else counts
    kept = [a for a in attributes if a in keep]
    return np.transpose(summed, [kept.index(a) for a in keep]) if keep else np.asarray(summed)
