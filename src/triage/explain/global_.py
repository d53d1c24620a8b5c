"""Global explanations of a run: importance ranking, beeswarm and dependence plots, their data.

``global_explanation(pipeline, notices)`` explains a sample of at most
``GLOBAL_SAMPLE`` notices with the exact local explanations
(``triage.explain.explain``) and keeps them; ``.data()`` is a plain dict of
*aggregates only* (the figures' numbers: mean |contribution| per field, and
per field and value the count and quantiles of contributions; cells of fewer
than ``MIN_CELL`` notices give only their count), never row-level records.
``.figures()`` draws, headless (matplotlib ``Figure`` on the Agg canvas, no
pyplot state):

- ``importance``: mean |contribution| per contract field (log-odds), all fields;
- ``beeswarm``: each notice's contribution for the top fields, coloured by the
  field's value (yes / higher = red, no / lower = blue, unknown = grey;
  categories by colour, named in the dependence plots);
- ``dependence``: contribution against the field's value for the top fields;
- ``truth_check`` (with true effects): model importance against the
  generator's true effect size (``triage.experiment.truth_check``).

Figure text is English: the machine has no Japanese font; ``.data()`` gives
both labels.

``log_global_explanations`` logs them to the active MLflow run;
``global_step`` is the pipeline's step: global explanations plus the truth
check (``truth.spearman``, ``truth.top5_overlap``), computed
(``compute_global_step``), then logged (``log_global_step``).
"""

from __future__ import annotations

import io
import tempfile
from concurrent.futures import Future
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from triage.contract.columns import P_HARM
from triage.experiment.background import after, in_background
from triage.experiment.truth_check import (
    REFIT_ROWS,
    TRUTH_N,
    TrueEffects,
    TruthCheck,
    refit_importances,
    true_effects,
    truth_check,
)
from triage.explain.local import explain, unwrap
from triage.labels import field_label, value_label

GLOBAL_SAMPLE = 5_000
"""Notices explained for the global view (TreeSHAP costs about 0.5 ms a notice)."""

REFIT_SAMPLE = 500
"""Notices explained for each refit of the stability check (a top-5 needs fewer). On the
default config 1,000, 500 and 250 gave the same top-5 overlap (0.8); each 500 saves a
refit about 0.3 s of TreeSHAP. (Fewer training rows per refit would not be free: at 20,000
rows instead of ``REFIT_ROWS`` the overlap fell to 0.6.)"""

TOP_PLOTS = 6
"""Fields in the beeswarm and dependence plots."""

MIN_CELL = 10
"""A value seen in fewer sampled notices reports only its count."""

UNITS = "log-odds of harm before calibration (the model's margin)"

ERRORS = {
    "empty": "global explanations need at least one notice.",
    "aligned": "notices_test and truth_test are not aligned row for row (notice_id differs).",
}


