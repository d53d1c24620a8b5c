"""Explaining one notice in-process, beside a bare one-row predict measured in the same run.

Run: .venv/bin/python benchmarks/bench_explain.py [--n 100000] [--reps 2000]
Trains the LightGBM candidate with the default config's parameters
(configs/intake_urgency.yaml) on n synthetic notices, calibrates it on the
next 30 % and wraps it as ``training.scoring_pipeline`` registers it. Then
times, one notice at a time over varied notices:

- ``explain(pipeline, notice_dict)``: the fast path (no pandas);
- ``explain(pipeline, one_row_frame)``: what the scoring path holds;
- ``explain(...).data(0)``: the same plus the plain dicts with labels;
- baselines: ``booster.predict`` of one numpy row (the model's own time) and
  ``pipeline.predict_proba`` of a one-row frame.

Goal (issue 5): explaining one notice ≤ 5 ms at p99. Also prints the batch
time for 10,000 notices (TreeSHAP's own cost dominates it).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import yaml
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline

from triage.explain import explain
from triage.explain._rows import first_notice
from triage.features import NoticeFeatures
from triage.models import MonotoneLGBM
from triage.synth.generate import generate
from triage.synth.spec import load_spec

REPO = Path(__file__).resolve().parents[1]


def latencies(fn, items, reps: int) -> np.ndarray:
    for item in items[:50]:  # warm up
        fn(item)
    out = np.empty(reps)
    for r in range(reps):
        item = items[r % len(items)]
        t0 = time.perf_counter()
        fn(item)
        out[r] = time.perf_counter() - t0
    return out * 1e3  # ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=2000)
    args = parser.parse_args()

    cfg = yaml.safe_load((REPO / "configs" / "intake_urgency.yaml").read_text("utf-8"))
    params = cfg["candidates"]["lightgbm"]["params"]
    n_cal = int(args.n * 0.3)
    result = generate(load_spec(), n=args.n + n_cal + 10_000, seed=7)
    notices, y = result.notices, result.truth["harm_90d"].to_numpy().astype(np.int64)
    features = NoticeFeatures().fit(notices)
    X = features.transform(notices)
    train, cal = slice(0, args.n), slice(args.n, args.n + n_cal)
    names = list(features.get_feature_names_out())
    t0 = time.perf_counter()
    model = MonotoneLGBM(feature_names=names, **params).fit(X[train], y[train])
    fit_s = time.perf_counter() - t0
    calibrated = CalibratedClassifierCV(FrozenEstimator(model), method="isotonic")
    calibrated.fit(X[cal], y[cal])
    pipeline = Pipeline([("features", features), ("model", calibrated)])
    test = notices.iloc[args.n + n_cal :].reset_index(drop=True)

    k = 500
    frames = [test.iloc[[i]] for i in range(k)]
    dicts = [first_notice(f) for f in frames]
    rows = [np.ascontiguousarray(X[args.n + n_cal + i : args.n + n_cal + i + 1]) for i in range(k)]
    booster = model.booster_

    runs = {
        "bare booster.predict, one numpy row": latencies(booster.predict, rows, args.reps),
        "pipeline.predict_proba, one-row frame": latencies(
            pipeline.predict_proba, frames, args.reps // 4
        ),
        "explain, one notice dict": latencies(lambda d: explain(pipeline, d), dicts, args.reps),
        "explain, one-row frame": latencies(lambda f: explain(pipeline, f), frames, args.reps),
        "explain + .data(), one-row frame": latencies(
            lambda f: explain(pipeline, f).data(0), frames, args.reps
        ),
    }
    t0 = time.perf_counter()
    e = explain(pipeline, test)
    batch_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    e.data()
    data_s = time.perf_counter() - t0
    err = float(np.abs(e.base + e.contributions.sum(axis=1) - e.margin).max())

    print(
        f"LightGBM {params} on {args.n:,} notices ({booster.num_trees()} trees, fit {fit_s:.1f} s)"
    )
    print(f"{'one notice':40s} {'p50 ms':>8s} {'p99 ms':>8s}")
    for name, ms in runs.items():
        print(f"{name:40s} {np.percentile(ms, 50):8.3f} {np.percentile(ms, 99):8.3f}")
    bare = np.percentile(runs["bare booster.predict, one numpy row"], 99)
    for name in ("explain, one notice dict", "explain, one-row frame"):
        p99 = np.percentile(runs[name], 99)
        verdict = "ok" if p99 <= 5.0 else "OVER the 5 ms goal"
        print(f"p99 {name}: {p99:.2f} ms = {p99 / bare:.1f}x bare predict ({verdict})")
    print(
        f"batch: explain {len(test):,} notices {batch_s:.2f} s, .data() {data_s:.2f} s; "
        f"max |base + sum - margin| = {err:.1e}"
    )


if __name__ == "__main__":
    main()
