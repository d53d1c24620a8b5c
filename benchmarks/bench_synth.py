"""Generator throughput at 1M notices, as a ratio to plain numpy drawing as many uniforms.

Run: .venv/bin/python benchmarks/bench_synth.py [--n 1000000]
Prints rows per second for generation alone and with writing Parquet, and the
ratio of each to the baseline measured in the same run (the issue's goal:
1M notices in under 10 s on 2 cores).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from triage.synth import generate, load_spec
from triage.synth.generate import draws_per_notice
from triage.synth.output import write_dataset


def best_of(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    spec = load_spec()
    k = draws_per_notice(spec)
    n = args.n

    baseline = best_of(args.repeats, lambda: np.random.default_rng(0).random(n * k))
    gen = best_of(args.repeats, lambda: generate(spec, n=n, seed=0))
    with tempfile.TemporaryDirectory() as tmp:

        def gen_and_write() -> None:
            result = generate(spec, n=n, seed=0)
            write_dataset(
                result, Path(tmp), spec=spec, seed=0, fiscal_year=spec.calibration.fiscal_year
            )

        full = best_of(args.repeats, gen_and_write)

    print(f"notices: {n:,}; random numbers per notice: {k}")
    print(f"baseline  numpy uniforms ({n * k:,}): {baseline:7.3f} s")
    print(
        f"generate (in memory):            {gen:7.3f} s  {n / gen:12,.0f} rows/s  ratio {gen / baseline:6.1f}x baseline"
    )
    print(
        f"generate + write Parquet:        {full:7.3f} s  {n / full:12,.0f} rows/s  ratio {full / baseline:6.1f}x baseline"
    )
    print(f"goal: 1M notices under 10 s -> {'met' if full * 1_000_000 / n < 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
