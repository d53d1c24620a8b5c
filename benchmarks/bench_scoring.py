"""`triage score` on 10,000 notices, end to end, the command's start-up included.

Run: .venv/bin/python benchmarks/bench_scoring.py [--n 10000]
Trains the small CI experiment into a temporary MLflow store, promotes it,
writes n synthetic notices as JSON Lines, then times the whole `triage score`
command (a new process each time: start-up, model load, validation, rules,
model, JSON out) with --no-explain, first with an empty model cache, then
warm; then warm with explanations (factors and ask_next), for comparison. The baseline,
measured in the same run, is a new Python process that only parses the same
file with `json.loads`. Goal: under 5 s for 10,000 notices.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def timed(
    args: list[str], env: dict[str, str], cwd: Path
) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True)
    return time.perf_counter() - t0, proc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
        env["MLFLOW_TRACKING_URI"] = f"sqlite:///{work / 'mlflow.db'}"
        env["TRIAGE_CACHE_DIR"] = str(work / "cache")
        for cmd in (
            [str(BIN / "triage"), "run", str(REPO / "configs" / "ci.yaml"), "--quiet"],
            [
                str(BIN / "triage"),
                "promote",
                "1",
                "--model",
                "intake-urgency-ci",
                "--reason",
                "benchmark",
            ],
            [
                str(BIN / "triage"),
                "synth",
                "--n",
                str(args.n),
                "--seed",
                "11",
                "--out",
                str(work / "d"),
                "--format",
                "jsonl",
            ],
        ):
            proc = subprocess.run(cmd, env=env, cwd=work, capture_output=True, text=True)
            if proc.returncode != 0:
                sys.exit(proc.stderr)
        notices = work / "d" / "notices.jsonl"
        score = [
            str(BIN / "triage"),
            "score",
            str(notices),
            "--as-of",
            "2024-04-01T09:00:00+09:00",
            "--model",
            "models:/intake-urgency-ci@champion",
        ]
        explained = [*score, "--explain"]
        score = [*score, "--no-explain"]
        base, _ = timed(
            [sys.executable, "-c", f"import json; [json.loads(l) for l in open({str(notices)!r})]"],
            env,
            work,
        )
        cold, proc = timed(score, env, work)
        if proc.returncode != 0:
            sys.exit(proc.stderr)
        warm = min(timed(score, env, work)[0] for _ in range(3))
        with_factors = min(timed(explained, env, work)[0] for _ in range(2))
        lines = len(proc.stdout.splitlines())
    print(f"notices scored: {lines:,}")
    print(f"baseline: new Python process parsing the file: {base:6.2f} s")
    print(
        f"triage score, empty model cache:               {cold:6.2f} s  ratio {cold / base:5.1f}x baseline"
    )
    print(
        f"triage score, warm cache (best of 3):          {warm:6.2f} s  ratio {warm / base:5.1f}x baseline"
    )
    print(
        f"with factors and ask_next (--explain, best of 2): {with_factors:6.2f} s  ratio {with_factors / base:5.1f}x baseline"
    )
    met = warm * 10_000 / max(lines, 1) < 5
    print(
        f"goal (rules + model): 10,000 notices under 5 s end to end -> {'met' if met else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
