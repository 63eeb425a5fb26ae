"""Compile-and-run latency of C# scripts (csharp.run) beside a plain command round trip, in one run.

    /usr/bin/python3 bench/scripting.py [--runs N]

Starts `./zbridge demo --allow-scripts` on an ephemeral port (the server warms Roslyn up in the background at start)
and measures, from the Python client:
  first   the very first script after the server is ready (`1 + 1`): Roslyn's cold start as a user meets it
  warm    the same small snippet again and again (`Orders.Recent(3).Count`)
  fresh   a different snippet every time (`Orders.Recent(3).Count + i`): what compiling costs once warm
  ping    the built-in ping: the transport's round trip, the baseline
Reports the median in ms and each as a ratio to ping.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

import zerobridge  # noqa: E402


def start_demo(data: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([str(REPO / "zbridge"), "demo", "--allow-scripts", "--bind", "tcp://127.0.0.1:*", "--data", str(data)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.monotonic() + 300
    assert process.stdout is not None
    for line in process.stdout:
        match = re.search(r"Listening on (tcp://\S+)", line)
        if match:
            return process, match.group(1)
        if time.monotonic() > deadline:
            break
    process.kill()
    raise SystemExit("the demo did not start")


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        process, endpoint = start_demo(Path(folder) / "demo.db")
        try:
            with zerobridge.connect(endpoint, timeout=120) as client:
                first = timed(lambda: client.run_csharp("1 + 1", echo=False))
                warm = [timed(lambda: client.run_csharp("Orders.Recent(3).Count", echo=False)) for _ in range(options.runs)]
                fresh = [timed(lambda i=i: client.run_csharp(f"Orders.Recent(3).Count + {i}", echo=False)) for i in range(options.runs)]
                ping = [timed(client.ping) for _ in range(options.runs * 10)]
        finally:
            process.terminate()
            process.wait(30)
    base = statistics.median(ping)
    rows = {"first (cold)": [first], "warm, same snippet": warm, "warm, new snippet each time": fresh, "ping (baseline)": ping}
    print("| what | median ms | ratio to ping |\n|---|---|---|")
    results = {}
    for name, samples in rows.items():
        median = statistics.median(samples)
        results[name] = {"median_ms": median, "ratio_to_ping": median / base, "samples": len(samples)}
        print(f"| {name} | {median:.2f} | {median / base:.0f}x |")
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "scripting-latest.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
