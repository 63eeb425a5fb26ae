#!/usr/bin/python3
"""Round-trip benchmark: the ZeroBridge Python client against the C# demo server, compared with
the plain pyzmq REQ/REP "getting started" example in Python.

    /usr/bin/python3 bench/roundtrip.py [--requests N] [--payload-bytes B]

One run starts both servers (``./zbridge demo`` on an ephemeral port with a temporary database, and
a pyzmq REP server in a subprocess), measures every scenario, prints a markdown table and writes
bench/results/roundtrip-<UTC time>.json (and roundtrip-latest.json). Every route encodes its request and decodes
its reply on every call (nothing is packed once and re-sent). Both servers are stopped on exit, also on Ctrl+C and errors.
See bench/README.md for what is measured and how to read the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(REPO / "python" / "tests"))  # support.ServerProcess: the tests' process handling

import msgpack  # noqa: E402
import zmq  # noqa: E402

import zerobridge  # noqa: E402
from support import ServerProcess  # noqa: E402

sys.path.insert(0, str(HERE))
import record  # noqa: E402

SERVER_START_DEADLINE = 180.0  # the first run builds the CLI and generates the database
RECV_TIMEOUT_MS = 10_000
CONCURRENCY = 8


# --------------------------------------------------------------------------------------------
# The baseline server: the getting-started REP loop, doing the same work as the echo command
# (msgpack-decode the request, msgpack-encode a reply that echoes the value).
# --------------------------------------------------------------------------------------------

def run_rep_server() -> int:
    parent = os.getppid()
    context = zmq.Context()
    socket = context.socket(zmq.REP)
    socket.linger = 0
    socket.bind("tcp://127.0.0.1:*")
    print(f"Listening on {socket.getsockopt_string(zmq.LAST_ENDPOINT)}", flush=True)
    poller = zmq.Poller()
    poller.register(socket, zmq.POLLIN)
    try:
        while True:
            if not poller.poll(1000):
                if os.getppid() != parent:  # the benchmark died without stopping us
                    return 0
                continue
            request = msgpack.unpackb(socket.recv())
            socket.send(msgpack.packb({"ok": True, "result": request["args"]["value"]}))
    except KeyboardInterrupt:
        return 0
    finally:
        socket.close(0)
        context.term()


# --------------------------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------------------------

def summarize(latencies_ns: List[int], wall_s: float) -> Dict[str, float]:
    ordered = sorted(latencies_ns)
    n = len(ordered)

    def pct(p: float) -> float:
        return ordered[min(n - 1, int(p * n))] / 1000.0

    return {
        "requests": n,
        "wall_s": wall_s,
        "rps": n / wall_s,
        "mean_us": statistics.fmean(ordered) / 1000.0,
        "p50_us": pct(0.50),
        "p99_us": pct(0.99),
        "max_us": ordered[-1] / 1000.0,
    }


def measure_sequential(call: Callable[[], Any], n: int, warmup: int) -> Dict[str, float]:
    for _ in range(warmup):
        call()
    latencies = [0] * n
    clock = time.perf_counter_ns
    start = clock()
    for i in range(n):
        t0 = clock()
        call()
        latencies[i] = clock() - t0
    return summarize(latencies, (clock() - start) / 1e9)


def measure_concurrent(client: zerobridge.Client, value: Any, n: int, warmup: int,
                       concurrency: int) -> Dict[str, float]:
    """``concurrency`` coroutines keep that many ``acall``s in flight (closed loop) until n are done."""

    async def run(count: int) -> tuple:
        latencies: List[int] = []
        remaining = [count]
        clock = time.perf_counter_ns

        async def worker() -> None:
            while remaining[0] > 0:
                remaining[0] -= 1
                t0 = clock()
                result = await client.acall("echo", value=value)
                latencies.append(clock() - t0)
                if result != value:
                    raise AssertionError(f"echo returned {result!r}")

        start = clock()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, (clock() - start) / 1e9

    async def main() -> tuple:
        await run(warmup)
        return await run(n)

    latencies, wall = asyncio.run(main())
    return summarize(latencies, wall)


def zerobridge_call(client: zerobridge.Client, value: Any) -> Callable[[], Any]:
    def call() -> Any:
        result = client.call("echo", value=value)
        if result != value:
            raise AssertionError(f"echo returned {result!r}")
        return result
    return call


def req_call(socket: zmq.Socket, frames: Callable[[], List[bytes]],
             check: Callable[[List[bytes]], None]) -> Callable[[], None]:
    def call() -> None:
        socket.send_multipart(frames())
        check(socket.recv_multipart())
    return call


def open_req(context: zmq.Context, endpoint: str) -> zmq.Socket:
    socket = context.socket(zmq.REQ)
    socket.linger = 0
    socket.rcvtimeo = RECV_TIMEOUT_MS
    socket.sndtimeo = RECV_TIMEOUT_MS
    socket.connect(endpoint)
    return socket


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

def placement(pin: str) -> tuple:
    """(client CPUs, server CPUs) for --pin; None means no pinning."""
    cpus = sorted(os.sched_getaffinity(0))
    if pin == "same":
        return {cpus[0]}, {cpus[0]}
    if pin == "split":
        if len(cpus) < 2:
            raise SystemExit("--pin split needs at least two CPUs")
        return {cpus[0]}, set(cpus[1:])
    return None, None


def fmt(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000, help="measured requests per scenario (default 5000)")
    parser.add_argument("--payload-bytes", type=int, default=100, help="size of the string payload (default 100)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all scenarios; the median is reported (default 3)")
    parser.add_argument("--warmup", type=int, default=None, help="warm-up requests per scenario (default N/10, at least 200)")
    parser.add_argument("--pin", choices=("none", "same", "split"), default="none",
                        help="CPU placement: none (the scheduler decides; default), same (client and servers on "
                             "the first CPU), split (client on the first CPU, servers on the others)")
    parser.add_argument("--rep-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rep_server:
        return run_rep_server()
    if args.requests < 100:
        parser.error("--requests must be at least 100")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    n = args.requests
    client_cpus, server_cpus = placement(args.pin)
    warmup = args.warmup if args.warmup is not None else max(200, n // 10)
    environment = record.environment()

    # SIGTERM/SIGHUP end the run like Ctrl+C does, so the finally below stops the servers.
    def interrupt(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored

    children: List[ServerProcess] = []
    tmp = Path(tempfile.mkdtemp(prefix="zb-bench-"))
    context = zmq.Context()
    client: Optional[zerobridge.Client] = None
    try:
        if shutil.which("dotnet") is None:
            raise RuntimeError("dotnet is not installed: the C# demo server cannot run")
        demo = ServerProcess([str(REPO / "zbridge"), "demo", "--bind", "tcp://127.0.0.1:*",
                              "--data", str(tmp / "bench.db")], REPO, server_cpus)
        children.append(demo)
        rep = ServerProcess([sys.executable, str(Path(__file__).resolve()), "--rep-server"], REPO, server_cpus)
        children.append(rep)
        if client_cpus:
            os.sched_setaffinity(0, client_cpus)
        print("Starting the servers (the first run builds zbridge and generates its database)…", file=sys.stderr)
        rep_endpoint = rep.wait_ready(30.0)
        demo_endpoint = demo.wait_ready(SERVER_START_DEADLINE)
        print(f"zbridge demo on {demo_endpoint}, pyzmq REP on {rep_endpoint}; "
              f"{n} requests per scenario after {warmup} warm-up", file=sys.stderr)

        client = zerobridge.connect(demo_endpoint, timeout=RECV_TIMEOUT_MS / 1000)
        rep_socket = open_req(context, rep_endpoint)
        gateway_socket = open_req(context, demo_endpoint)
        bridge_socket = open_req(context, demo_endpoint)

        payloads = {"int": 42, f"str{args.payload_bytes}": "x" * args.payload_bytes}
        scenarios: List[Dict[str, Any]] = []  # name, payload, kind, client, run() -> stats

        def scenario(name: str, payload: str, kind: str, client_name: str,
                     run: Callable[[], Dict[str, float]]) -> None:
            scenarios.append({"scenario": name, "payload": payload, "kind": kind, "client": client_name,
                              "run": run, "rounds": []})

        for label, value in payloads.items():
            ids = iter(range(1, 1 << 62))

            # Every call encodes its request, as the ZeroBridge client does on every call.
            def rep_frames(value: Any = value) -> List[bytes]:
                return [msgpack.packb({"command": "echo", "args": {"value": value}})]

            def json_frames(value: Any = value) -> List[bytes]:
                return [json.dumps({"command": "echo", "args": {"value": value}}).encode()]

            def check_rep(frames: List[bytes], value: Any = value) -> None:
                if msgpack.unpackb(frames[0])["result"] != value:
                    raise AssertionError("bad echo from the REP server")

            def check_gateway(frames: List[bytes], value: Any = value) -> None:
                if json.loads(frames[0])["result"] != value:
                    raise AssertionError("bad echo from the JSON gateway")

            def check_bridge(frames: List[bytes], value: Any = value) -> None:
                if not msgpack.unpackb(frames[2])["ok"] or msgpack.unpackb(frames[3]) != value:
                    raise AssertionError("bad echo over the raw bridge protocol")

            def bridge_frames(value: Any = value, ids: Any = ids) -> List[bytes]:
                header = msgpack.packb({"v": 1, "id": next(ids), "cmd": "echo"})
                return [b"MDPC01", b"zerobridge", header, msgpack.packb([[], {"value": value}])]

            rep_call = req_call(rep_socket, rep_frames, check_rep)
            zb_call = zerobridge_call(client, value)
            raw_call = req_call(bridge_socket, bridge_frames, check_bridge)
            json_call = req_call(gateway_socket, json_frames, check_gateway)
            scenario("pyzmq REQ -> pyzmq REP", label, "baseline", "pyzmq REQ",
                     lambda c=rep_call: measure_sequential(c, n, warmup))
            scenario("ZeroBridge call (sequential)", label, "zerobridge", "zerobridge.Client.call",
                     lambda c=zb_call: measure_sequential(c, n, warmup))
            scenario(f"ZeroBridge acall x{CONCURRENCY}", label, "zerobridge", "zerobridge.Client.acall",
                     lambda v=value: measure_concurrent(client, v, n, warmup, CONCURRENCY))
            scenario("pyzmq REQ -> C# bridge proto", label, "reference", "pyzmq REQ, raw MDP frames",
                     lambda c=raw_call: measure_sequential(c, n, warmup))
            scenario("pyzmq REQ -> C# JSON gateway", label, "reference", "pyzmq REQ, JSON",
                     lambda c=json_call: measure_sequential(c, n, warmup))

        # Every round runs every scenario, so a burst of noise hits one round of several scenarios,
        # not all rounds of one; each scenario then reports its median round (by throughput).
        for round_number in range(1, args.rounds + 1):
            print(f"Round {round_number}/{args.rounds}", file=sys.stderr)
            for spec in scenarios:
                gc.collect()
                stats = spec["run"]()
                spec["rounds"].append(stats)
                print(f"  {spec['scenario']:<28} {spec['payload']:<7} {fmt(stats['rps']):>8} req/s  "
                      f"p50 {fmt(stats['p50_us'], 1):>8} µs", file=sys.stderr)

        results: List[Dict[str, Any]] = []
        baselines: Dict[str, Dict[str, float]] = {}
        for spec in scenarios:
            rounds = sorted(spec["rounds"], key=lambda r: r["rps"])
            median = rounds[len(rounds) // 2]
            row: Dict[str, Any] = {k: spec[k] for k in ("scenario", "payload", "kind", "client")}
            row.update(median)
            row["rounds_rps"] = [r["rps"] for r in spec["rounds"]]
            if spec["kind"] == "baseline":
                baselines[spec["payload"]] = median
            else:
                base = baselines[spec["payload"]]
                for key in ("rps", "mean_us", "p50_us", "p99_us"):
                    row["ratio_" + key.replace("_us", "")] = median[key] / base[key]
            results.append(row)

        print_table(results, n, args.rounds, args.pin)
        write_json(results, n, warmup, args.rounds, args.pin, args.payload_bytes,
                   demo_endpoint, rep_endpoint, environment)
        return 0
    except KeyboardInterrupt:
        print("\nInterrupted; stopping the servers.", file=sys.stderr)
        return 130
    finally:
        if client is not None:
            client.close()
        context.destroy(linger=0)
        for child in reversed(children):
            child.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def print_table(results: List[Dict[str, Any]], n: int, rounds: int, pin: str) -> None:
    print(f"\n### Round trip: {n} requests per row, median of {rounds} rounds, --pin {pin} "
          f"(ratios: this row / the pyzmq REQ->REP baseline with the same payload)\n")
    print("| scenario | payload | req/s | req/s min–max | mean µs | p50 µs | p99 µs "
          "| req/s ratio | mean ratio | p50 ratio | p99 ratio |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        def ratio(key: str) -> str:
            return f"{r[key]:.2f}" if key in r else "baseline"
        spread = f"{fmt(min(r['rounds_rps']))}–{fmt(max(r['rounds_rps']))}"
        print(f"| {r['scenario']} | {r['payload']} | {fmt(r['rps'])} | {spread} | {fmt(r['mean_us'], 1)} | "
              f"{fmt(r['p50_us'], 1)} | {fmt(r['p99_us'], 1)} | {ratio('ratio_rps')} | {ratio('ratio_mean')} | "
              f"{ratio('ratio_p50')} | {ratio('ratio_p99')} |")
    print()


def write_json(results: List[Dict[str, Any]], n: int, warmup: int, rounds: int, pin: str,
               payload_bytes: int, demo_endpoint: str, rep_endpoint: str, environment: Dict[str, Any]) -> None:
    record.write("roundtrip", {
        "requests": n,
        "warmup": warmup,
        "rounds": rounds,
        "payload_bytes": payload_bytes,
        "concurrency": CONCURRENCY,
        "pin": pin,
        "endpoints": {"zbridge_demo": demo_endpoint, "pyzmq_rep": rep_endpoint},
        "environment": environment,
        "results": results,
    })


if __name__ == "__main__":
    sys.exit(main())
