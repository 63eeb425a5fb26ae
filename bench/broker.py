#!/usr/bin/env python3
"""What does the Majordomo broker cost? Requests/s and latency through `zbridge broker` with 1, 2 and 4
workers, beside the direct route (`zbridge demo`) in the same run, as ratios to direct. One broker per worker
count, all up at once, so the routes are measured interleaved round by round (the same rounds for every route);
each reports its median round with the min-max.

    /usr/bin/python3 bench/broker.py                       # 4 client processes, 2000 requests each, 3 rounds
    /usr/bin/python3 bench/broker.py --clients 8 --requests 1000 --latency-requests 3000 --rounds 5

Pin the whole run with taskset (children inherit it; the JSON records the affinity).

Every process (broker, workers, demo server, client processes) runs in its own process group and is
stopped on exit, Ctrl+C and errors. See bench/README.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))

import zerobridge  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import record  # noqa: E402

SERVICE = "bench"
_LISTENING = re.compile(r"Listening on (tcp://\S+)")


class Child:
    """A `./zbridge ...` process in its own process group."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen([str(ROOT / "zbridge"), *args], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                                        start_new_session=True)

    def wait_for(self, pattern: "re.Pattern[str]", deadline: float = 120.0) -> "re.Match[str]":
        end = time.monotonic() + deadline
        assert self.process.stdout is not None
        while time.monotonic() < end:
            line = self.process.stdout.readline()
            if not line:
                break
            match = pattern.search(line)
            if match:
                return match
        raise RuntimeError(f"{self.process.args}: no {pattern.pattern!r} (exit {self.process.poll()})")

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(10)


def _client(args: Tuple[str, str, int, multiprocessing.Barrier]) -> List[float]:
    endpoint, service, requests, barrier = args
    latencies = []
    with zerobridge.connect(endpoint, service=service, timeout=30) as client:
        for _ in range(max(20, requests // 20)):      # warm-up
            client.call("echo", value=42)
        barrier.wait()
        for _ in range(requests):
            started = time.perf_counter_ns()
            client.call("echo", value=42)
            latencies.append((time.perf_counter_ns() - started) / 1000)
    return latencies


def throughput(endpoint: str, service: str, clients: int, requests: int) -> Dict[str, float]:
    """`clients` processes, each `requests` sequential echo calls; total requests/s over the wall time."""
    manager = multiprocessing.Manager()
    barrier = manager.Barrier(clients + 1)
    with multiprocessing.Pool(clients) as pool:
        pending = pool.map_async(_client, [(endpoint, service, requests, barrier)] * clients)
        barrier.wait()
        started = time.perf_counter()
        latencies = [x for chunk in pending.get(600) for x in chunk]
        elapsed = time.perf_counter() - started
    manager.shutdown()
    return {"rps": clients * requests / elapsed, "p50_us": statistics.median(latencies),
            "mean_us": statistics.fmean(latencies)}


def latency(endpoint: str, service: str, requests: int) -> Dict[str, float]:
    """One client, one request at a time: the latency a route adds."""
    samples = _client((endpoint, service, requests, _NoBarrier()))
    samples.sort()
    return {"p50_us": statistics.median(samples), "mean_us": statistics.fmean(samples),
            "p99_us": samples[int(len(samples) * 0.99) - 1]}


class _NoBarrier:
    def wait(self) -> None:
        pass


def wait_for_workers(endpoint: str, count: int) -> None:
    end = time.monotonic() + 120
    while time.monotonic() < end:
        status, services = zerobridge.mmi(endpoint, "mmi.services", timeout=5)
        if any(s["service"] == SERVICE and s["workers"] == count for s in services):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{count} workers did not register")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=4, help="concurrent client processes (default 4)")
    parser.add_argument("--requests", type=int, default=2000, help="requests per client process (default 2000)")
    parser.add_argument("--latency-requests", type=int, default=2000, help="sequential requests for latency")
    parser.add_argument("--workers", default="1,2,4", help="worker counts to measure (default 1,2,4)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    options = parser.parse_args()

    environment = record.environment()
    children: List[Child] = []
    rounds: Dict[str, List[Dict[str, float]]] = {}
    tmp = tempfile.mkdtemp(prefix="zb-bench-broker-")
    try:
        subprocess.run([str(ROOT / "zbridge"), "--help"], check=True, capture_output=True)  # build once
        demo = Child("demo", "--bind", "tcp://127.0.0.1:*", "--data", f"{tmp}/direct.db")
        children.append(demo)
        routes: Dict[str, Tuple[str, str]] = {"direct": (demo.wait_for(_LISTENING).group(1), "zerobridge")}
        for count in [int(c) for c in options.workers.split(",")]:
            broker = Child("broker", "--bind", "tcp://127.0.0.1:*")
            children.append(broker)
            endpoint = broker.wait_for(_LISTENING).group(1)
            for n in range(count):
                worker = Child("worker", "--connect", endpoint, "--service", SERVICE,
                               "--data", f"{tmp}/b{count}w{n}.db")
                children.append(worker)
                worker.wait_for(re.compile("serving"))
            wait_for_workers(endpoint, count)
            routes[f"broker, {count} worker{'s' if count > 1 else ''}"] = (endpoint, SERVICE)

        print(f"routes: {routes}; clients: {options.clients} x {options.requests} echo(42); "
              f"{options.rounds} rounds", file=sys.stderr)
        for _ in range(options.rounds):
            for name, (endpoint, service) in routes.items():
                row = throughput(endpoint, service, options.clients, options.requests)
                row.update({f"seq_{k}": v for k, v in latency(endpoint, service, options.latency_requests).items()})
                rounds.setdefault(name, []).append(row)
    finally:
        for child in reversed(children):
            child.stop()

    def median_row(name: str) -> Dict[str, float]:
        return {key: statistics.median(r[key] for r in rounds[name]) for key in rounds[name][0]}

    results = {name: {"median": median_row(name), "rounds": rounds[name]} for name in rounds}
    base = results["direct"]["median"]
    print(f"\n{options.clients} concurrent clients x {options.requests} requests (echo 42), then 1 client "
          f"x {options.latency_requests} sequential requests; medians of {options.rounds} interleaved rounds "
          f"(req/s min-max)\n")
    print("| route | req/s (min-max) | req/s vs direct | p50 µs (concurrent) | seq p50 µs | seq mean µs | seq p50 vs direct | seq mean vs direct |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, result in results.items():
        row, rps = result["median"], [r["rps"] for r in result["rounds"]]
        print(f"| {name} | {row['rps']:,.0f} ({min(rps):,.0f}-{max(rps):,.0f}) | {row['rps'] / base['rps']:.2f} | "
              f"{row['p50_us']:,.0f} | {row['seq_p50_us']:,.0f} | {row['seq_mean_us']:,.0f} | "
              f"{row['seq_p50_us'] / base['seq_p50_us']:.2f} | {row['seq_mean_us'] / base['seq_mean_us']:.2f} |")
    record.write("broker", {"options": vars(options), "environment": environment, "results": results})


if __name__ == "__main__":
    main()
