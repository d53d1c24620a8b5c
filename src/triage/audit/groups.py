"""Layer 1: per-group counts and metrics (aequitas ``group.py``).

Inputs are checked and turned into arrays once (``prepare``); group labels are
strings, with missing values as the group ``unknown`` (never dropped, never
imputed). ``group_table`` computes every group's metrics from confusion counts
(``np.bincount``); ``metric_frame`` builds the same numbers with fairlearn's
``MetricFrame``, the public reference the fast path is checked against.
Groups under ``min_n`` are suppressed: their row says so and holds no number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from triage.evaluation import auc, brier, ece

from .errors import (
    BAD_INTERSECTION,
    BAD_THRESHOLD,
    FLAG_RULE,
    LABEL_NOT_BINARY,
    MISSING_COLUMN,
    SCORE_OUT_OF_RANGE,
    TIER_MISSING,
    UNKNOWN_TIERS,
)

UNKNOWN = "unknown"
COUNT_METRICS: tuple[str, ...] = ("base_rate", "flag_rate", "fnr", "fpr", "for", "precision")
SCORE_METRICS: tuple[str, ...] = ("auc", "brier", "ece")
METRIC_LABELS: dict[str, str] = {
    "n": "notices",
    "base_rate": "base rate",
    "flag_rate": "share flagged",
    "fnr": "false-negative rate (under-triage)",
    "fpr": "false-positive rate",
    "for": "false-omission rate",
    "precision": "precision",
    "auc": "AUC",
    "brier": "Brier",
    "ece": "ECE",
}
# Confusion cell of each notice: 2 * y + flagged -> TN 0, FP 1, FN 2, TP 3.
TN, FP, FN, TP = range(4)


@dataclass(frozen=True)
class AuditInputs:
    """Checked arrays: outcome ``y``, decision ``flagged``, optional ``score``, group codes."""

    y: np.ndarray  # int8 0/1
    flagged: np.ndarray  # int8 0/1
    score: np.ndarray | None
    groups: dict[str, pd.Categorical]  # feature (or intersection) -> labels
    label: str
    rule: str  # how "flagged" was decided, in words
    meta: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def cells(self) -> np.ndarray:
        return 2 * self.y.astype(np.int64) + self.flagged


def _require(frame: pd.DataFrame, column: str, role: str) -> pd.Series:
    if column not in frame.columns:
        raise ValueError(
            MISSING_COLUMN.format(role=role, column=column, available=", ".join(map(str, frame)))
        )
    return frame[column]


def _sample(values: pd.Series) -> str:
    """How many rows are refused and the first one, never the values (they may identify)."""
    n = len(values)
    first = values.index[0] if n else None
    where = f", the first at row {first + 1}" if isinstance(first, (int, np.integer)) else ""
    return f"{n:,} rows that do not{where}" if n != 1 else f"1 row that does not{where}"


def binary_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A 0/1 label column as int8; ``ValueError(LABEL_NOT_BINARY)`` naming the column."""
    s = _require(frame, column, "label")
    if s.isna().any():
        raise ValueError(LABEL_NOT_BINARY.format(column=column, bad="missing values"))
    values = s.to_numpy(dtype=object) if s.dtype == object else s.to_numpy()
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    if arr is None or not np.all((arr == 0.0) | (arr == 1.0)):
        bad = s[~s.isin([0, 1, True, False])]
        raise ValueError(LABEL_NOT_BINARY.format(column=column, bad=_sample(bad)))
    return arr.astype(np.int8)


