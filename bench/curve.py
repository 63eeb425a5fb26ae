#!/usr/bin/python3
"""What CURVE costs: the same calls, tables and streams in plain text and over CurveZMQ, in the same run.

    /usr/bin/python3 bench/curve.py [--rounds 3] [--requests 3000] [--rows 1000000] [--messages 30000]

One run starts two test hosts (``tests/ZeroBridge.TestHost``), one plain and one with a CURVE key pair, and in each
round measures, plain and CURVE one after the other (interleaved, so load changes hit both alike):

- **round trip**: ``client.call("echo", value=42)`` sequentially, requests per second;
- **1M-row table**: ``tables.numbers(rows)`` into a ``pandas.DataFrame``, milliseconds;
- **stream**: a C# publisher in the plain host (``stream.start``) sending ``--messages`` small values as fast as it
  can to ``zerobridge.subscribe``: plain, CURVE, and CURVE with encrypted payloads (docs/protocol.md §11.6),
  messages per second at the receiver.

Prints a markdown table of medians and CURVE/plain ratios and writes bench/results/curve-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(REPO / "python" / "tests"))  # support.ServerProcess: the tests' process handling

import zmq.auth  # noqa: E402

import zerobridge  # noqa: E402
from support import ServerProcess  # noqa: E402

sys.path.insert(0, str(HERE))
import record  # noqa: E402

HOST_DLL = REPO / "tests" / "ZeroBridge.TestHost" / "bin" / "Debug" / "net10.0" / "ZeroBridge.TestHost.dll"
START_DEADLINE = 120.0


def round_trip(client: zerobridge.Client, requests: int) -> float:
    """Sequential echo calls per second."""
    for _ in range(max(200, requests // 10)):
        client.call("echo", value=42)
    start = time.perf_counter()
    for _ in range(requests):
        client.call("echo", value=42)
    return requests / (time.perf_counter() - start)


def table(client: zerobridge.Client, rows: int) -> float:
    """Milliseconds for a ``rows``-row numeric table, server to DataFrame."""
    start = time.perf_counter()
    frame = client.call("tables.numbers", rows=rows)
    seconds = time.perf_counter() - start
    assert len(frame) == rows
    return seconds * 1000


def stream(control: zerobridge.Client, messages: int, keys: Optional[Path], encrypt: bool) -> float:
    """Messages per second received from a C# publisher sending as fast as it can."""
    info = control.call("stream.start", hwm=0, name="bench", snapshot="tcp://127.0.0.1:*",
                        cert=str(keys / "server.key_secret") if keys else None, encrypt=encrypt)
    curve = {"server_key": keys / "server.key"} if keys else {}
    received: Dict[str, Any] = {}
    ready = threading.Event()

    def receive() -> None:
        with zerobridge.subscribe(info["endpoint"], "bench", snapshot=info["snapshot"], hwm=0, timeout=30,
                                  silence=3600, **curve) as subscription:
            ready.set()
            count, first = 0, 0.0
            try:
                while count < messages:
                    subscription.receive(30)
                    if count == 0:
                        first = time.perf_counter()
                    count += 1
            except zerobridge.TimeoutError:
                pass
            received.update(n=count, seconds=time.perf_counter() - first, gaps=subscription.stats.gaps)

    thread = threading.Thread(target=receive)
    thread.start()
    ready.wait(60)  # the subscription has its snapshot: it is in place at the publisher
    control.call("stream.publish", id=info["id"], topic="bench", count=messages, timeout=600)
    thread.join(180)
    control.call("stream.stop", id=info["id"])
    if received.get("n") != messages:
        raise RuntimeError(f"the subscriber received {received.get('n')} of {messages} messages: {received}")
    return (messages - 1) / received["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=30_000)
    args = parser.parse_args()

    environment = record.environment()
    subprocess.run(["dotnet", "build", str(REPO / "tests" / "ZeroBridge.TestHost"), "-nologo", "-v", "quiet"], check=True)
    rounds: List[Dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        keys = Path(tmp)
        zmq.auth.create_certificates(tmp, "server")
        hosts = [ServerProcess(["dotnet", str(HOST_DLL), "--bind", "tcp://127.0.0.1:*", "--data", f"{tmp}/{name}.db", *extra])
                 for name, extra in (("plain", []), ("curve", ["--cert", str(keys / "server.key_secret")]))]
        try:
            plain_endpoint, curve_endpoint = (host.wait_ready(START_DEADLINE) for host in hosts)
            with zerobridge.connect(plain_endpoint, timeout=120) as plain, \
                    zerobridge.connect(curve_endpoint, timeout=120, server_key=keys / "server.key") as curve:
                cases: Dict[str, Callable[[], float]] = {
                    "roundtrip_plain": lambda: round_trip(plain, args.requests),
                    "roundtrip_curve": lambda: round_trip(curve, args.requests),
                    "table_plain_ms": lambda: table(plain, args.rows),
                    "table_curve_ms": lambda: table(curve, args.rows),
                    "stream_plain": lambda: stream(plain, args.messages, None, False),
                    "stream_curve": lambda: stream(plain, args.messages, keys, False),
                    "stream_curve_encrypted": lambda: stream(plain, args.messages, keys, True),
                }
                for number in range(args.rounds):
                    results = {name: measure() for name, measure in cases.items()}
                    rounds.append(results)
                    print(f"round {number + 1}: " + ", ".join(f"{k} {v:,.0f}" for k, v in results.items()), file=sys.stderr)
        finally:
            for host in hosts:
                host.stop()

    median = {name: statistics.median(r[name] for r in rounds) for name in rounds[0]}
    spread = {name: [min(r[name] for r in rounds), max(r[name] for r in rounds)] for name in rounds[0]}
    rows = [
        ("`call` echo, sequential (req/s)", "roundtrip_plain", "roundtrip_curve"),
        (f"{args.rows:,}-row table -> DataFrame (ms)", "table_plain_ms", "table_curve_ms"),
        ("stream, C# pub -> subscribe (msg/s)", "stream_plain", "stream_curve"),
        ("stream, CURVE + encrypted payloads (msg/s)", "stream_plain", "stream_curve_encrypted"),
    ]
    print("| case | plain | CURVE | CURVE / plain |")
    print("|---|---:|---:|---:|")
    for label, base, secured in rows:
        print(f"| {label} | {median[base]:,.0f} | {median[secured]:,.0f} | {median[secured] / median[base]:.2f} |")
    record.write("curve", {"options": vars(args), "environment": environment, "rounds": rounds, "median": median,
                           "min_max": spread})


if __name__ == "__main__":
    main()
