"""Audit of a 200,000-notice run: 1,000 bootstrap resamples over six sensitive features.

Prints the wall time of the full audit (layer 1 from counts, paired bootstrap
of every group's confusion counts, disparities and flags; no MetricFrame
cross-check at this size) and its ratio to a plain pandas groupby of the same
confusion counts, measured in the same run. Goal: under 60 s.

    .venv/bin/python benchmarks/bench_audit.py [--n 200000] [--n-boot 1000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from triage.audit import AuditConfig, audit
from triage.features import SENSITIVE_FIELDS
from triage.synth import generate, load_spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--n-boot", type=int, default=1000)
    args = parser.parse_args()
    data = generate(load_spec(), n=args.n, seed=0)
    frame = pd.concat([data.notices, data.truth.drop(columns="notice_id")], axis=1)
    frame["score"] = frame["p_harm"]

    t0 = time.perf_counter()
    flagged = (frame["score"] >= 0.15).astype(int)
    for col in SENSITIVE_FIELDS:
        frame.groupby(
            [frame[col], frame["recorded_harm_90d"], flagged], dropna=False, observed=True
        ).size()
    groupby = time.perf_counter() - t0

    cfg = AuditConfig(n_boot=args.n_boot)
    t0 = time.perf_counter()
    result = audit(
        frame, label="recorded_harm_90d", score="score", threshold=0.15, config=cfg, verify=False
    )
    wall = time.perf_counter() - t0
    n_groups = len(result.groups)
    print(
        f"audit of {args.n:,} notices, {len(SENSITIVE_FIELDS)} sensitive features ({n_groups} groups), "
        f"{args.n_boot:,} resamples: {wall:.1f} s wall "
        f"({wall / groupby:,.0f}x a pandas groupby of the same counts, {groupby:.3f} s); "
        f"goal < 60 s: {'met' if wall < 60 else 'MISSED'}; flags: {int(result.disparities['flag'].sum())}"
    )
    assert np.isfinite(result.disparities["ratio_low"].dropna()).all()


if __name__ == "__main__":
    main()
