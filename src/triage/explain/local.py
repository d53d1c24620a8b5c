"""Local explanations: exact contributions in each candidate's margin, by contract field.

``explain(pipeline, notices)`` takes the registered pipeline
(``NoticeFeatures`` → ``CalibratedModel(candidate)``, or scikit-learn's
``CalibratedClassifierCV(FrozenEstimator(candidate))``),
unwraps it to the candidate and explains the candidate's *margin*: its
log-odds of harm before calibration. For every notice

    base + Σ contributions == margin        (to rounding, well within 1e-6)

Per candidate type (all exact):

- ``lightgbm``: TreeSHAP (path-dependent) from LightGBM itself,
  ``booster.predict(X, pred_contrib=True)``; base = the expected raw score.
  (A test shows it equals ``shap.TreeExplainer``; shap is never imported here.)
- ``scorecard``: margin = a + b·total, total = base points + Σ points·value.
  base = a + b·base points (the card's "base points" row), and a column's
  contribution is b·points·value: the card's own hand sum, in log-odds.
- ``tree``: Saabas path decomposition. Each node has a margin
  logit(P(harm | node)); each split on the notice's path adds
  margin(child) − margin(parent) to the split's column; base = root margin.
- ``checklist``: the score is a function of the set of questions answered yes
  (tier rank and count). Each yes-question gets its exact Shapley value over
  the yes-questions (base = the margin with no yes), split equally among the
  contract fields whose conditions made it fire.

Probabilities from step functions (checklist, tree) can be 0 or 1: they are
clipped to [``MARGIN_EPS``, 1 − ``MARGIN_EPS``] before the logit.

Columns fold into contract fields (``feature_groups``): one-hot columns and
``=unknown`` indicators add up. On a general notice, the DV-only fields are
"not applicable" (all their columns 0, a consequence of the notice kind): their
contributions fold into ``notice_kind``, so a general notice is never explained
by DV details.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations
from math import factorial
from typing import Any, overload

import numpy as np
import pandas as pd
from scipy.special import logit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline

from triage.contract import TIERS, notice_fields
from triage.explain._rows import feature_matrix, first_notice, json_values
from triage.features import NoticeFeatures, feature_groups
from triage.labels import LANGS, factor_label, factor_sentence
from triage.models import ChecklistBaseline, MonotoneLGBM, Scorecard, ShallowTree
from triage.models.calibrated import CalibratedModel
from triage.models.checklist import OPS

MARGIN_EPS = 1e-6
"""Risks are clipped to [eps, 1 − eps] before the logit (step functions can reach 0 or 1)."""

ERRORS = {
    "pipeline": (
        "explain needs the registered pipeline (features → calibrated candidate) or a "
        "(NoticeFeatures, candidate) pair; got {kind}."
    ),
    "candidate": "no exact explanation for candidate type {kind}; known: {known}.",
    "names": "the candidate's feature names differ from the features step's columns.",
    "lang": "lang: expected one of {langs}, got {lang!r}.",
    "top": "top: expected a positive whole number or None, got {top!r}.",
}


@dataclass(frozen=True)
class Unwrapped:
    """The parts of a scoring pipeline an explanation needs."""

    features: NoticeFeatures
    candidate: Any  # the fitted candidate (uncalibrated)
    calibrated: Any  # the candidate with its calibrator (predict_proba on features), or None
    kind: str  # "lightgbm" | "scorecard" | "tree" | "checklist"

    def risk(self, X: np.ndarray) -> np.ndarray:
        """Calibrated risk from a feature matrix: what the pipeline returns for the notices."""
        model = self.calibrated if self.calibrated is not None else self.candidate
        return model.predict_proba(X)[:, 1]


_KINDS = (
    (MonotoneLGBM, "lightgbm"),
    (Scorecard, "scorecard"),
    (ShallowTree, "tree"),
    (ChecklistBaseline, "checklist"),
)


def unwrap(pipeline: Any) -> Unwrapped:
    """Features step, candidate and calibrated model from the registered pipeline."""
    if isinstance(pipeline, Pipeline) and len(pipeline.steps) == 2:
        features, model = pipeline.steps[0][1], pipeline.steps[1][1]
    elif isinstance(pipeline, tuple | list) and len(pipeline) == 2:
        features, model = pipeline
    else:
        raise TypeError(ERRORS["pipeline"].format(kind=type(pipeline).__name__))
    if not isinstance(features, NoticeFeatures):
        raise TypeError(ERRORS["pipeline"].format(kind=type(features).__name__))
    calibrated = None
    candidate = model
    if isinstance(model, CalibratedModel):
        calibrated = model
        candidate = model.estimator
    elif isinstance(model, CalibratedClassifierCV):
        calibrated = model
        candidate = model.calibrated_classifiers_[0].estimator
    while isinstance(candidate, FrozenEstimator):
        candidate = candidate.estimator
    for cls, kind in _KINDS:
        if isinstance(candidate, cls):
            return Unwrapped(features, candidate, calibrated, kind)
    known = [k for _, k in _KINDS]
    raise TypeError(ERRORS["candidate"].format(kind=type(candidate).__name__, known=known))


# ---------------------------------------------------------------- the column plan


@dataclass(frozen=True)
class _Plan:
    """Per fitted pipeline: column → field grouping, DV folding, type-specific tables."""

    fields: tuple[str, ...]
    columns_of: tuple[tuple[int, ...], ...]  # per field, its columns in column order
    general_col: int | None  # column "notice_kind=general"
    notice_kind: int | None  # field index of notice_kind
    dv_fields: np.ndarray  # field indices of DV-only fields
    extra: dict = field(default_factory=dict)


_PLANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _plan_for(u: Unwrapped) -> _Plan:
    plan = _PLANS.get(u.candidate)
    if plan is not None:
        return plan
    names = [str(n) for n in u.features.get_feature_names_out()]
    own = getattr(u.candidate, "feature_names_", None)
    if own is not None and [str(n) for n in own] != names:
        raise ValueError(ERRORS["names"])
    groups = feature_groups(names)
    fields = tuple(dict.fromkeys(groups[n] for n in names))
    index = {f: k for k, f in enumerate(fields)}
    columns_of: list[list[int]] = [[] for _ in fields]
    for j, n in enumerate(names):
        columns_of[index[groups[n]]].append(j)
    dv = [index[f] for f in notice_fields().dv_only if f in index]
    plan = _Plan(
        fields=fields,
        columns_of=tuple(tuple(c) for c in columns_of),
        general_col=names.index("notice_kind=general") if "notice_kind=general" in names else None,
        notice_kind=index.get("notice_kind"),
        dv_fields=np.asarray(dv, dtype=np.intp),
        extra=_EXTRA[u.kind](u.candidate, names, groups),
    )
    _PLANS[u.candidate] = plan
    return plan


# ---------------------------------------------------------------- decompositions
# Each returns (base (n,), column contributions (n, p), margin (n,)); the margin is
# computed from the model's own prediction, independently of the contributions.


def _clipped_logit(p: np.ndarray) -> np.ndarray:
    return logit(np.clip(np.asarray(p, dtype=np.float64), MARGIN_EPS, 1.0 - MARGIN_EPS))


def _lightgbm(candidate: MonotoneLGBM, X: np.ndarray, extra: dict):
    booster = candidate.booster_
    contrib = np.asarray(booster.predict(X, pred_contrib=True))  # a union in its types; no copy
    margin = booster.predict(X, raw_score=True)
    return contrib[:, -1], contrib[:, :-1], np.asarray(margin, dtype=np.float64)


def _scorecard(candidate: Scorecard, X: np.ndarray, extra: dict):
    a, b = candidate.mapping_
    X64 = np.asarray(X, dtype=np.float64)
    cols = X64 * (b * candidate.points_.astype(np.float64))
    base = np.full(len(X64), a + b * candidate.base_points_, dtype=np.float64)
    margin = a + b * candidate.total_points(X).astype(np.float64)
    return base, cols, margin


def _tree_extra(candidate: ShallowTree, names, groups) -> dict:
    from scipy.sparse import csr_matrix

    est = candidate.estimator_
    tree = est.tree_
    value = tree.value[:, 0, :]
    positive = int(np.flatnonzero(est.classes_ == 1)[0]) if 1 in est.classes_ else 1
    p = value[:, positive] / value.sum(axis=1)
    node_margin = _clipped_logit(p)
    parent = np.full(tree.node_count, -1)
    for side in (tree.children_left, tree.children_right):
        inner = side >= 0
        parent[side[inner]] = np.flatnonzero(inner)
    child = np.flatnonzero(parent >= 0)
    delta = node_margin[child] - node_margin[parent[child]]
    steps = csr_matrix(
        (delta, (child, tree.feature[parent[child]])), shape=(tree.node_count, len(names))
    )
    return {"steps": steps, "root": float(node_margin[0])}


def _tree(candidate: ShallowTree, X: np.ndarray, extra: dict):
    path = candidate.estimator_.decision_path(np.asarray(X, dtype=np.float32))
    cols = (path @ extra["steps"]).toarray()
    base = np.full(len(X), extra["root"])
    margin = _clipped_logit(candidate.predict_proba(X)[:, 1])
    return base, cols, margin


def _checklist_extra(candidate: ChecklistBaseline, names, groups) -> dict:
    """Per question: its tier rank and, per contract field it reads, its conditions."""
    n_q = len(candidate.compiled_questions_)
    ranks = np.array([len(TIERS) - 1 - TIERS.index(t) for t, *_ in candidate.compiled_questions_])
    questions = []
    for _, any_of, all_of in candidate.compiled_questions_:
        by_field: dict[str, dict] = {}
        for conds, key in ((any_of, "any"), (all_of, "all")):
            for j, op, value in conds:
                entry = by_field.setdefault(groups[names[j]], {"col": j, "any": [], "all": []})
                entry[key].append((j, op, value))
        questions.append(tuple(by_field.values()))
    level_margin = _clipped_logit(candidate.level_risk_)
    return {
        "n_q": n_q,
        "ranks": ranks,
        "questions": tuple(questions),
        "level_margin": level_margin,
        "shapley": {},  # answer pattern (bytes) → Shapley values over questions
    }


def _checklist_shapley(fired: np.ndarray, extra: dict) -> np.ndarray:
    """Exact Shapley values of the yes-questions for one answer pattern."""
    n_q, ranks, level_margin = extra["n_q"], extra["ranks"], extra["level_margin"]
    players = np.flatnonzero(fired).tolist()
    k = len(players)
    out = np.zeros(n_q)
    if k == 0:
        return out

    def v(subset: tuple[int, ...]) -> float:
        rank = max((ranks[q] for q in subset), default=0)
        return float(level_margin[rank * (n_q + 1) + len(subset)])

    weights = [factorial(s) * factorial(k - s - 1) / factorial(k) for s in range(k)]
    for i in players:
        others = [q for q in players if q != i]
        total = 0.0
        for s in range(k):
            for subset in combinations(others, s):
                total += weights[s] * (v((*subset, i)) - v(subset))
        out[i] = total
    return out


def _checklist(candidate: ChecklistBaseline, X: np.ndarray, extra: dict):
    answers = candidate.answers(X)
    keys = np.packbits(answers, axis=1)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    cache = extra["shapley"]
    table = np.empty((len(unique), extra["n_q"]))
    for r, key in enumerate(unique):
        kb = key.tobytes()
        if kb not in cache:
            cache[kb] = _checklist_shapley(np.unpackbits(key)[: extra["n_q"]].astype(bool), extra)
        table[r] = cache[kb]
    phi = table[inverse.reshape(-1)]
    X64 = np.asarray(X, dtype=np.float64)
    cols = np.zeros_like(X64)
    for q, fields in enumerate(extra["questions"]):
        fired = answers[:, q]
        if not fired.any():
            continue
        holds = []
        for entry in fields:
            h = np.zeros(len(X64), dtype=bool)
            for j, op, value in entry["any"]:
                h |= OPS[op](X64[:, j], value)
            if entry["all"]:  # a fired question met every all_of condition
                h |= fired
            holds.append(h & fired)
        held = np.column_stack(holds)
        share = np.divide(phi[:, q], held.sum(axis=1), out=np.zeros(len(X64)), where=fired)
        for entry, h in zip(fields, held.T, strict=True):
            cols[:, entry["col"]] += np.where(h, share, 0.0)
    base = np.full(len(X64), float(extra["level_margin"][0]))
    margin = _clipped_logit(candidate.predict_proba(X)[:, 1])
    return base, cols, margin


_DECOMPOSE = {
    "lightgbm": _lightgbm,
    "scorecard": _scorecard,
    "tree": _tree,
    "checklist": _checklist,
}
_EXTRA = {
    "lightgbm": lambda *a: {},
    "scorecard": lambda *a: {},
    "tree": _tree_extra,
    "checklist": _checklist_extra,
}


def _by_field(cols: np.ndarray, columns_of: tuple[tuple[int, ...], ...]) -> np.ndarray:
    """Per row, the sum of each group of columns, added left to right.

    Not a matrix product: BLAS orders the additions by the shape of the batch,
    so a notice scored alone and the same notice in a file would differ in the
    last digit. Added one column at a time, every row gets the same sum
    whatever else is in the batch.
    """
    out = np.zeros((len(cols), len(columns_of)))
    for k, columns in enumerate(columns_of):
        total = out[:, k]
        for j in columns:
            total += cols[:, j]
    return out


# ---------------------------------------------------------------- the explanation


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


def explain(
    pipeline: Any, notices: Any, *, lang: str = "ja", top: int | None = None
) -> Explanation:
    """Exact local explanations of the pipeline's candidate for a notice frame or one notice.

    ``notices``: a notice frame, or one notice as a dict (the fast path; a
    one-row frame takes it too). ``lang`` sets the language of each factor's
    ``sentence`` (both labels are always given); ``top`` keeps the largest
    factors only.
    """
    if lang not in LANGS:
        raise ValueError(ERRORS["lang"].format(langs=list(LANGS), lang=lang))
    if top is not None and (not isinstance(top, int) or top < 1):
        raise ValueError(ERRORS["top"].format(top=top))
    u = unwrap(pipeline)
    plan = _plan_for(u)
    if isinstance(notices, pd.DataFrame) and len(notices) == 1:
        notices = first_notice(notices)  # one notice: no pandas from here on
    X = feature_matrix(u.features, notices)
    base, cols, margin = _DECOMPOSE[u.kind](u.candidate, X, plan.extra)
    contributions = _by_field(np.asarray(cols, dtype=np.float64), plan.columns_of)
    if plan.general_col is not None and plan.notice_kind is not None and len(plan.dv_fields):
        general = X[:, plan.general_col] == 1
        if general.any():
            moved = _by_field(contributions[general], (tuple(plan.dv_fields.tolist()),))
            contributions[general, plan.notice_kind] += moved[:, 0]
            contributions[np.ix_(general, plan.dv_fields)] = 0.0
    return Explanation(
        kind=u.kind,
        fields=plan.fields,
        base=np.asarray(base, dtype=np.float64),
        margin=np.asarray(margin, dtype=np.float64),
        contributions=contributions,
        notices=notices,
        lang=lang,
        top=top,
    )
