"""Many workers against one real `triage serve`, then a flood of bogus logins.

Run: .venv/bin/python benchmarks/bench_load.py [--workers 50] [--seconds 120]
     [--baseline-seconds 20] [--flood 200]

Trains the small CI experiment into a temporary MLflow store, promotes it,
adds one login per simulated worker, starts `triage serve` in a subprocess
(uvicorn on 127.0.0.1, the store seeded with the synthetic sample). Each
worker logs in as itself and loops as a person at the intake page would:
the undecided queue, one notice of it (a different one per worker), that
notice scored again, and a decision accepting the suggestion with the
``shown_score_hash`` it was shown. The baseline, measured in the same run
against the same server, is the same loop with one worker.

Afterwards: every decision the server acknowledged must be in the store
exactly once and nothing else there (read-only), the chain must pass
`triage decisions verify`, and there must be no error at all.

Then the login floods: one logged-in worker polls the queue alone (its
quiet baseline), then while ``--flood`` logins with made-up names and wrong
passwords arrive at once, first all from one address, then each from its own
loopback address (as from many machines); the server's resident memory is
sampled from /proc every 50 ms. Goals: the worker's queue p99 under 1 s
during each flood, the server under 1 GiB.

The clients run in this process on the same cores as the server (asyncio,
one connection per worker), so latencies include some client time; the
load average is printed before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import live_server  # benchmarks/live_server.py: the script's folder is on sys.path

TIMEOUT = 60.0
LOGIN_TRIES = 30
MAX_LOGIN_WAIT = 2.0
GOAL_FLOOD_QUEUE_P99_S = 1.0
GOAL_RSS_GIB = 1.0
QUEUE, NOTICE, SCORE, DECIDE, LOGIN = (
    "GET /api/queue",
    "GET /api/notices/{id}",
    "POST /api/score",
    "POST /api/decisions",
    "POST /api/login",
)
ROUTES = (LOGIN, QUEUE, NOTICE, SCORE, DECIDE)


@dataclass
class Tally:
    """What the clients saw: answer times per route, errors by kind, acknowledged decisions."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    acked: list[int] = field(default_factory=list)
    refused_logins: Counter[str] = field(default_factory=Counter)

    def requests(self) -> int:
        return sum(len(v) for v in self.seconds.values())


async def _call(client, tally: Tally, route: str, expected: int, method: str, url: str, **kw):
    """One request, timed; the JSON answer, or None (counted as an error) if not ``expected``."""
    import httpx

    t0 = time.perf_counter()
    try:
        r = await client.request(method, url, **kw)
    except httpx.HTTPError as exc:
        tally.errors[f"{route}: {type(exc).__name__}"] += 1
        return None
    tally.seconds[route].append(time.perf_counter() - t0)
    if r.status_code != expected:
        tally.errors[f"{route}: {r.status_code} {r.text[:100]}"] += 1
        return None
    return r.json()


async def _logged_in(base: str, name: str, tally: Tally):
    """A client logged in as ``name``; a 429 is waited out (as a browser's user would) and
    counted in ``tally.refused_logins``: every worker here gives the right password."""
    import httpx

    client = httpx.AsyncClient(base_url=base, timeout=TIMEOUT)
    body = {"username": name, "password": live_server.PASSWORD}
    for _ in range(LOGIN_TRIES):
        t0 = time.perf_counter()
        r = await client.post("/api/login", json=body)
        tally.seconds[LOGIN].append(time.perf_counter() - t0)
        if r.status_code != 429:
            break
        tally.refused_logins[r.text[:100]] += 1
        await asyncio.sleep(min(float(r.headers.get("retry-after", 1)), MAX_LOGIN_WAIT))
    if r.status_code != 200:
        await client.aclose()
        sys.exit(f"{name} could not log in: {r.status_code} {r.text[:200]}")
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


