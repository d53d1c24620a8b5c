"""Release and synthesize 200,000 records at ε = 1: each step, and the whole against its goal.

Run: .venv/bin/python benchmarks/bench_aggregates.py [--n 200000] [--epsilon 1] [--method dp]
Prints each step's seconds and its ratio to the baseline measured in the same
run (simulating the same records with ``triage synth``'s generator), and the
total of release + synthesize against the issue's goal: under 5 minutes on 2
cores. Everything is written into a temporary folder.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from triage.aggregates.attributes import to_notices, to_records
from triage.aggregates.fit import fit_model, sample_records
from triage.aggregates.release import build_release
from triage.aggregates.release_folder import read_release, write_release
from triage.aggregates.spec import load_release_spec
from triage.contract.columns import RECORDED_HARM, RECORDED_TIER
from triage.synth import generate, load_spec

GOAL_SECONDS = 300.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--method", choices=("dp", "sdc"), default="dp")
    parser.add_argument("--epsilon", type=float, default=1.0)
    parser.add_argument("--delta", type=float, default=1e-6)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()

    t0 = time.perf_counter()
    sim = generate(load_spec(), n=args.n, seed=11)
    baseline = time.perf_counter() - t0
    steps: list[tuple[str, float]] = []

    def step(name: str, fn):
        t = time.perf_counter()
        out = fn()
        steps.append((name, time.perf_counter() - t))
        print(
            f"{name:<34} {steps[-1][1]:8.1f} s  {steps[-1][1] / baseline:7.1f}x baseline",
            flush=True,
        )
        return out

    print(f"records: {args.n:,}; method {args.method}")
    print(f"{'baseline: simulate the records':<34} {baseline:8.1f} s")
    spec = load_release_spec()
    outcomes = sim.truth[["notice_id", RECORDED_HARM, RECORDED_TIER]]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "release"
        records, domain = step(
            "discretise (agency)", lambda: to_records(sim.notices, outcomes, spec)
        )
        attrs = spec.table_attributes(domain)
        built = step(
            f"tabulate + protect ({args.method})",
            lambda: build_release(
                records,
                domain,
                attrs,
                method=args.method,
                k=args.k,
                epsilon=args.epsilon,
                delta=args.delta,
            ),  # fmt: skip
        )
        step(
            "write the release folder",
            lambda: write_release(
                folder,
                tables=built.tables,
                domain=built.domain,
                method=args.method,
                parameters=built.parameters,
                budget=built.budget,
                spec=spec.model_dump(mode="json"),
                spec_digest=spec.digest,
                records=len(records),
            ),  # fmt: skip
        )
        release = step("read + verify the release", lambda: read_release(folder))
        stddev = (release.manifest.get("budget") or {}).get("noise_stddev")
        model = step(
            "fit the graphical model (PGM)",
            lambda: fit_model(release.tables, release.domain, noise_stddev=stddev),
        )
        sampled = step("sample records", lambda: sample_records(model, n=args.n, seed=0))
        step("records → notices", lambda: to_notices(sampled, release.domain, seed=0))
    total = sum(s for _, s in steps)
    print(
        f"{'release + synthesize, total':<34} {total:8.1f} s  {total / baseline:7.1f}x baseline; "
        f"goal under {GOAL_SECONDS:.0f} s: {'met' if total < GOAL_SECONDS else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
