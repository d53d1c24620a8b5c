"""The new-notice page's live update: one `POST /api/score` of the facts entered so far.

Run: .venv/bin/python benchmarks/bench_live_score.py [--n 1000]
Trains the small CI experiment into a temporary MLflow store, promotes it,
adds a login, starts `triage serve` in a subprocess (uvicorn on 127.0.0.1,
``live_server.py``), logs in with one keep-alive httpx client and sends n
`POST /api/score` of one notice as it stands mid-call: the required facts
(an infant with a head injury, reported by a hospital) and a few more,
every other fact unknown. Explanations on, as the page asks for them (its
"ask next" list comes from them). The baseline, measured in the same run
and process as the client, is the scorer the server uses (loaded the way
the server loads it) called directly on the same notice: ``Scorer.score``
alone, and validation + ``Scorer.score`` (the work the route does). All
paths are timed in interleaved rounds so each sees the same load on a shared
machine. Goal: API p99 under 30 ms; PASS/FAIL is printed, the exit code is 0
either way.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np

import live_server  # benchmarks/live_server.py: the script's folder is on sys.path

AS_OF = "2024-04-01T09:00:00+09:00"
GOAL_P99_MS = 30.0
USER = "bench"
PARTIAL_NOTICE = {
    "notice_id": "LIVE-1",
    "received_at": "2024-04-01T08:40:00+09:00",
    "route": "medical",
    "notice_kind": "general",
    "alleged_types": ["physical"],
    "child_age_years": 0,
    "child_sex": "male",
    "injury": "serious",
    "household_type": "two_parent",
    # The few facts a worker has asked by now; the rest are still unknown.
    "injury_head_face": True,
    "prior_notices": 0,
    "missed_health_checks": None,
}


def _percentiles(seconds: list[float]) -> tuple[float, float, float]:
    p50, p95, p99 = np.percentile(np.asarray(seconds) * 1000, [50, 95, 99])
    return float(p50), float(p95), float(p99)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000, help="requests to the server")
    parser.add_argument(
        "--baseline-n", type=int, default=250, help="in-process calls per baseline path"
    )
    args = parser.parse_args()
    import httpx

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = live_server.isolated_env(work)
        store = live_server.prepare(work, env, [USER])
        os.environ.update({k: env[k] for k in ("MLFLOW_TRACKING_URI", "TRIAGE_CACHE_DIR")})
        from triage.notices import validate_notices
        from triage.scoring.lines import score_line
        from triage.web.state import WebSettings, _load_scorer

        # The server's scorer, loaded as the server loads it (same model, same rules).
        model = f"models:/{live_server.model_name()}@champion"
        scorer, problem = _load_scorer(WebSettings(model=model, routing_model=None))
        if scorer is None:
            raise SystemExit(problem)
        record = validate_notices([PARTIAL_NOTICE]).records[0]
        port = live_server.free_port()
        server = live_server.start(work, env, store, port)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                r = client.post(
                    "/api/login", json={"username": USER, "password": live_server.PASSWORD}
                )
                r.raise_for_status()
                client.headers["X-CSRF-Token"] = r.json()["csrf_token"]

                def post() -> str:
                    resp = client.post("/api/score", json=PARTIAL_NOTICE, params={"as_of": AS_OF})
                    assert resp.status_code == 200, resp.text
                    return resp.text

                api_line = post()
                same = score_line(scorer.score(record, as_of=AS_OF)[0]) == api_line
                runs = {
                    "in-process Scorer.score": lambda: scorer.score(record, as_of=AS_OF),
                    "in-process validate + Scorer.score": lambda: scorer.score(
                        validate_notices([PARTIAL_NOTICE]).records[0], as_of=AS_OF
                    ),
                    "POST /api/score over loopback": post,
                }
                counts = {name: args.baseline_n for name in runs} | {
                    "POST /api/score over loopback": args.n
                }
                timings: dict[str, list[float]] = {name: [] for name in runs}
                rounds = 10
                for _ in range(rounds):
                    for name, fn in runs.items():
                        timings[name] += live_server.time_calls(fn, max(1, counts[name] // rounds), warmup=5)
        finally:
            server.terminate()
            server.wait(timeout=30)

    base = _percentiles(timings["in-process Scorer.score"])
    print(
        f"one partial notice ({len(PARTIAL_NOTICE)} of its fields known), same model and "
        f"as_of ({os.cpu_count()} cores; load average now "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        + ")"
    )
    head = f"{'':38s} {'n':>5s} {'p50 ms':>7s} {'p95 ms':>7s} {'p99 ms':>7s}"
    print(head + "  ratio to in-process p50/p95/p99")
    for name, seconds in timings.items():
        p = _percentiles(seconds)
        ratios = " / ".join(f"{x / b:4.2f}x" for x, b in zip(p, base, strict=True))
        print(f"{name:38s} {len(seconds):5d} {p[0]:7.2f} {p[1]:7.2f} {p[2]:7.2f}  {ratios}")
    print(f"API answer identical to the in-process score line: {'yes' if same else 'NO'}")
    p99 = _percentiles(timings["POST /api/score over loopback"])[2]
    verdict = "PASS" if p99 < GOAL_P99_MS else "FAIL"
    print(f"goal: POST /api/score p99 under {GOAL_P99_MS:.0f} ms: {verdict} ({p99:.1f} ms)")


if __name__ == "__main__":
    main()