async def _decide_one(client, tally: Tally, pick: int) -> None:
    """Queue -> notice -> score -> decision, as a worker at the page does."""
    queue = await _call(
        client, tally, QUEUE, 200, "GET", "/api/queue", params={"undecided": "true"}
    )
    if queue is None:
        return
    if not queue["queue"]:  # all decided: go on deciding (a second decision is allowed)
        queue = await _call(client, tally, QUEUE, 200, "GET", "/api/queue")
        if queue is None or not queue["queue"]:
            return
    entries = queue["queue"]
    notice_id = entries[pick % len(entries)]["notice_id"]
    shown = await _call(client, tally, NOTICE, 200, "GET", f"/api/notices/{notice_id}")
    if shown is None:
        return
    params = {"as_of": queue["as_of"]}
    if (
        await _call(
            client, tally, SCORE, 200, "POST", "/api/score", json=shown["notice"], params=params
        )
        is None
    ):
        return
    score = shown["score"]
    decision = {
        "notice_id": notice_id,
        "decided_tier": score["suggested_tier"],
        "decided_dv_route": score["dv_route"],
        "shown_score_hash": shown["score_hash"],
    }
    made = await _call(client, tally, DECIDE, 201, "POST", "/api/decisions", json=decision)
    if made is not None:
        tally.acked.append(made["decision_id"])


async def _work(client, index: int, n_workers: int, stop_at: float, tally: Tally) -> None:
    rounds = 0
    while time.monotonic() < stop_at:
        # Workers spread over the page (a different notice each), as a team would.
        await _decide_one(client, tally, index + rounds * n_workers)
        rounds += 1


async def _load(base: str, users: list[str], seconds: float) -> tuple[Tally, float]:
    tally = Tally()
    clients = await asyncio.gather(*(_logged_in(base, u, tally) for u in users))
    t0 = time.monotonic()
    stop_at = t0 + seconds
    await asyncio.gather(*(_work(c, i, len(users), stop_at, tally) for i, c in enumerate(clients)))
    wall = time.monotonic() - t0
    await asyncio.gather(*(c.aclose() for c in clients))
    return tally, wall


@dataclass
class Flood:
    """One burst of bogus logins while a logged-in worker polls the queue."""

    busy: Tally
    statuses: Counter[str]
    answered_in: float
    rss_before_kib: int
    rss_peak_kib: int


async def _poll(client, tally: Tally, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await _call(client, tally, QUEUE, 200, "GET", "/api/queue")


async def _sample_rss(pid: int, stop: asyncio.Event, peak: list[int]) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], live_server.memory_kib(pid)["VmRSS"])
        await asyncio.sleep(0.05)


async def _bogus_login(client, i: int) -> str:
    import httpx

    body = {"username": f"nobody-{i:03d}-{secrets.token_hex(3)}", "password": "wrong password!"}
    try:
        r = await client.post("/api/login", json=body)
    except httpx.HTTPError as exc:
        return type(exc).__name__
    return str(r.status_code)


def _flooders(base: str, n: int, spread: bool) -> list:
    """Clients for a burst: one for all (one address), or one per address in 127.0.0.0/8
    (every 127.x.y.z is this machine on Linux), as a botnet comes from many places."""
    import httpx

    if not spread:
        limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=0)
        return [httpx.AsyncClient(base_url=base, timeout=TIMEOUT, limits=limits)] * n
    return [
        httpx.AsyncClient(
            base_url=base,
            timeout=TIMEOUT,
            transport=httpx.AsyncHTTPTransport(local_address=f"127.0.{1 + i // 250}.{1 + i % 250}"),
        )
        for i in range(n)
    ]


async def _flood(client, base: str, n: int, pid: int, *, spread: bool) -> Flood:
    busy, stop, peak = Tally(), asyncio.Event(), [0]
    flooders = _flooders(base, n, spread)  # made before the clock starts
    rss_before = live_server.memory_kib(pid)["VmRSS"]
    tasks = [
        asyncio.create_task(_poll(client, busy, stop)),
        asyncio.create_task(_sample_rss(pid, stop, peak)),
    ]
    t0 = time.monotonic()
    statuses = Counter(await asyncio.gather(*(_bogus_login(c, i) for i, c in enumerate(flooders))))
    answered_in = time.monotonic() - t0
    await asyncio.sleep(1.0)  # the worker's queue right after the burst counts too
    stop.set()
    await asyncio.gather(*tasks, *(c.aclose() for c in set(flooders)))
    return Flood(busy, statuses, answered_in, rss_before, peak[0])


