"""Exact contributions of each feature column to a candidate's margin, per candidate type.

The margin is the candidate's log-odds of harm before calibration. Per type:

- ``lightgbm``: TreeSHAP (path-dependent) from LightGBM itself,
  ``booster.predict(X, pred_contrib=True)``, each tree's once per path pattern
  (``triage.models.tree_shap``); base = the expected raw score.
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
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from itertools import combinations
from math import factorial
from typing import Any

import numpy as np
from scipy.special import logit

from triage.contract import TIERS
from triage.explain.pipeline import Unwrapped
from triage.models import ChecklistBaseline, MonotoneLGBM, Scorecard, ShallowTree
from triage.models.checklist import OPS
from triage.models.gbm import LIGHTGBM_CALLS, forest_if_busy
from triage.models.tree_shap import contributions

MARGIN_EPS = 1e-6
"""Risks are clipped to [eps, 1 − eps] before the logit (step functions can reach 0 or 1)."""

Decomposition = tuple[np.ndarray, np.ndarray, np.ndarray]
"""Base (n,), column contributions (n, p) and margin (n,)."""


def clipped_logit(p: np.ndarray) -> np.ndarray:
    return logit(np.clip(np.asarray(p, dtype=np.float64), MARGIN_EPS, 1.0 - MARGIN_EPS))


# Each decomposition computes the margin from the model's own prediction,
# independently of the contributions, so that base + Σ contributions == margin
# is a check and not a definition.


def _lightgbm(candidate: MonotoneLGBM, X: np.ndarray, tables: dict) -> Decomposition:
    booster = candidate.booster_
    # One thread: LightGBM computes only the bias here (one row), or all of a model the
    # bit masks decline.
    contrib = contributions(booster, X, num_threads=1)
    forest = forest_if_busy(booster)
    if forest is not None:
        margin = forest.raw_score(X)
    else:
        with LIGHTGBM_CALLS:  # one LightGBM call at a time in the process (see there)
            margin = np.asarray(booster.predict(X, raw_score=True))
    return contrib[:, -1], contrib[:, :-1], np.asarray(margin, dtype=np.float64)


def _scorecard(candidate: Scorecard, X: np.ndarray, tables: dict) -> Decomposition:
    a, b = candidate.mapping_
    X64 = np.asarray(X, dtype=np.float64)
    cols = X64 * (b * candidate.points_.astype(np.float64))
    base = np.full(len(X64), a + b * candidate.base_points_, dtype=np.float64)
    margin = a + b * candidate.total_points(X).astype(np.float64)
    return base, cols, margin


def _tree_tables(candidate: ShallowTree, column_fields: tuple[str, ...]) -> dict:
    """Per node, the margin step from its parent, on the parent's split column."""
    from scipy.sparse import csr_matrix

    est = candidate.estimator_
    tree = est.tree_
    value = tree.value[:, 0, :]
    positive = int(np.flatnonzero(est.classes_ == 1)[0]) if 1 in est.classes_ else 1
    p = value[:, positive] / value.sum(axis=1)
    node_margin = clipped_logit(p)
    parent = np.full(tree.node_count, -1)
    for side in (tree.children_left, tree.children_right):
        inner = side >= 0
        parent[side[inner]] = np.flatnonzero(inner)
    child = np.flatnonzero(parent >= 0)
    delta = node_margin[child] - node_margin[parent[child]]
    steps = csr_matrix(
        (delta, (child, tree.feature[parent[child]])),
        shape=(tree.node_count, len(column_fields)),
    )
    return {"steps": steps, "root": float(node_margin[0])}


def _tree(candidate: ShallowTree, X: np.ndarray, tables: dict) -> Decomposition:
    path = candidate.estimator_.decision_path(np.asarray(X, dtype=np.float32))
    cols = (path @ tables["steps"]).toarray()
    base = np.full(len(X), tables["root"])
    margin = clipped_logit(candidate.predict_proba(X)[:, 1])
    return base, cols, margin


def _checklist_tables(candidate: ChecklistBaseline, column_fields: tuple[str, ...]) -> dict:
    """Per question: its tier rank and, per contract field it reads, its conditions."""
    n_q = len(candidate.compiled_questions_)
    ranks = np.array([len(TIERS) - 1 - TIERS.index(t) for t, *_ in candidate.compiled_questions_])
    questions = []
    for _, any_of, all_of in candidate.compiled_questions_:
        by_field: dict[str, dict] = {}
        for conds, key in ((any_of, "any"), (all_of, "all")):
            for j, op, value in conds:
                entry = by_field.setdefault(column_fields[j], {"col": j, "any": [], "all": []})
                entry[key].append((j, op, value))
        questions.append(tuple(by_field.values()))
    level_margin = clipped_logit(candidate.level_risk_)
    return {
        "n_q": n_q,
        "ranks": ranks,
        "questions": tuple(questions),
        "level_margin": level_margin,
        "shapley": {},  # answer pattern (bytes) → Shapley values over questions
    }


def _checklist_shapley(fired: np.ndarray, tables: dict) -> np.ndarray:
    """Exact Shapley values of the yes-questions for one answer pattern."""
    n_q, ranks, level_margin = tables["n_q"], tables["ranks"], tables["level_margin"]
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


def _checklist(candidate: ChecklistBaseline, X: np.ndarray, tables: dict) -> Decomposition:
    answers = candidate.answers(X)
    # Notices share few answer patterns: each pattern's Shapley values are computed once.
    keys = np.packbits(answers, axis=1)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    cache = tables["shapley"]
    table = np.empty((len(unique), tables["n_q"]))
    for r, key in enumerate(unique):
        kb = key.tobytes()
        if kb not in cache:
            cache[kb] = _checklist_shapley(np.unpackbits(key)[: tables["n_q"]].astype(bool), tables)
        table[r] = cache[kb]
    phi = table[inverse.reshape(-1)]
    X64 = np.asarray(X, dtype=np.float64)
    cols = np.zeros_like(X64)
    for q, fields in enumerate(tables["questions"]):
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
    base = np.full(len(X64), float(tables["level_margin"][0]))
    margin = clipped_logit(candidate.predict_proba(X)[:, 1])
    return base, cols, margin


_DECOMPOSE: dict[str, Callable[[Any, np.ndarray, dict], Decomposition]] = {
    "lightgbm": _lightgbm,
    "scorecard": _scorecard,
    "tree": _tree,
    "checklist": _checklist,
}
_TABLES_OF: dict[str, Callable[[Any, tuple[str, ...]], dict]] = {
    "lightgbm": lambda *a: {},
    "scorecard": lambda *a: {},
    "tree": _tree_tables,
    "checklist": _checklist_tables,
}
# Built once per fitted candidate: a notice scored alone must not pay for them.
_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def decompose(u: Unwrapped, X: np.ndarray, column_fields: tuple[str, ...]) -> Decomposition:
    """Base, per-column contributions and margin of the candidate for feature rows ``X``.

    ``column_fields``: the contract field of each column of ``X`` (the
    checklist shares a question's value among the fields it reads).
    """
    tables = _TABLES.get(u.candidate)
    if tables is None:
        tables = _TABLES[u.candidate] = _TABLES_OF[u.kind](u.candidate, column_fields)
    return _DECOMPOSE[u.kind](u.candidate, X, tables)
