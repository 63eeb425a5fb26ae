#!/usr/bin/env python3
"""Tables from a C# process into a pandas DataFrame, four routes side by side in one run.

1. ZeroBridge columnar (the command returns a List of records; columnar layout, frombuffer);
2. the same rows as msgpack rows (the naive way: a list of row arrays, DataFrame built from them);
3. an ASP.NET Core minimal API returning JSON, read with urllib, json.loads, DataFrame;
4. the floor: the same number of bytes as raw frames over a plain NetMQ ROUTER -> pyzmq DEALER
   pair, received into numpy with frombuffer (no serialization on either side), sent with NetMQ's
   SendMultipartMessage (which copies each frame first, as plain NetMQ code does); and a strict
   floor: the same frames handed to the socket without the copy (Msg.InitGC), as the ZeroBridge
   server sends its replies.

Also the numeric+datetime columns alone (ZeroBridge vs a floor of their bytes) so the string
column's cost is reported separately, and the peak memory (RSS high-water mark) of both processes
for a 10-million-row ZeroBridge transfer (fresh processes). Usage:

    /usr/bin/python3 bench/tables.py [--rows 1000000] [--rounds 3] [--big-rows 10000000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import zmq  # noqa: E402

import zerobridge  # noqa: E402

COLUMNS = ["Id", "Amount", "Customer", "At", "Quantity"]
PLAIN_FLOOR = "floor: NetMQ SendMultipartMessage -> numpy"
STRICT_FLOOR = "strict floor: zero-copy send -> numpy"


class Process:
    """A bench server in its own process group; serves until its stdin closes."""

    def __init__(self, project: str) -> None:
        dll = build(project)
        self.proc = subprocess.Popen(["dotnet", str(dll)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, start_new_session=True)
        self.lines: Dict[str, str] = {}
        expected = 2 if project == "TablesServer" else 1
        deadline = time.monotonic() + 60
        while len(self.lines) < expected:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{project} did not start")
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{project} exited: {self.proc.wait()}")
            key, _, value = line.strip().partition(" ")
            self.lines[key] = value

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()


def build(project: str) -> Path:
    path = ROOT / "bench" / project
    result = subprocess.run(["dotnet", "build", "-c", "Release", "-nologo", "-v", "q", str(path)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"build of {project} failed:\n{result.stdout[-3000:]}")
    return next(path.glob(f"bin/Release/net*/{project}.dll"))


def best(rounds: int, run: Callable[[], Any]) -> float:
    run()  # warm-up
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def floor_receive(sock: zmq.Socket, rows: int, numeric: bool, copy: bool = False) -> List[Any]:
    sock.send_multipart([b"", f"{rows} {1 if numeric else 0} {1 if copy else 0}".encode()])
    frames = sock.recv_multipart(copy=False)[1:]
    dtypes = ["<i8", "<f8", "<i8", "<i4", "?", "<i4", "u1"]
    return [np.frombuffer(f.buffer, dtype=d) for f, d in zip(frames, dtypes)]


def json_frame(base: str, rows: int) -> pd.DataFrame:
    with urllib.request.urlopen(f"{base}/sales?rows={rows}", timeout=300) as response:
        records = json.loads(response.read())
    frame = pd.DataFrame.from_records(records)
    frame["at"] = pd.to_datetime(frame["at"])
    frame["quantity"] = frame["quantity"].astype("Int32")
    return frame


def rows_frame(client: zerobridge.Client, rows: int) -> pd.DataFrame:
    frame = pd.DataFrame(client.call("bench.rows", rows=rows), columns=COLUMNS)
    frame["At"] = pd.to_datetime(frame["At"])
    frame["Quantity"] = frame["Quantity"].astype("Int32")
    return frame


def big_transfer(rows: int) -> None:
    """Child mode: one 10M-row columnar call in fresh processes; prints the peak RSS of both."""
    server = Process("TablesServer")
    try:
        with zerobridge.connect(server.lines["zerobridge"], timeout=600, progress=False) as client:
            start = time.perf_counter()
            frame = client.call("bench.columnar", rows=rows)
            seconds = time.perf_counter() - start
            assert len(frame) == rows
        python_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        frame_mb = frame.memory_usage(deep=False, index=False).sum() / 2**20
        print(json.dumps({"seconds": seconds, "python_peak_mb": python_mb,
                          "server_peak_mb": server.peak_rss_mb(), "frame_numeric_mb": frame_mb}))
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--big-rows", type=int, default=10_000_000)
    parser.add_argument("--big-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.big_child:
        big_transfer(args.big_child)
        return

    rows, rounds = args.rows, args.rounds
    server, web = Process("TablesServer"), Process("TablesJsonApi")
    context = zmq.Context()
    try:
        client = zerobridge.connect(server.lines["zerobridge"], timeout=600, progress=False)
        floor = context.socket(zmq.DEALER)
        floor.setsockopt(zmq.LINGER, 0)
        floor.connect(server.lines["floor"])
        check = client.call("bench.columnar", rows=1000)
        assert list(check.columns) == COLUMNS and str(check["At"].dtype) == "datetime64[ns]"

        results = {
            "ZeroBridge columnar": best(rounds, lambda: client.call("bench.columnar", rows=rows)),
            "msgpack rows (naive)": best(rounds, lambda: rows_frame(client, rows)),
            "ASP.NET Core JSON + urllib": best(max(1, rounds - 1), lambda: json_frame(web.lines["json"], rows)),
            PLAIN_FLOOR: best(rounds, lambda: floor_receive(floor, rows, False, copy=True)),
            STRICT_FLOOR: best(rounds, lambda: floor_receive(floor, rows, False)),
        }
        distinct = best(rounds, lambda: client.call("bench.columnar_distinct", rows=rows))
        numeric = {
            "ZeroBridge columnar": best(rounds, lambda: client.call("bench.columnar_numeric", rows=rows)),
            "ZeroBridge columnar, TableBuilder arrays": best(
                rounds, lambda: client.call("bench.arrays_numeric", rows=rows)),
            PLAIN_FLOOR: best(rounds, lambda: floor_receive(floor, rows, True, copy=True)),
            STRICT_FLOOR: best(rounds, lambda: floor_receive(floor, rows, True)),
        }
        client.close()
    finally:
        context.destroy(linger=0)
        server.stop()
        web.stop()

    floor_s, strict_s = results[PLAIN_FLOOR], results[STRICT_FLOOR]
    json_s = results["ASP.NET Core JSON + urllib"]
    print(f"\n{rows:,} rows (int64 id, float64 amount, ~12-char string, datetime, nullable int32); "
          f"best of {rounds}\n")
    print("| route | time | x floor | x strict floor | JSON / route |")
    print("|---|---:|---:|---:|---:|")
    results["ZeroBridge columnar, every name distinct"] = distinct
    for name, seconds in results.items():
        print(f"| {name} | {seconds * 1000:,.1f} ms | {seconds / floor_s:.2f} | {seconds / strict_s:.2f} | "
              f"{json_s / seconds:.1f} |")
    print(f"\nnumeric + datetime columns only (the string column left out):\n")
    print("| route | time | x floor | x strict floor |")
    print("|---|---:|---:|---:|")
    for name, seconds in numeric.items():
        print(f"| {name} | {seconds * 1000:,.1f} ms | {seconds / numeric[PLAIN_FLOOR]:.2f} | "
              f"{seconds / numeric[STRICT_FLOOR]:.2f} |")
    zb_n = numeric["ZeroBridge columnar"]
    string_cost = results["ZeroBridge columnar"] - zb_n
    print(f"\nstring column's extra cost: {string_cost * 1000:,.1f} ms "
          f"({string_cost / results['ZeroBridge columnar'] * 100:.0f}% of the columnar total); "
          f"with every name distinct: {(distinct - zb_n) * 1000:,.1f} ms")

    if args.big_rows <= 0:
        return  # --big-rows 0: skip the large-table run
    child = subprocess.run([sys.executable, __file__, "--big-child", str(args.big_rows)],
                           capture_output=True, text=True)
    if child.returncode != 0:
        print(f"\n10M-row run failed:\n{child.stderr[-3000:]}")
        return
    big = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"\n{args.big_rows:,} rows, ZeroBridge columnar (chunked in 64 MiB row groups), fresh processes: "
          f"{big['seconds']:.2f} s; peak RSS: Python {big['python_peak_mb']:,.0f} MB, "
          f"C# server {big['server_peak_mb']:,.0f} MB (the DataFrame's numeric buffers: "
          f"{big['frame_numeric_mb']:,.0f} MB, plus its string objects)")


if __name__ == "__main__":
    main()