async def _floods(base: str, poller: str, n: int, pid: int, quiet_seconds: float):
    """The worker's queue times alone, then during a burst from one address and from many."""
    client = await _logged_in(base, poller, Tally())
    quiet, stop = Tally(), asyncio.Event()
    task = asyncio.create_task(_poll(client, quiet, stop))
    await asyncio.sleep(quiet_seconds)
    stop.set()
    await task
    floods = {
        "one address": await _flood(client, base, n, pid, spread=False),
        f"{n} addresses": await _flood(client, base, n, pid, spread=True),
    }
    await client.aclose()
    return quiet, floods


def _ms(seconds: list[float]) -> tuple[float, float]:
    if not seconds:
        return float("nan"), float("nan")
    p50, p99 = np.percentile(np.asarray(seconds) * 1000, [50, 99])
    return float(p50), float(p99)


def _stored_decision_ids(store: Path) -> list[int]:
    conn = sqlite3.connect(f"file:{store / 'intake.db'}?mode=ro", uri=True)
    try:
        return [row[0] for row in conn.execute("SELECT decision_id FROM decisions")]
    finally:
        conn.close()


def _verify(store: Path, env: dict[str, str], work: Path) -> tuple[bool, str]:
    cmd = [str(live_server.BIN / "triage"), "decisions", "verify", "--store", str(store)]
    proc = subprocess.run(cmd, env=env, cwd=work, capture_output=True, text=True)
    said = (proc.stdout + proc.stderr).strip().splitlines()
    return proc.returncode == 0, said[0] if said else f"exit {proc.returncode}"


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _print_routes(base: Tally, load: Tally) -> None:
    print(
        f"{'route':24s} {'n':>7s} {'p50 ms':>8s} {'p99 ms':>8s}   1 worker: "
        f"{'p50':>6s} {'p99':>6s}   ratio p50 / p99"
    )
    for route in ROUTES:
        if not load.seconds.get(route):
            continue
        p50, p99 = _ms(load.seconds[route])
        b50, b99 = _ms(base.seconds[route])
        print(
            f"{route:24s} {len(load.seconds[route]):7d} {p50:8.1f} {p99:8.1f}   {'':9s} "
            f"{b50:6.1f} {b99:6.1f}   {p50 / b50:5.1f}x / {p99 / b99:5.1f}x"
        )


def _print_load(baseline: Tally, load: Tally, wall: float, stored: list[int]) -> bool:
    """The load's figures and checks; True when all checks hold."""
    _print_routes(baseline, load)
    print(
        f"throughput: {load.requests() / wall:.1f} requests/s, {len(load.acked) / wall:.1f} "
        f"decisions/s ({len(load.acked)} decisions in {wall:.1f} s; 1 worker: "
        f"{len(baseline.acked)})"
    )
    refused = load.refused_logins + baseline.refused_logins
    tries = len(load.seconds[LOGIN]) + len(baseline.seconds[LOGIN])
    print(
        f"logins with the right password answered 429 (retried): {sum(refused.values())} of {tries}"
    )
    for kind, n in refused.most_common(3):
        print(f"  {n:6d}  {kind}")
    errors = baseline.errors + load.errors
    print(f"errors: {sum(errors.values())} (goal 0) -> {_met(not errors)}")
    for kind, n in errors.most_common(10):
        print(f"  {n:6d}  {kind}")
    acked = baseline.acked + load.acked
    repeated = sum(n - 1 for n in Counter(acked).values() if n > 1)
    lost, unacknowledged = set(acked) - set(stored), set(stored) - set(acked)
    intact = not lost and not repeated and not unacknowledged
    print(
        f"decisions: {len(acked)} acknowledged, {len(stored)} in the store; lost {len(lost)}, "
        f"acknowledged twice {repeated}, stored but never acknowledged {len(unacknowledged)} "
        f"-> {_met(intact)}"
    )
    return not errors and intact


