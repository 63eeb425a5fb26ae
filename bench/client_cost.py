#!/usr/bin/python3
"""What does the Python client itself cost per call? CPU of the calling process per ``call("echo")`` and per
``acall("echo")`` with 8 in flight, for this checkout's ``zerobridge`` package and for the one at a git ref,
beside a hand-written pyzmq DEALER doing the same round trip, against one ``zbridge demo`` server.

    /usr/bin/python3 bench/client_cost.py --baseline HEAD~3          # 5 interleaved rounds of 3000 calls
    /usr/bin/python3 bench/client_cost.py --baseline main --rounds 7 --calls 5000

Every measurement runs in a fresh Python process pinned to the first CPU (the server too), the packages and the
pyzmq reference take turns in every round, and each reports its median round. The CPU is the client process's
(``time.process_time``: its Python thread and libzmq's I/O thread), which machine load disturbs far less than
wall time, and that of its Python thread alone (``time.thread_time``: what the package's code decides; the I/O
thread's share is the same for every row); wall time per call is reported beside them. The server is the same for all, so differences between the
rows are the client's. Raw results go to ``bench/results/client_cost-<UTC time>.json`` (bench/record.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "python" / "tests"))
sys.path.insert(0, str(HERE))

from support import ServerProcess  # noqa: E402

import record  # noqa: E402

# One measurement, run as `python -c MEASURE <package parent> <endpoint> <kind> <calls>`; prints
# [process CPU µs, wall µs, Python thread CPU µs] per call.
MEASURE = r'''
import asyncio, itertools, json, sys, time
sys.path.insert(0, sys.argv[1])
path, endpoint, kind, n = sys.argv[1:5]
n = int(n)
if kind == "pyzmq":
    import msgpack, zmq
    socket = zmq.Context().socket(zmq.DEALER)
    socket.connect(endpoint)
    ids = itertools.count(1)
    def call():
        socket.send_multipart([b"", b"MDPC01", b"zerobridge", msgpack.packb({"v": 1, "id": next(ids), "cmd": "echo"}),
                               msgpack.packb([[], {"value": 42}])])
        reply = socket.recv_multipart()
        assert msgpack.unpackb(reply[3])["ok"] and msgpack.unpackb(reply[4]) == 42
else:
    import zerobridge
    client = zerobridge.connect(endpoint, timeout=30)
    def call():
        assert client.call("echo", value=42) == 42
if kind == "acall":
    async def worker(count):
        for _ in range(count):
            assert await client.acall("echo", value=42) == 42
    async def run(count):
        await asyncio.gather(*(worker(count // 8) for _ in range(8)))
    asyncio.run(run(max(800, n // 10)))
    cpu, wall, thread = time.process_time(), time.perf_counter(), time.thread_time()
    asyncio.run(run(n))
else:
    for _ in range(max(300, n // 10)):
        call()
    cpu, wall, thread = time.process_time(), time.perf_counter(), time.thread_time()
    for _ in range(n):
        call()
print(json.dumps([(time.process_time() - cpu) / n * 1e6, (time.perf_counter() - wall) / n * 1e6,
                  (time.thread_time() - thread) / n * 1e6]))
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", required=True, help="git ref whose python/zerobridge is compared (e.g. main)")
    parser.add_argument("--calls", type=int, default=3000, help="measured calls per row and round (default 3000)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    args = parser.parse_args()
    cpu = sorted(os.sched_getaffinity(0))[0]
    environment = record.environment()
    tmp = Path(tempfile.mkdtemp(prefix="zb-client-cost-"))
    server = None
    try:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", args.baseline, "python/zerobridge"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
        packages = {f"{args.baseline}": str(tmp / "python"), "this checkout": str(REPO / "python")}
        server = ServerProcess([str(REPO / "zbridge"), "demo", "--bind", "tcp://127.0.0.1:*",
                                "--data", str(tmp / "demo.db")], REPO, {cpu})
        endpoint = server.wait_ready(180.0)
        rows = [("pyzmq DEALER, hand-made frames", "this checkout", "pyzmq")]
        rows += [(f"call, {name}", name, "call") for name in packages]
        rows += [(f"acall x8, {name}", name, "acall") for name in packages]
        rounds: Dict[str, List[List[float]]] = {label: [] for label, _, _ in rows}
        for number in range(1, args.rounds + 1):
            for label, package, kind in rows:
                output = subprocess.run(["taskset", "-c", str(cpu), sys.executable, "-c", MEASURE, packages[package],
                                         endpoint, kind, str(args.calls)],
                                        check=True, capture_output=True, text=True, timeout=600).stdout
                rounds[label].append(json.loads(output))
                process, wall, thread = rounds[label][-1]
                print(f"round {number}: {label}: {process:,.1f} µs CPU ({thread:,.1f} in its Python thread), "
                      f"{wall:,.1f} µs wall per call", file=sys.stderr)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    results = {label: {"cpu_us": statistics.median(r[0] for r in runs), "wall_us": statistics.median(r[1] for r in runs),
                       "thread_cpu_us": statistics.median(r[2] for r in runs), "rounds": runs}
               for label, runs in rounds.items()}
    print(f"\n{args.calls} calls of echo(42) per row and round, median of {args.rounds} interleaved rounds, "
          f"client and server on CPU {cpu}\n")
    print("| client | CPU µs per call (min-max) | Python thread CPU µs (min-max) | wall µs per call |")
    print("|---|---:|---:|---:|")
    for label, result in results.items():
        cpus = [r[0] for r in result["rounds"]]
        threads = [r[2] for r in result["rounds"]]
        print(f"| {label} | {result['cpu_us']:,.1f} ({min(cpus):,.0f}-{max(cpus):,.0f}) "
              f"| {result['thread_cpu_us']:,.1f} ({min(threads):,.0f}-{max(threads):,.0f}) | {result['wall_us']:,.1f} |")
    record.write("client_cost", {"options": vars(args), "environment": environment, "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