def sample_positions(n: int, *, size: int = GLOBAL_SAMPLE, seed: int = 0) -> np.ndarray:
    """Sorted row positions of a uniform sample without replacement (all rows when n <= size)."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def _group_key(field_name: str, value: Any) -> Any:
    if isinstance(value, list):  # alleged_types: by main (first) type
        return value[0] if value else None
    return value


def _key_label(field_name: str, key: Any, lang: str) -> str:
    if field_name == "alleged_types" and key is not None:
        return value_label(field_name, [key], lang)
    return value_label(field_name, key, lang)


def _sort_keys(keys) -> list:
    def order(k):
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
        keys = [_group_key(field_name, v) for v in self.values[field_name]]
        groups: dict[Any, list[int]] = {}
        for i, k in enumerate(keys):
            groups.setdefault(k, []).append(i)
        rows = []
        for k in _sort_keys(groups):
            idx = groups[k]
            row = {
                "value": k,
                "label_en": _key_label(field_name, k, "en"),
                "label_ja": _key_label(field_name, k, "ja"),
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

    def figures(self, *, top: int = TOP_PLOTS, truth: TruthCheck | None = None) -> dict[str, Any]:
        out = {
            "importance": _importance_figure(self.importance),
            "beeswarm": _beeswarm_figure(self, self.top(top)),
            "dependence": _dependence_figure(self, self.top(top)),
        }
        if truth is not None:
            out["truth_check"] = _truth_figure(truth)
        return out


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


def render_figures(g: GlobalExplanation, check: TruthCheck | None) -> dict[str, bytes]:
    """The global figures as PNG bytes (what ``mlflow.log_figure`` would write).

    The figures are plain ``Figure`` objects on the Agg canvas, never pyplot's, so a
    background thread can draw them beside the main thread's figures (matplotlib keys
    its cache of font objects, which are not thread-safe, by thread).
    """
    return {name: _png(fig) for name, fig in g.figures(truth=check).items()}


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _log(
    g: GlobalExplanation,
    check: TruthCheck | None,
    effects,
    artifact_dir: str,
    pngs: dict[str, bytes] | None = None,
) -> dict:
    import mlflow

    data = g.data()
    if check is not None:
        data["truth"] = {**check.data(), "true_effects": _effects_data(effects)}
    with tempfile.TemporaryDirectory() as tmp:
        for name, png in (pngs or render_figures(g, check)).items():
            (Path(tmp) / f"{name}.png").write_bytes(png)
        mlflow.log_artifacts(tmp, artifact_dir)
    mlflow.log_dict(data, f"{artifact_dir}/global.json")
    if check is not None:
        mlflow.log_metrics(check.metrics())
    return data


def _effects_data(effects) -> dict:
    return effects.data() if isinstance(effects, TrueEffects) else {"effects": dict(effects)}


def log_global_explanations(
    pipeline: Any,
    notices_test: pd.DataFrame,
    *,
    truth_effects: TrueEffects | dict[str, float] | None = None,
    artifact_dir: str = "explanations",
    sample: int = GLOBAL_SAMPLE,
    seed: int = 0,
) -> dict[str, Any]:
    """Log the global figures and their JSON to the ACTIVE MLflow run; return the JSON's dict.

    With ``truth_effects`` (``triage.experiment.truth_check.true_effects``) the truth
    check's Spearman is logged too (``truth.spearman``; the top-5 overlap needs
    refits: ``global_step``).
    """
    g = global_explanation(pipeline, notices_test, sample=sample, seed=seed)
    check = truth_check(g.importance, truth_effects) if truth_effects is not None else None
    return _log(g, check, truth_effects, artifact_dir)


@dataclass(frozen=True)
class GlobalStep:
    """What the explanation step computed, before anything is logged."""

    explanation: GlobalExplanation
    check: TruthCheck | None
    effects: TrueEffects | None
    pngs: dict[str, bytes] = field(default_factory=dict)  # the figures, drawn


def compute_global_step(
    pipeline: Any,
    notices_test: pd.DataFrame,
    truth_test: pd.DataFrame | None,
    *,
    spec: Any,
    seed: int,
    X_train: np.ndarray | None = None,
    y_train: np.ndarray | None = None,
    truth_n: int = TRUTH_N,
    refit_rows: int = REFIT_ROWS,
    sample: int = GLOBAL_SAMPLE,
    refits: Future | None = None,
) -> GlobalStep:
    """The global explanations and, when the data are synthetic (``spec`` given), the
    truth check; logs nothing (``log_global_step`` does).

    The truth check holds ``truth.spearman`` (model importance against the
    generator's true effects), ``truth.top5_overlap`` (the model and two
    refits on bootstrap resamples of ``X_train``/``y_train``, other seeds;
    NaN and not logged without them) and ``truth.margin_spearman`` (model
    margin against the true logit on the sampled test notices). With
    ``spec=None`` (real data) there is no truth check. ``refits`` (from
    ``start_refits``) replaces ``X_train``/``y_train``: refits already under way.
    """
    aligned = (
        truth_test is None
        or "notice_id" not in truth_test
        or "notice_id" not in notices_test
        or np.array_equal(
            truth_test["notice_id"].to_numpy(object), notices_test["notice_id"].to_numpy(object)
        )
    )
    if not aligned:
        raise ValueError(ERRORS["aligned"])
    if spec is not None and refits is None and X_train is not None and y_train is not None:
        refits = start_refits(  # they train while the model's own notices are explained
            pipeline, notices_test, X_train, y_train,
            seed=seed, sample=sample, refit_rows=refit_rows,
        )  # fmt: skip
    g = global_explanation(pipeline, notices_test, sample=sample, seed=seed)
    pngs = render_figures(g, None)  # drawn while the refits train
    if spec is None:
        return GlobalStep(g, None, None, pngs)
    from scipy.special import logit
    from scipy.stats import spearmanr

    sensitive = bool(unwrap(pipeline).features.include_sensitive)
    effects = true_effects(spec, seed=seed, n=truth_n, include_sensitive=sensitive)
    others = refits.result() if refits is not None else []
    margin_rho = None
    if truth_test is not None and P_HARM in truth_test:
        true_logit = logit(truth_test[P_HARM].to_numpy(np.float64)[g.positions])
        margin_rho = float(spearmanr(g.margin, true_logit).statistic)
    check = truth_check(g.importance, effects, other_importances=others, margin_spearman=margin_rho)
    pngs["truth_check"] = _png(_truth_figure(check))
    return GlobalStep(g, check, effects, pngs)


def start_refits(
    pipeline: Any,
    notices_test: pd.DataFrame,
    X_train: np.ndarray,
    y_train: np.ndarray,
    *,
    seed: int,
    sample: int = GLOBAL_SAMPLE,
    refit_rows: int = REFIT_ROWS,
) -> Future:
    """The truth check's refits (``compute_global_step``), started in a background thread.

    They need only the training window and the chosen candidate, so a pipeline
    can train them while it logs the run: its logging is single-threaded
    Python, and the refits are LightGBM on one thread each.
    """
    positions = sample_positions(len(notices_test), size=sample, seed=seed)
    refit_notices = notices_test.iloc[positions[:REFIT_SAMPLE]]
    return in_background(
        "truth-refits", refit_importances, pipeline, refit_notices, X_train, y_train,
        seed=seed, refit_rows=refit_rows,
    )  # fmt: skip


def start_global_step(*args: Any, after_work: Future | None = None, **kwargs: Any) -> Future:
    """``compute_global_step`` in a background thread; its ``Future`` (a ``GlobalStep``).

    A pipeline starts it once its test predictions are made (LightGBM's own
    threads are done by then) and logs the result after its run is logged.
    With ``after_work`` it starts when that is done: the pipeline's bootstrap,
    which its logging waits for (at 1M notices the bootstrap took 8.3 s beside the
    explanations, 3.7-4.5 s before them; the whole run took as long either way).
    """
    if after_work is not None:
        return after(after_work, "explanations", compute_global_step, *args, **kwargs)
    return in_background("explanations", compute_global_step, *args, **kwargs)


def log_global_step(
    step: GlobalStep, *, run_id: str | None = None, artifact_dir: str = "explanations"
) -> dict[str, Any]:
    """Log figures, their JSON and the truth-check metrics to the active run (or ``run_id``)."""
    import mlflow

    with mlflow.start_run(run_id=run_id) if run_id else nullcontext():
        return _log(step.explanation, step.check, step.effects, artifact_dir, step.pngs)


def global_step(
    pipeline: Any,
    notices_test: pd.DataFrame,
    truth_test: pd.DataFrame | None,
    *,
    run_id: str | None = None,
    artifact_dir: str = "explanations",
    **kwargs: Any,
) -> dict[str, Any]:
    """``compute_global_step`` then ``log_global_step``, in the active run (or ``run_id``)."""
    step = compute_global_step(pipeline, notices_test, truth_test, **kwargs)
    return log_global_step(step, run_id=run_id, artifact_dir=artifact_dir)


# ---------------------------------------------------------------- figures (Agg, no pyplot state)


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _importance_figure(importance: dict[str, float]):
    fields = list(importance)[::-1]
    fig = _figure(7.5, 0.28 * len(fields) + 1.2)
    ax = fig.add_subplot()
    ax.barh(
        [field_label(f, "en") for f in fields], [importance[f] for f in fields], color="#4c72b0"
    )
    ax.set_xlabel("mean |contribution| (log-odds, before calibration)")
    ax.set_title("Global importance: mean absolute contribution per notice field")
    ax.tick_params(axis="y", labelsize=8)
    return fig


def _colour_values(field_name: str, values: list[Any]) -> tuple[np.ndarray, bool]:
    """A number per notice for colouring (NaN = unknown) and whether it is categorical."""
    keys = [_group_key(field_name, v) for v in values]
    known = [k for k in keys if k is not None]
    if all(isinstance(k, bool | int | float) for k in known):
        x = np.array([np.nan if k is None else float(k) for k in keys])
        if np.isfinite(x).any():
            lo, hi = np.nanpercentile(x, [5, 95])
            x = np.clip((x - lo) / (hi - lo), 0, 1) if hi > lo else np.where(np.isnan(x), x, 0.5)
        return x, False
    cats = _sort_keys(set(known))
    return np.array([np.nan if k is None else float(cats.index(k)) for k in keys]), True


def _beeswarm_figure(g: GlobalExplanation, top: list[str]):
    import matplotlib as mpl

    fig = _figure(8, 0.7 * len(top) + 1.5)
    ax = fig.add_subplot()
    rng = np.random.default_rng(0)
    cmap, cat_cmap = mpl.colormaps["coolwarm"], mpl.colormaps["tab10"]
    for row, f in enumerate(top[::-1]):
        c = g.contributions[:, g.fields.index(f)]
        colour, categorical = _colour_values(f, g.values[f])
        counts, edges = np.histogram(c, bins=40)
        density = counts[np.clip(np.searchsorted(edges, c, side="right") - 1, 0, 39)]
        jitter = rng.uniform(-0.38, 0.38, len(c)) * density / max(counts.max(), 1)
        rgba = np.array([(0.6, 0.6, 0.6, 1.0)] * len(c))
        known = np.isfinite(colour)
        rgba[known] = cat_cmap(colour[known] % 10) if categorical else cmap(colour[known])
        ax.scatter(c, row + jitter, s=4, c=rgba, linewidths=0, rasterized=True)
    ax.set_yticks(range(len(top)), [field_label(f, "en") for f in top[::-1]], fontsize=8)
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel("contribution to the margin (log-odds)")
    ax.set_title(
        "Contributions of the top fields, one dot per notice\n"
        "red = yes / higher, blue = no / lower, grey = not known; categories: see dependence",
        fontsize=9,
    )
    return fig


def _dependence_figure(g: GlobalExplanation, top: list[str]):
    cols = 3
    rows = int(np.ceil(len(top) / cols))
    fig = _figure(4.0 * cols, 3.2 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    rng = np.random.default_rng(0)
    for ax, f in zip(axes, top, strict=False):
        c = g.contributions[:, g.fields.index(f)]
        keys = [_group_key(f, v) for v in g.values[f]]
        known = [k for k in keys if k is not None]
        numeric = bool(known) and all(
            isinstance(k, int | float) and not isinstance(k, bool) for k in known
        )
        if numeric and len(set(known)) > 8:
            unknown_x = max(known) + 2
            x = np.array([unknown_x if k is None else float(k) for k in keys])
            ax.scatter(x + rng.uniform(-0.2, 0.2, len(x)), c, s=4, alpha=0.4, linewidths=0)
            if any(k is None for k in keys):
                ax.annotate("not known", (unknown_x, 0), fontsize=7, ha="center")
        else:
            cats = _sort_keys(set(keys))
            x = np.array([cats.index(k) for k in keys], dtype=float)
            ax.scatter(x + rng.uniform(-0.25, 0.25, len(x)), c, s=4, alpha=0.3, linewidths=0)
            means = [c[x == j].mean() for j in range(len(cats))]
            ax.plot(range(len(cats)), means, "D", color="black", markersize=4)
            labels = [_key_label(f, k, "en") for k in cats]
            ax.set_xticks(range(len(cats)), labels, rotation=30, ha="right", fontsize=7)
        ax.axhline(0, color="black", linewidth=0.5)
        ax.set_title(field_label(f, "en"), fontsize=9)
        ax.set_ylabel("contribution (log-odds)", fontsize=8)
    for ax in axes[len(top) :]:
        ax.set_visible(False)
    return fig


def _truth_figure(check: TruthCheck):
    fig = _figure(7, 5.5)
    ax = fig.add_subplot()
    x = np.array([check.effects[f] for f in check.fields])
    y = np.array([check.importance[f] for f in check.fields])
    ax.scatter(x, y, color="#4c72b0")
    for f, xi, yi in zip(check.fields, x, y, strict=True):
        ax.annotate(
            field_label(f, "en"), (xi, yi), fontsize=6, xytext=(3, 2), textcoords="offset points"
        )
    ax.set_xlabel("true effect size in the generator (|ATE| x sd, log-odds)")
    ax.set_ylabel("model: mean |contribution| (log-odds)")
    ax.set_title(
        f"Truth check: Spearman {check.spearman:.2f}, top-5 overlap across seeds "
        f"{check.top5_overlap:.2f}",
        fontsize=10,
    )
    return fig
