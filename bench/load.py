#!/usr/bin/env python3
"""Sustained load (issue 12): many clients calling at once for a while, directly and through the broker.
Reports calls, errors by kind, latency percentiles per kind of call, what a lone prober saw while the load ran
(can one client still get through?), and the servers' resident memory over time, including after the load
stops (does it come back?).

    /usr/bin/python3 bench/load.py [--clients 100] [--seconds 60] [--processes 4] [--routes direct,broker]

Each client is an AsyncClient in a closed loop (the next call when the last returned) over a mix: 70 % `ping`,
20 % a 1,000-row table, 10 % a 100,000-row table. Clients are spread over --processes Python processes, so the
client side is not one interpreter's GIL. The broker route uses `zbridge broker` and --workers C# test-host
workers. Raw results (with the RSS series) go to bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Tuple

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "python"), str(ROOT / "python" / "tests"), str(ROOT / "bench")]

import zerobridge  # noqa: E402
from broker_support import start_broker, start_worker, wait_for_workers  # noqa: E402
from conftest import _start  # noqa: E402  (the test host's start-up, shared with the tests)
from fuzzing import rss  # noqa: E402
from record import environment, write  # noqa: E402
from support import ServerProcess  # noqa: E402

MIX: List[Tuple[str, float, str, Dict[str, Any]]] = [
    ("ping", 0.7, "ping", {}),
    ("table 1k rows", 0.2, "tables.numbers", {"rows": 1_000}),
    ("table 100k rows", 0.1, "tables.numbers", {"rows": 100_000}),
]
CALL_TIMEOUT = 30.0
PROBE_EVERY = 0.25
SETTLE_SECONDS = 10.0


def _pick(rng: random.Random) -> Tuple[str, str, Dict[str, Any]]:
    roll = rng.random()
    for kind, share, command, kwargs in MIX:
        if roll < share:
            return kind, command, kwargs
        roll -= share
    kind, _, command, kwargs = MIX[-1]
    return kind, command, kwargs


async def _client_loop(endpoint: str, service: str, stop_at: float, seed: int,
                       latencies: Dict[str, List[float]], errors: Counter) -> None:
    rng = random.Random(seed)
    async with zerobridge.AsyncClient(endpoint, service=service, timeout=CALL_TIMEOUT, progress=False) as client:
        while time.monotonic() < stop_at:
            kind, command, kwargs = _pick(rng)
            started = time.perf_counter()
            try:
                await client.call(command, **kwargs)
                latencies.setdefault(kind, []).append(time.perf_counter() - started)
            except zerobridge.ZeroBridgeError as error:
                errors[f"{kind}: {type(error).__name__}"] += 1


def _client_process(endpoint: str, service: str, clients: int, seconds: float, first_seed: int,
                    results: "multiprocessing.Queue[Any]") -> None:
    latencies: Dict[str, List[float]] = {}
    errors: Counter = Counter()

    async def run() -> None:
        stop_at = time.monotonic() + seconds
        await asyncio.gather(*(_client_loop(endpoint, service, stop_at, first_seed + i, latencies, errors)
                               for i in range(clients)))

    began = time.time()  # wall clock: comparable across the client processes
    asyncio.run(run())
    results.put((latencies, dict(errors), began, time.time()))


def _percentiles(values: List[float]) -> Dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"count": len(ordered), "p50_ms": at(0.50), "p90_ms": at(0.90), "p99_ms": at(0.99),
            "max_ms": ordered[-1] * 1000}


def run_route(route: str, endpoint: str, service: str, watched: Dict[str, ServerProcess],
              options: argparse.Namespace) -> Dict[str, Any]:
    """One route under load: client processes, a lone prober, and RSS sampled every second."""
    mib = 1024 * 1024
    series: Dict[str, List[Tuple[float, float]]] = {name: [] for name in watched}
    probe_latencies: List[float] = []
    probe_errors: Counter = Counter()
    stop_sampling = threading.Event()
    stop_probing = threading.Event()
    start = time.monotonic()

    def sample() -> None:
        while not stop_sampling.is_set():
            for name, process in watched.items():
                series[name].append((round(time.monotonic() - start, 1), rss(process) / mib))
            stop_sampling.wait(1.0)

    def probe() -> None:
        with zerobridge.connect(endpoint, service=service, timeout=CALL_TIMEOUT) as prober:
            while not stop_probing.is_set():
                started = time.perf_counter()
                try:
                    prober.ping()
                    probe_latencies.append(time.perf_counter() - started)
                except zerobridge.ZeroBridgeError as error:
                    probe_errors[type(error).__name__] += 1
                stop_probing.wait(PROBE_EVERY)

    sampler = threading.Thread(target=sample, daemon=True)
    prober = threading.Thread(target=probe, daemon=True)
    sampler.start()
    prober.start()
    context = multiprocessing.get_context("spawn")
    results: "multiprocessing.Queue[Any]" = context.Queue()
    per_process = [options.clients // options.processes + (1 if i < options.clients % options.processes else 0)
                   for i in range(options.processes)]
    children = [context.Process(target=_client_process,
                                args=(endpoint, service, count, options.seconds, 1000 * i, results))
                for i, count in enumerate(per_process) if count]
    for child in children:
        child.start()
    latencies: Dict[str, List[float]] = {}
    errors: Counter = Counter()
    spans = []
    for _ in children:
        child_latencies, child_errors, began, ended = results.get(timeout=options.seconds + CALL_TIMEOUT + 120)
        for kind, values in child_latencies.items():
            latencies.setdefault(kind, []).extend(values)
        errors.update(child_errors)
        spans.append((began, ended))
    for child in children:
        child.join(30)
    elapsed = max(end for _, end in spans) - min(begin for begin, _ in spans)  # the calling, not the start-up
    stop_probing.set()
    prober.join(CALL_TIMEOUT + 5)
    time.sleep(SETTLE_SECONDS)  # a benchmark, not a test: see whether memory comes back once the load is gone
    stop_sampling.set()
    sampler.join(5)
    calls = sum(len(values) for values in latencies.values())
    return {
        "route": route,
        "clients": options.clients,
        "seconds": round(elapsed, 1),
        "calls": calls,
        "calls_per_s": round(calls / elapsed, 1),
        "errors": dict(errors),
        "latency": {kind: _percentiles(values) for kind, values in latencies.items()},
        "lone_prober": {**_percentiles(probe_latencies), "errors": dict(probe_errors)},
        "rss_mib": {name: {"start": points[0][1], "peak": max(v for _, v in points), "end": points[-1][1],
                           "series": points} for name, points in series.items() if points},
        "alive_after": {name: process.process.poll() is None for name, process in watched.items()},
    }


def report(result: Dict[str, Any]) -> str:
    lines = [f"\n## {result['route']}: {result['clients']} clients x {result['seconds']} s: {result['calls']:,} calls "
             f"({result['calls_per_s']:,.0f}/s), errors: {result['errors'] or 'none'}",
             "", "| call | count | p50 ms | p90 ms | p99 ms | max ms |", "|---|---:|---:|---:|---:|---:|"]
    for kind, stats in [*result["latency"].items(), ("lone prober (ping)", result["lone_prober"])]:
        if stats.get("count"):
            lines.append(f"| {kind} | {stats['count']:,} | {stats['p50_ms']:.1f} | {stats['p90_ms']:.1f} | "
                         f"{stats['p99_ms']:.1f} | {stats['max_ms']:.1f} |")
    lines += ["", "| process | RSS MiB start | peak | end (after 10 s idle) | alive after |", "|---|---:|---:|---:|---|"]
    for name, memory in result["rss_mib"].items():
        lines.append(f"| {name} | {memory['start']:.0f} | {memory['peak']:.0f} | {memory['end']:.0f} | "
                     f"{'yes' if result['alive_after'][name] else 'NO'} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--processes", type=int, default=4, help="client processes the clients are spread over")
    parser.add_argument("--workers", type=int, default=2, help="C# workers behind the broker")
    parser.add_argument("--routes", default="direct,broker")
    options = parser.parse_args()
    routes = options.routes.split(",")
    env = environment()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if "direct" in routes:
            server = _start(Path(tmp))
            try:
                results.append(run_route("direct", server.endpoint, "zerobridge", {"server": server}, options))
            finally:
                server.stop()
        if "broker" in routes:
            broker = start_broker()
            workers = [start_worker(broker.endpoint, "erp", f"load-{i}", Path(tmp)) for i in range(options.workers)]
            try:
                wait_for_workers(broker.endpoint, "erp", options.workers)
                watched = {"broker": broker, **{f"worker {i}": w for i, w in enumerate(workers)}}
                results.append(run_route("broker", broker.endpoint, "erp", watched, options))
            finally:
                for process in [*workers, broker]:
                    process.stop()
    for result in results:
        print(report(result))
    write("load", {"environment": env, "options": vars(options), "mix": [m[:2] for m in MIX], "results": results})
    failed = any(not all(r["alive_after"].values()) or r["lone_prober"].get("errors") for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