def score_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A probability column as float64; ``ValueError(SCORE_OUT_OF_RANGE)`` naming the column."""
    s = _require(frame, column, "score")
    try:
        arr = s.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise ValueError(SCORE_OUT_OF_RANGE.format(column=column, bad="non-numbers")) from None
    bad = ~np.isfinite(arr) | (arr < 0.0) | (arr > 1.0)
    if bad.any():
        raise ValueError(SCORE_OUT_OF_RANGE.format(column=column, bad=_sample(s[bad])))
    return arr


def group_labels(values: pd.Series) -> pd.Categorical:
    """String group labels; missing -> ``unknown``; booleans -> ``yes`` / ``no``."""
    mapped = values.astype(object).where(values.notna(), UNKNOWN)
    names = {True: "yes", False: "no", "True": "yes", "False": "no", "true": "yes", "false": "no"}
    labels = [
        names.get(v, str(v)) if isinstance(v, bool | str | np.bool_) else str(v) for v in mapped
    ]
    return pd.Categorical(labels)


def parse_intersection(value: str | tuple[str, ...]) -> tuple[str, ...]:
    parts = tuple(value.split(":")) if isinstance(value, str) else tuple(value)
    if len(parts) < 2 or not all(parts):
        raise ValueError(BAD_INTERSECTION.format(value=value))
    return parts


def prepare(
    frame: pd.DataFrame,
    *,
    label: str,
    sensitive: tuple[str, ...] | list[str],
    score: str | None = None,
    threshold: float | None = None,
    tier: str | None = None,
    flag_tiers: tuple[str, ...] | list[str] | None = None,
    intersections: tuple | list = (),
) -> AuditInputs:
    """Check the table and turn it into ``AuditInputs``; errors name the column at fault.

    Flagged = ``score >= threshold``, or ``tier`` in ``flag_tiers``. A ``score``
    column given with a tier rule still yields the score metrics (AUC, Brier, ECE).
    """
    y = binary_column(frame, label)
    p = score_column(frame, score) if score is not None else None
    meta: dict = {}
    if tier is not None and flag_tiers:
        t = _require(frame, tier, "tier")
        if t.isna().any():
            raise ValueError(TIER_MISSING.format(column=tier, count=int(t.isna().sum())))
        known = sorted(map(str, pd.unique(t.astype(str))))
        if bad := sorted(set(flag_tiers) - set(known)):
            raise ValueError(UNKNOWN_TIERS.format(column=tier, bad=bad, known=known))
        flagged = t.astype(str).isin(list(flag_tiers)).to_numpy()
        rule = f"{tier} in {{{', '.join(flag_tiers)}}}"
        meta["decision"] = tier  # what a miss means: under-triage of tiers, under-routing
    elif p is not None and threshold is not None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(BAD_THRESHOLD.format(value=threshold))
        flagged = p >= threshold
        rule = f"{score} >= {threshold:g}"
    else:
        raise ValueError(FLAG_RULE)
    columns = {c: group_labels(_require(frame, c, "sensitive")) for c in sensitive}
    groups = dict(columns)
    for combo in intersections:
        parts = parse_intersection(combo)
        pieces = [
            np.asarray(
                columns[c] if c in columns else group_labels(_require(frame, c, "sensitive")),
                dtype=object,
            )
            for c in parts
        ]
        joined = pieces[0]
        for piece in pieces[1:]:
            joined = joined + "|" + piece
        groups[" x ".join(parts)] = pd.Categorical(joined)
    return AuditInputs(
        y=y, flagged=flagged.astype(np.int8), score=p, groups=groups, label=label, rule=rule,
        meta=meta,
    )  # fmt: skip


def confusion_counts(inputs: AuditInputs, feature: str) -> np.ndarray:
    """(G, 4) counts per group of TN, FP, FN, TP, groups in category order."""
    codes = inputs.groups[feature].codes.astype(np.int64)
    g = len(inputs.groups[feature].categories)
    return np.bincount(codes * 4 + inputs.cells, minlength=4 * g).reshape(g, 4).astype(np.float64)


def count_metrics(c: np.ndarray) -> dict[str, np.ndarray]:
    """Rates from confusion counts ``c[..., 4]`` (any leading shape; ``nan`` when undefined)."""
    tn, fp, fn, tp = (c[..., k] for k in range(4))
    n = tn + fp + fn + tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "base_rate": (fn + tp) / n,
            "flag_rate": (fp + tp) / n,
            "fnr": fn / (fn + tp),
            "fpr": fp / (fp + tn),
            "for": fn / (fn + tn),
            "precision": tp / (tp + fp),
        }


def _score_metric(fn, y, p, **kw) -> float:
    try:
        return fn(y, p, **kw)
    except ValueError:  # one class only: undefined
        return float("nan")


def group_table(inputs: AuditInputs, *, min_n: int = 30, bins: int = 10) -> pd.DataFrame:
    """Layer 1: one row per (feature, group) with ``n``, counts and metrics.

    Columns: ``feature``, ``group``, ``suppressed``, ``n``, ``tn``, ``fp``,
    ``fn``, ``tp``, then ``COUNT_METRICS`` and, with a score, ``SCORE_METRICS``.
    Suppressed rows (``n < min_n``) hold ``nan`` everywhere but their labels.
    """
    rows = []
    for feature, cats in inputs.groups.items():
        counts = confusion_counts(inputs, feature)
        rates = count_metrics(counts)
        codes = cats.codes
        for g, group in enumerate(cats.categories):
            row = {"feature": feature, "group": str(group), "n": counts[g].sum()}
            row.update(dict(zip(("tn", "fp", "fn", "tp"), counts[g], strict=True)))
            row.update({m: float(v[g]) for m, v in rates.items()})
            if inputs.score is not None:
                mask = codes == g
                y, p = inputs.y[mask], inputs.score[mask]
                row["auc"] = _score_metric(auc, y, p)
                row["brier"] = _score_metric(brier, y, p)
                row["ece"] = _score_metric(ece, y, p, bins=bins)
            rows.append(row)
    table = pd.DataFrame(rows)
    table.insert(2, "suppressed", table["n"] < min_n)
    numbers = [c for c in table.columns if c not in ("feature", "group", "suppressed")]
    table[numbers] = table[numbers].astype(np.float64)
    table.loc[table["suppressed"], numbers] = np.nan
    return table


def metric_frame(inputs: AuditInputs, feature: str, *, bins: int = 10):
    """fairlearn's ``MetricFrame`` of the layer-1 metrics for one feature: the reference (slow)."""
    from fairlearn.metrics import (
        MetricFrame,
        count,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
    )
    from sklearn.metrics import precision_score

    def base_rate(y_true, y_pred):
        return float(np.mean(y_true))

    def false_omission_rate(y_true, y_pred):
        negatives = y_pred == 0
        return float(np.mean(y_true[negatives])) if negatives.any() else float("nan")

    def precision(y_true, y_pred):
        return float(precision_score(y_true, y_pred, zero_division=np.nan))

    # fairlearn answers 0 for a rate whose denominator is empty (a group without positives
    # has "FNR 0"); the audit says undefined (NaN), and the reference must mean the same.
    def fnr(y_true, y_pred):
        return false_negative_rate(y_true, y_pred) if np.any(y_true == 1) else float("nan")

    def fpr(y_true, y_pred):
        return false_positive_rate(y_true, y_pred) if np.any(y_true == 0) else float("nan")

    metrics = {
        "n": count,
        "base_rate": base_rate,
        "flag_rate": selection_rate,
        "fnr": fnr,
        "fpr": fpr,
        "for": false_omission_rate,
        "precision": precision,
    }
    params = {}
    if inputs.score is not None:
        metrics["auc"] = lambda y, _, score: _score_metric(auc, y, score)
        metrics["brier"] = lambda y, _, score: _score_metric(brier, y, score)
        metrics["ece"] = lambda y, _, score: _score_metric(ece, y, score, bins=bins)
        params = {name: {"score": inputs.score} for name in SCORE_METRICS}
    return MetricFrame(
        metrics=metrics,
        y_true=inputs.y.astype(int),
        y_pred=inputs.flagged.astype(int),
        sensitive_features=pd.Series(np.asarray(inputs.groups[feature]), name=feature),
        sample_params=params or None,
    )
