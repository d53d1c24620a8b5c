"""Truth check on synthetic data: does the model's global importance recover the generator's?

**True effect size** of a contract field ``F`` (defined by intervention on the
generator, ``triage.synth.generate(..., interventions=...)``):

    m_v    = mean over notices of the TRUE outcome logit under do(F = v)
    effect = sqrt( Σ_v p_v (m_v − m̄)² ),   m̄ = Σ_v p_v m_v

``v`` runs over the field's values and ``p_v`` is the share of value ``v`` in
the population (among notices where ``F`` is known, from a run without
intervention). For a yes/no field this is ``|ATE| × sd(F)``, with
``ATE = m_yes − m_no`` and ``sd = sqrt(p (1 − p))``; for an enum or count it is
the spread (standard deviation) of the interventional means over the field's
own distribution, the same formula. It measures how much the true risk moves,
in log-odds, as the field varies as it does in the population, through every
causal path (the field's descendants are redrawn with it).

- Every intervened run uses the same seed and draws every random number in
  the same order (common random numbers), so ``m_v − m_w`` is exact notice by
  notice: no sampling noise between values beyond the choice of notices.
- ``alleged_types`` is intervened through its main (first) type; the other
  alleged types are its descendants in the generator.
- DV-only fields are set only where they apply (DV-witness notices); the mean
  runs over all notices, as the model's mean |contribution| does (a general
  notice's DV fields are not applicable and contribute 0).
- Counts (``prior_notices``, ``child_age_years``, ...) use every value with a
  share of at least ``MIN_SHARE``; the rarer tail's share goes to the largest
  kept value.
- The outcome is the generator's true logit (``logit(p_harm)``), never a
  drawn or recorded label.

What this does not credit: a field with no causal path to harm has effect 0
even when it is good evidence of the latent severity (``injury_head_face``,
the unseen-child signs, council registration). A model is right to use such
proxies, so their importance counts against the Spearman correlation: the
check is deliberately strict, and ``TruthCheck.data()`` lists the fields
where model and truth disagree most in rank.

**Stability across seeds**: the registered model and ``n_refit`` refits of a
clone of its candidate (same parameters, ``random_state`` = seed + k) on
bootstrap resamples of the training rows (at most ``refit_rows`` of them, to
keep the added time small) are explained on the same test notices; the
top-5 overlap is ``|top5₀ ∩ top5₁ ∩ top5₂| / 5``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from triage.experiment.background import in_idle_time
from triage.explain.local import explain
from triage.explain.pipeline import unwrap
from triage.features import ALLEGED_FIELD, column_plan
from triage.labels import field_label

MIN_SHARE = 0.005
"""Values of a count rarer than this are folded into the largest kept value."""

TRUTH_N = 3_000
"""Notices per intervened run (about 120 runs, 3 s): common random numbers make the
contrasts exact notice by notice, so a few thousand notices rank the fields stably."""

TOP_K = 5

REFIT_ROWS = 40_000
"""Training rows per refit (bootstrap): about 1.5 s a LightGBM fit on one thread."""

ERRORS = {
    "few_fields": "truth check: fewer than 3 fields have both a model importance and a true effect.",
}


# ---------------------------------------------------------------- true effects


def _node_of(field_name: str) -> str:
    return "main_type" if field_name == ALLEGED_FIELD else field_name


def _values_and_shares(notices: pd.DataFrame, field_name: str, kind: str) -> dict[Any, float]:
    """Population share of every value of a field, among notices where it is known."""
    col = notices[field_name]
    if field_name == ALLEGED_FIELD:
        col = col.map(lambda t: t[0])
    known = col.dropna()
    if kind == "bool":
        known = known.astype(bool)
    shares = known.astype(object).value_counts(normalize=True)
    if kind == "int":
        keep = sorted(v for v, s in shares.items() if s >= MIN_SHARE)
        out = {int(v): float(shares[v]) for v in keep}
        tail = float(shares[[v for v in shares.index if v > keep[-1]]].sum())
        out[keep[-1]] += tail
        return out
    return {(bool(v) if kind == "bool" else str(v)): float(s) for v, s in shares.items() if s > 0}


@dataclass(frozen=True)
class TrueEffects:
    """True effect size per contract field (see the module docstring); ``.data()`` for JSON."""

    effects: dict[str, float]
    means: dict[str, dict[str, float]]  # field → value → m_v
    shares: dict[str, dict[str, float]]  # field → value → p_v
    n: int
    seed: int
    spec_version: str

    def data(self) -> dict[str, Any]:
        return {
            "definition": (
                "sqrt(sum_v p_v (m_v - mbar)^2), m_v = mean true outcome logit under do(field=v), "
                "p_v = population share of v; |ATE| x sd for a yes/no field"
            ),
            "n_per_intervention": self.n,
            "seed": self.seed,
            "spec_version": self.spec_version,
            "effects": dict(sorted(self.effects.items(), key=lambda kv: -kv[1])),
            "means": self.means,
            "shares": self.shares,
        }


def true_effects(
    spec,
    *,
    seed: int = 0,
    n: int = TRUTH_N,
    fiscal_year: int | None = None,
    include_sensitive: bool = False,
) -> TrueEffects:
    """The generator's true effect size of every field the model can see (module docstring).

    Computed once per process for a given spec, seed, size and setting (or
    taken from ``prefetch_true_effects``, waiting for it if it is still running).
    """
    return _effects(spec, seed, n, fiscal_year, include_sensitive, background=False).result()


def prefetch_true_effects(
    spec,
    *,
    seed: int = 0,
    n: int = TRUTH_N,
    fiscal_year: int | None = None,
    include_sensitive: bool = False,
) -> Future:
    """Start ``true_effects`` in a background thread, in idle time; the later call takes
    its result (``Future``).

    They depend on the spec alone, so a pipeline starts them first; at the lowest
    priority (``background.in_idle_time``) they use only the cores its own steps leave
    idle (drawing the data, building features, logging), not the LightGBM fit's.
    """
    return _effects(spec, seed, n, fiscal_year, include_sensitive, background=True)


_EFFECTS: dict[tuple, Future] = {}
_EFFECTS_LOCK = threading.Lock()


def _effects(spec, seed, n, fiscal_year, include_sensitive, *, background: bool) -> Future:
    key = (spec.source, spec.digest, spec.spec_version, seed, n, fiscal_year, include_sensitive)
    args = (spec, seed, n, fiscal_year, include_sensitive)
    with _EFFECTS_LOCK:
        future = _EFFECTS.get(key)
        if future is not None and not (future.done() and future.exception() is not None):
            return future
        if background:
            _EFFECTS[key] = future = in_idle_time("true-effects", _true_effects, *args)
            return future
        _EFFECTS[key] = future = Future()
    try:
        future.set_result(_true_effects(*args))
    except BaseException as exc:  # the next call tries again
        future.set_exception(exc)
    return future


def _true_effects(spec, seed, n, fiscal_year, include_sensitive) -> TrueEffects:
    from triage.synth.generate import generate, true_logits

    kw = {"n": n, "seed": seed, "fiscal_year": fiscal_year}
    baseline = generate(spec, interventions={}, **kw).notices
    nodes = set(spec.nodes) | {"notice_kind", "main_type", "route", "child_age_years"}
    effects, means, shares = {}, {}, {}
    for block in column_plan(include_sensitive):
        node = _node_of(block.field)
        if node not in nodes:
            continue
        kind = "enum" if block.kind == "alleged" else block.kind
        p = _values_and_shares(baseline, block.field, kind)
        m = {}
        for v in p:
            m[v] = float(np.mean(true_logits(spec, interventions={node: v}, **kw)))
        w = np.array(list(p.values()))
        mv = np.array([m[v] for v in p])
        mbar = float(w @ mv / w.sum())
        effects[block.field] = float(np.sqrt(w @ (mv - mbar) ** 2 / w.sum()))
        means[block.field] = {str(v): m[v] for v in p}
        shares[block.field] = {str(v): p[v] for v in p}
    return TrueEffects(effects, means, shares, n, seed, spec.spec_version)


# ---------------------------------------------------------------- model side


def global_importance(pipeline: Any, notices: pd.DataFrame) -> dict[str, float]:
    """Mean |contribution| (margin units) per contract field, largest first."""
    e = explain(pipeline, notices)
    imp = np.abs(e.contributions).mean(axis=0)
    order = np.argsort(-imp, kind="stable")
    return {e.fields[k]: float(imp[k]) for k in order}


def _top(importance: dict[str, float], k: int = TOP_K) -> list[str]:
    return list(importance)[:k]


def refit_importances(
    pipeline: Any,
    notices: pd.DataFrame,
    X_train: np.ndarray,
    y_train: np.ndarray,
    *,
    seed: int,
    n_refit: int = 2,
    refit_rows: int = REFIT_ROWS,
) -> list[dict[str, float]]:
    """Global importance of ``n_refit`` clones of the candidate, refitted on bootstrap resamples."""
    from sklearn.base import clone

    u = unwrap(pipeline)

    def refit(k: int) -> dict[str, float]:
        rng = np.random.default_rng(seed + k)
        rows = rng.integers(0, len(X_train), size=min(len(X_train), refit_rows))
        model = clone(u.candidate)
        params = model.get_params()
        if "random_state" in params:
            model.set_params(random_state=seed + k)
        model.fit(X_train[rows], np.asarray(y_train)[rows])
        return global_importance((u.features, model), notices)

    # In threads of their own: each fit holds LightGBM's lock (``triage.models.gbm.
    # LIGHTGBM_CALLS``: calls side by side with different thread counts crash it), so the
    # fits take turns, and one refit's importances (compiled TreeSHAP, outside the lock)
    # are computed while the next one fits: 0.5 s less in a timed 1M run.
    with ThreadPoolExecutor(max(1, n_refit), thread_name_prefix="refit") as pool:
        return list(pool.map(refit, range(1, n_refit + 1)))


# ---------------------------------------------------------------- the check


@dataclass(frozen=True)
class TruthCheck:
    """Spearman of importance vs true effect, and top-5 stability across seeds."""

    spearman: float
    top5_overlap: float
    fields: tuple[str, ...]
    importance: dict[str, float]
    effects: dict[str, float]
    top5: list[list[str]] = field(default_factory=list)
    margin_spearman: float | None = None

    def metrics(self) -> dict[str, float]:
        out = {"truth.spearman": self.spearman, "truth.top5_overlap": self.top5_overlap}
        if self.margin_spearman is not None:
            out["truth.margin_spearman"] = self.margin_spearman
        return {k: v for k, v in out.items() if v is not None and np.isfinite(v)}

    def data(self) -> dict[str, Any]:
        imp_rank = {
            f: r for r, f in enumerate(sorted(self.fields, key=lambda f: -self.importance[f]))
        }
        true_rank = {
            f: r for r, f in enumerate(sorted(self.fields, key=lambda f: -self.effects[f]))
        }
        rows: list[dict[str, Any]] = [
            {
                "feature": f,
                "label_en": field_label(f, "en"),
                "label_ja": field_label(f, "ja"),
                "importance": self.importance[f],
                "true_effect": self.effects[f],
                "importance_rank": imp_rank[f] + 1,
                "true_rank": true_rank[f] + 1,
            }
            for f in sorted(self.fields, key=lambda f: imp_rank[f])
        ]
        return {
            **self.metrics(),
            "n_fields": len(self.fields),
            "top5_per_seed": self.top5,
            "fields": rows,
            "largest_rank_gaps": sorted(
                rows, key=lambda r: -abs(r["importance_rank"] - r["true_rank"])
            )[:5],
        }


def truth_check(
    importance: dict[str, float],
    effects: TrueEffects | dict[str, float],
    *,
    other_importances: Sequence[dict[str, float]] = (),
    margin_spearman: float | None = None,
) -> TruthCheck:
    """Spearman(model importance, true effect) over fields in both; top-5 overlap across models.

    ``importance``: the registered model's mean |contribution| per field;
    ``other_importances``: the same for refits with other seeds
    (``refit_importances``). With no refits the overlap is NaN.
    """
    eff = effects.effects if isinstance(effects, TrueEffects) else dict(effects)
    fields = tuple(f for f in importance if f in eff)
    if len(fields) < 3:
        raise ValueError(ERRORS["few_fields"])
    rho = spearmanr([importance[f] for f in fields], [eff[f] for f in fields]).statistic
    tops = [_top(importance)] + [_top(o) for o in other_importances]
    overlap = len(set.intersection(*map(set, tops))) / TOP_K if len(tops) > 1 else float("nan")
    return TruthCheck(
        spearman=float(rho),
        top5_overlap=float(overlap),
        fields=fields,
        importance={f: importance[f] for f in fields},
        effects={f: eff[f] for f in fields},
        top5=tops,
        margin_spearman=margin_spearman,
    )
