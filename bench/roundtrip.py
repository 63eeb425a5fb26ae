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
import itertools
import json
import multiprocessing
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
import dotnet_projects  # noqa: E402
import record  # noqa: E402

SERVER_START_DEADLINE = 180.0  # the first run builds the CLI and generates the database
RECV_TIMEOUT_MS = 10_000
CONCURRENCY = 8
LOAD_PROCESSES = 8
ECHO_MODES = ("loop", "poller")


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
# Requests and their checks. Every call encodes its request, as the ZeroBridge client does on every call.
# --------------------------------------------------------------------------------------------

_request_ids = itertools.count(1)


def rep_frames(value: Any) -> List[bytes]:
    return [msgpack.packb({"command": "echo", "args": {"value": value}})]


def json_frames(value: Any) -> List[bytes]:
    return [json.dumps({"command": "echo", "args": {"value": value}}).encode()]


def bridge_frames(value: Any) -> List[bytes]:
    header = msgpack.packb({"v": 1, "id": next(_request_ids), "cmd": "echo"})
    return [b"MDPC01", b"zerobridge", header, msgpack.packb([[], {"value": value}])]


def check_rep(frames: List[bytes], value: Any) -> None:
    if msgpack.unpackb(frames[0])["result"] != value:
        raise AssertionError("bad echo from the REP server")


def check_gateway(frames: List[bytes], value: Any) -> None:
    if json.loads(frames[0])["result"] != value:
        raise AssertionError("bad echo from the JSON gateway")


def check_bridge(frames: List[bytes], value: Any) -> None:
    if not msgpack.unpackb(frames[2])["ok"] or msgpack.unpackb(frames[3]) != value:
        raise AssertionError("bad echo over the raw bridge protocol")


def check_echo(frames: List[bytes], value: Any) -> None:
    """The bare NetMQ echo sends the bridge request back as it came."""
    if frames[0] != b"MDPC01" or msgpack.unpackb(frames[3]) != [[], {"value": value}]:
        raise AssertionError("bad echo from the bare NetMQ ROUTER")


# The wire format of each raw-REQ route: (request frames, reply check).
RAW_ROUTES: Dict[str, tuple] = {
    "rep": (rep_frames, check_rep),
    "gateway": (json_frames, check_gateway),
    "bridge": (bridge_frames, check_bridge),
    "echo": (bridge_frames, check_echo),
}


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


def req_call(socket: zmq.Socket, route: str, value: Any) -> Callable[[], None]:
    frames, check = RAW_ROUTES[route]

    def call() -> None:
        socket.send_multipart(frames(value))
        check(socket.recv_multipart(), value)
    return call


def load_client(route: str, endpoint: str, value: Any, n: int, warmup: int,
                barrier: Any, results: Any) -> None:
    """One of the load processes (forked): its own connection, a warm-up, then -- once every process is
    ready -- ``n`` sequential calls; puts (start ns, end ns, latencies ns) on ``results``."""
    if route == "zerobridge":
        client = zerobridge.connect(endpoint, timeout=RECV_TIMEOUT_MS / 1000)
        call = zerobridge_call(client, value)
    else:
        context = zmq.Context()  # never the parent's: a forked process must not use its context
        call = req_call(open_req(context, endpoint), route, value)
    for _ in range(warmup):
        call()
    barrier.wait(60)
    clock = time.perf_counter_ns  # CLOCK_MONOTONIC: one clock for every process on the machine
    latencies = [0] * n
    start = clock()
    for i in range(n):
        t0 = clock()
        call()
        latencies[i] = clock() - t0
    results.put((start, clock(), latencies))