def _print_floods(n: int, quiet: Tally, floods: dict[str, Flood]) -> None:
    q50, q99 = _ms(quiet.seconds[QUEUE])
    print(
        f"login floods: {n} bogus logins at once (made-up names, wrong passwords); a logged-in "
        f"worker's queue alone: p50 {q50:.0f} ms, p99 {q99:.0f} ms"
    )
    for where, flood in floods.items():
        polls = flood.busy.seconds[QUEUE]
        f50, f99 = _ms(polls)
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(flood.statuses.items()))
        print(
            f"  from {where}: answered in {flood.answered_in:.1f} s ({answers}); the worker's "
            f"queue p50 {f50:.0f} ms, p99 {f99:.0f} ms ({f99 / q99:.1f}x alone; {len(polls)} "
            f"polls, {sum(flood.busy.errors.values())} errors); server "
            f"{flood.rss_before_kib / 1024:.0f} MiB before, peak {flood.rss_peak_kib / 1024:.0f} MiB"
        )
        print(
            f"    goals: queue p99 under {GOAL_FLOOD_QUEUE_P99_S:.0f} s -> "
            f"{_met(f99 / 1000 < GOAL_FLOOD_QUEUE_P99_S)}; server under {GOAL_RSS_GIB:.0f} GiB "
            f"-> {_met(flood.rss_peak_kib < GOAL_RSS_GIB * 1024 * 1024)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--baseline-seconds", type=float, default=20.0)
    parser.add_argument("--flood", type=int, default=200, help="bogus logins at once")
    args = parser.parse_args()
    users = [f"worker{i:02d}" for i in range(args.workers)]
    baseline_seconds = min(args.baseline_seconds, args.seconds)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = live_server.isolated_env(work)
        store = live_server.prepare(work, env, users)
        port = live_server.free_port()
        base = f"http://127.0.0.1:{port}"
        load_before = os.getloadavg()
        server = live_server.start(work, env, store, port)
        try:
            rss_start = live_server.memory_kib(server.pid)["VmRSS"]
            baseline, _ = asyncio.run(_load(base, users[:1], baseline_seconds))
            load, wall = asyncio.run(_load(base, users, args.seconds))
            rss_load = live_server.memory_kib(server.pid)["VmHWM"]
            stored = _stored_decision_ids(store)
            chain_ok, chain_said = _verify(store, env, work)
            quiet, floods = asyncio.run(_floods(base, users[0], args.flood, server.pid, 5.0))
            hwm = live_server.memory_kib(server.pid)["VmHWM"]
        finally:
            server.terminate()
            server.wait(timeout=30)
        load_after = os.getloadavg()

    print(
        f"{args.workers} workers x {args.seconds:.0f} s against one `triage serve` "
        f"({os.cpu_count()} cores); baseline: 1 worker x {baseline_seconds:.0f} s, same server, "
        "same run"
    )
    load_ok = _print_load(baseline, load, wall, stored)
    print(f"chain: triage decisions verify: {chain_said} -> {_met(chain_ok)}")
    print(f"server memory: {rss_start / 1024:.0f} MiB after start, {rss_load / 1024:.0f} MiB peak")
    _print_floods(args.flood, quiet, floods)
    print(f"server memory peak over the whole run (VmHWM): {hwm / 1024:.0f} MiB")
    print(
        "load average (1, 5, 15 min) before: "
        + ", ".join(f"{x:.2f}" for x in load_before)
        + "; after: "
        + ", ".join(f"{x:.2f}" for x in load_after)
    )
    if not (load_ok and chain_ok):
        sys.exit(1)


if __name__ == "__main__":
    main()