def measure_load(route: str, endpoint: str, value: Any, n: int, warmup: int,
                 processes: int) -> Dict[str, float]:
    """``processes`` client processes, each n/processes sequential calls on its own connection, all released
    at once; throughput = n / (the last end - the first start)."""
    fork = multiprocessing.get_context("fork")
    barrier = fork.Barrier(processes)
    results = fork.Queue()
    each = max(1, n // processes)
    children = [fork.Process(target=load_client, daemon=True,
                             args=(route, endpoint, value, each, max(20, warmup // processes), barrier, results))
                for _ in range(processes)]
    for child in children:
        child.start()
    try:
        parts = [results.get(timeout=600) for _ in children]
    finally:
        for child in children:
            child.join(10)
            if child.is_alive():
                child.kill()
    latencies = [x for part in parts for x in part[2]]
    return summarize(latencies, (max(p[1] for p in parts) - min(p[0] for p in parts)) / 1e9)


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
        echo_dll = dotnet_projects.build("RouterEcho")
        echoes: Dict[str, ServerProcess] = {}
        for mode in ECHO_MODES:
            echoes[mode] = ServerProcess(["dotnet", str(echo_dll), mode], REPO, server_cpus)
            children.append(echoes[mode])
        if client_cpus:
            os.sched_setaffinity(0, client_cpus)
        print("Starting the servers (the first run builds zbridge and generates its database)…", file=sys.stderr)
        rep_endpoint = rep.wait_ready(30.0)
        echo_endpoints = {mode: echo.wait_ready(60.0) for mode, echo in echoes.items()}
        demo_endpoint = demo.wait_ready(SERVER_START_DEADLINE)
        print(f"zbridge demo on {demo_endpoint}, pyzmq REP on {rep_endpoint}, bare NetMQ echoes on "
              f"{echo_endpoints}; {n} requests per scenario after {warmup} warm-up", file=sys.stderr)

        client = zerobridge.connect(demo_endpoint, timeout=RECV_TIMEOUT_MS / 1000)
        endpoints = {"rep": rep_endpoint, "gateway": demo_endpoint, "bridge": demo_endpoint,
                     "zerobridge": demo_endpoint, **{f"echo-{m}": e for m, e in echo_endpoints.items()}}
        sockets = {name: open_req(context, endpoint) for name, endpoint in endpoints.items() if name != "zerobridge"}

        payloads = {"int": 42, f"str{args.payload_bytes}": "x" * args.payload_bytes}
        scenarios: List[Dict[str, Any]] = []  # name, payload, group, kind, client, run() -> stats

        def scenario(name: str, payload: str, group: str, kind: str, client_name: str,
                     run: Callable[[], Dict[str, float]]) -> None:
            scenarios.append({"scenario": name, "payload": payload, "group": group, "kind": kind,
                              "client": client_name, "run": run, "rounds": []})

        def raw(name: str, value: Any) -> Callable[[], None]:
            return req_call(sockets[name], name.split("-")[0], value)

        for label, value in payloads.items():
            sequential = lambda call: (lambda: measure_sequential(call, n, warmup))  # noqa: E731
            scenario("pyzmq REQ -> pyzmq REP", label, "sequential", "baseline", "pyzmq REQ",
                     sequential(raw("rep", value)))
            scenario("ZeroBridge call (sequential)", label, "sequential", "zerobridge", "zerobridge.Client.call",
                     sequential(zerobridge_call(client, value)))
            scenario(f"ZeroBridge acall x{CONCURRENCY}", label, "sequential", "zerobridge", "zerobridge.Client.acall",
                     lambda v=value: measure_concurrent(client, v, n, warmup, CONCURRENCY))
            scenario("pyzmq REQ -> C# bridge proto", label, "sequential", "reference", "pyzmq REQ, raw MDP frames",
                     sequential(raw("bridge", value)))
            scenario("pyzmq REQ -> C# JSON gateway", label, "sequential", "reference", "pyzmq REQ, JSON",
                     sequential(raw("gateway", value)))
            for mode in ECHO_MODES:
                scenario(f"pyzmq REQ -> bare NetMQ echo, {mode}", label, "sequential", "reference",
                         "pyzmq REQ, raw MDP frames", sequential(raw(f"echo-{mode}", value)))

            # The same routes under load: LOAD_PROCESSES client processes at once, each on its own connection.
            def load(route: str, value: Any = value) -> Callable[[], Dict[str, float]]:
                endpoint = endpoints[route]
                return lambda: measure_load(route.split("-")[0], endpoint, value, n, warmup, LOAD_PROCESSES)
            group = f"{LOAD_PROCESSES} processes"
            scenario(f"{group}: pyzmq REQ -> pyzmq REP", label, group, "baseline", "pyzmq REQ", load("rep"))
            scenario(f"{group}: ZeroBridge call", label, group, "zerobridge", "zerobridge.Client.call",
                     load("zerobridge"))
            scenario(f"{group}: pyzmq REQ -> C# bridge proto", label, group, "reference",
                     "pyzmq REQ, raw MDP frames", load("bridge"))
            scenario(f"{group}: pyzmq REQ -> bare NetMQ echo, poller", label, group, "reference",
                     "pyzmq REQ, raw MDP frames", load("echo-poller"))

        # Every round runs every scenario, so a burst of noise hits one round of several scenarios,
        # not all rounds of one; each scenario then reports its median round (by throughput).
        for round_number in range(1, args.rounds + 1):
            print(f"Round {round_number}/{args.rounds}", file=sys.stderr)
            for spec in scenarios:
                gc.collect()
                stats = spec["run"]()
                spec["rounds"].append(stats)
                print(f"  {spec['scenario']:<48} {spec['payload']:<7} {fmt(stats['rps']):>8} req/s  "
                      f"p50 {fmt(stats['p50_us'], 1):>8} µs", file=sys.stderr)

        results: List[Dict[str, Any]] = []
        baselines: Dict[tuple, Dict[str, float]] = {}
        for spec in scenarios:
            rounds = sorted(spec["rounds"], key=lambda r: r["rps"])
            median = rounds[len(rounds) // 2]
            row: Dict[str, Any] = {k: spec[k] for k in ("scenario", "payload", "group", "kind", "client")}
            row.update(median)
            row["rounds_rps"] = [r["rps"] for r in spec["rounds"]]
            if spec["kind"] == "baseline":
                baselines[spec["payload"], spec["group"]] = median
            else:
                base = baselines[spec["payload"], spec["group"]]
                for key in ("rps", "mean_us", "p50_us", "p99_us"):
                    row["ratio_" + key.replace("_us", "")] = median[key] / base[key]
            results.append(row)

        targets = target_ratios(results)
        print_table(results, n, args.rounds, args.pin)
        print_targets(targets)
        write_json(results, targets, n, warmup, args.rounds, args.pin, args.payload_bytes, endpoints, environment)
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
          f"(ratios: this row / the pyzmq REQ->REP baseline with the same payload and load)\n")
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


def target_ratios(results: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Issue 14's ratios, each from the medians of one run: ZeroBridge route / the route it is held against."""
    rows = {(r["scenario"], r["payload"]): r for r in results}
    group = f"{LOAD_PROCESSES} processes"
    pairs = [
        ("call / pyzmq REQ->REP (target >= 0.67)", "ZeroBridge call (sequential)", "pyzmq REQ -> pyzmq REP"),
        ("server alone / bare NetMQ echo on a poller (target >= 0.91)", "pyzmq REQ -> C# bridge proto",
         "pyzmq REQ -> bare NetMQ echo, poller"),
        ("bare NetMQ echo on a poller / receive-send loop", "pyzmq REQ -> bare NetMQ echo, poller",
         "pyzmq REQ -> bare NetMQ echo, loop"),
        (f"{group}: server / bare NetMQ echo on a poller (target >= 0.9)", f"{group}: pyzmq REQ -> C# bridge proto",
         f"{group}: pyzmq REQ -> bare NetMQ echo, poller"),
        (f"{group}: call / bare NetMQ echo on a poller", f"{group}: ZeroBridge call",
         f"{group}: pyzmq REQ -> bare NetMQ echo, poller"),
        (f"acall x{CONCURRENCY} / bare NetMQ echo on a poller, {group}", f"ZeroBridge acall x{CONCURRENCY}",
         f"{group}: pyzmq REQ -> bare NetMQ echo, poller"),
    ]
    targets = []
    for payload in dict.fromkeys(r["payload"] for r in results):
        for label, ours, theirs in pairs:
            a, b = rows[ours, payload], rows[theirs, payload]
            targets.append({"ratio": label, "payload": payload, "rps_ratio": a["rps"] / b["rps"],
                            "p50_ratio": a["p50_us"] / b["p50_us"]})
    return targets


def print_targets(targets: List[Dict[str, Any]]) -> None:
    print("| ratio (req/s of the first route / the second; p50: the same, above 1 is slower) | payload "
          "| req/s ratio | p50 ratio |")
    print("|---|---|---:|---:|")
    for t in targets:
        print(f"| {t['ratio']} | {t['payload']} | {t['rps_ratio']:.2f} | {t['p50_ratio']:.2f} |")
    print()


def write_json(results: List[Dict[str, Any]], targets: List[Dict[str, Any]], n: int, warmup: int, rounds: int,
               pin: str, payload_bytes: int, endpoints: Dict[str, str], environment: Dict[str, Any]) -> None:
    record.write("roundtrip", {
        "requests": n,
        "warmup": warmup,
        "rounds": rounds,
        "payload_bytes": payload_bytes,
        "concurrency": CONCURRENCY,
        "pin": pin,
        "load_processes": LOAD_PROCESSES,
        "endpoints": endpoints,
        "environment": environment,
        "results": results,
        "targets": targets,
    })


if __name__ == "__main__":
    sys.exit(main())
