#!/usr/bin/env python3
"""Tables from a C# process into a pandas DataFrame, four routes side by side in one run.

1. ZeroBridge columnar (the command returns a List of records; columnar layout, frombuffer);
2. the same rows as msgpack rows (the naive way: a list of row arrays, DataFrame built from them);
3. an ASP.NET Core minimal API returning JSON, read with urllib, json.loads, DataFrame;
4. the floor: exactly the frames the ZeroBridge reply has (same count, same sizes: measured from a real
   reply, so dictionary-encoded strings give a dictionary-sized floor) as raw frames over a plain NetMQ
   ROUTER -> pyzmq DEALER pair, received into numpy with frombuffer (no serialization on either side),
   sent with NetMQ's SendMultipartMessage (which copies each frame first, as plain NetMQ code does); and
   a strict floor: the same frames handed to the socket without the copy (Msg.InitGC), as the ZeroBridge
   server sends its replies. Every ZeroBridge row is compared with the floors of its own bytes.

Also the numeric+datetime columns alone so the string column's cost is reported separately, and the
peak memory (RSS high-water mark) of both processes for a 10-million-row ZeroBridge transfer (fresh
processes). Every route runs once per round, all routes interleaved round by round, the same rounds
for all (after one warm-up round); each reports its median with the min-max of its rounds. Usage:

    /usr/bin/python3 bench/tables.py [--rows 1000000] [--rounds 5] [--big-rows 10000000]

Pin the whole run with taskset (children inherit it; the JSON records the affinity).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
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

import msgpack  # noqa: E402

import zerobridge  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import dotnet_projects  # noqa: E402
import record  # noqa: E402

COLUMNS = ["Id", "Amount", "Customer", "At", "Quantity"]
PLAIN_FLOOR = "floor: NetMQ SendMultipartMessage -> numpy"
STRICT_FLOOR = "strict floor: zero-copy send -> numpy"


class Process:
    """A bench server in its own process group; serves until its stdin closes."""

    def __init__(self, project: str) -> None:
        dll = dotnet_projects.build(project)
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


def interleaved(rounds: int, routes: Dict[str, Callable[[], Any]]) -> Dict[str, List[float]]:
    """Seconds of every route in every round: one warm-up round, then ``rounds`` rounds of every route in turn,
    so a burst of machine noise spoils one round of several routes rather than every round of one."""
    for run in routes.values():
        run()
    times: Dict[str, List[float]] = {name: [] for name in routes}
    for _ in range(rounds):
        for name, run in routes.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times


def reply_sizes(endpoint: str, command: str, rows: int) -> List[int]:
    """The sizes of the frames of a ZeroBridge reply (header, payload, attachments), as the client asks for it
    (with dictionary-encoded strings accepted)."""
    context = zmq.Context.instance()
    sock = context.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    try:
        sock.connect(endpoint)
        header = {"v": 1, "id": 1, "cmd": command, "accept": ["dict"]}
        sock.send_multipart([b"", b"MDPC01", b"zerobridge", msgpack.packb(header),
                             msgpack.packb([[], {"rows": rows}])])
        if not sock.poll(600_000):
            raise RuntimeError(f"no reply to {command}")
        frames = sock.recv_multipart(copy=False)
        reply = msgpack.unpackb(frames[3].bytes)
        if not reply.get("ok") or reply.get("more"):
            raise RuntimeError(f"{command}: not one complete reply ({reply})")
        return [len(f.buffer) for f in frames[3:]]
    finally:
        sock.close(linger=0)


def floor_receive(sock: zmq.Socket, sizes: List[int], copy: bool = False) -> List[Any]:
    sock.send_multipart([b"", " ".join(map(str, [1 if copy else 0, *sizes])).encode()])
    frames = sock.recv_multipart(copy=False)[1:]
    return [np.frombuffer(f.buffer, dtype="u1") for f in frames]


def summary(times: List[float]) -> Dict[str, float]:
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "rounds_s": times}


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
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--big-rows", type=int, default=10_000_000)
    parser.add_argument("--big-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.big_child:
        big_transfer(args.big_child)
        return

    rows, rounds = args.rows, args.rounds
    environment = record.environment()
    server, web = Process("TablesServer"), Process("TablesJsonApi")
    context = zmq.Context()
    try:
        client = zerobridge.connect(server.lines["zerobridge"], timeout=600, progress=False)
        floor = context.socket(zmq.DEALER)
        floor.setsockopt(zmq.LINGER, 0)
        floor.connect(server.lines["floor"])
        check = client.call("bench.columnar", rows=1000)
        assert list(check.columns) == COLUMNS and str(check["At"].dtype) == "datetime64[ns]"
        commands = {"main": "bench.columnar", "distinct": "bench.columnar_distinct",
                    "numeric": "bench.columnar_numeric", "arrays": "bench.arrays_numeric"}
        sizes = {key: reply_sizes(server.lines["zerobridge"], command, rows) for key, command in commands.items()}

        def zb(command: str) -> Callable[[], Any]:
            return lambda: client.call(command, rows=rows)

        def floors(key: str) -> Dict[str, Callable[[], Any]]:
            return {f"{PLAIN_FLOOR} [{key}]": lambda: floor_receive(floor, sizes[key], copy=True),
                    f"{STRICT_FLOOR} [{key}]": lambda: floor_receive(floor, sizes[key])}

        routes: Dict[str, Callable[[], Any]] = {
            "ZeroBridge columnar": zb("bench.columnar"),
            "msgpack rows (naive)": lambda: rows_frame(client, rows),
            "ASP.NET Core JSON + urllib": lambda: json_frame(web.lines["json"], rows),
            "ZeroBridge columnar, every name distinct": zb("bench.columnar_distinct"),
            "numeric + datetime, from records": zb("bench.columnar_numeric"),
            "numeric + datetime, from TableBuilder arrays": zb("bench.arrays_numeric"),
        }
        for key in commands:
            routes.update(floors(key))
        times = interleaved(rounds, routes)
        client.close()
    finally:
        context.destroy(linger=0)
        server.stop()
        web.stop()

    results = {name: summary(t) for name, t in times.items()}
    median = {name: r["median_s"] for name, r in results.items()}
    own = {"ZeroBridge columnar": "main", "ZeroBridge columnar, every name distinct": "distinct",
           "numeric + datetime, from records": "numeric", "numeric + datetime, from TableBuilder arrays": "arrays"}
    json_s = median["ASP.NET Core JSON + urllib"]
    print(f"\n{rows:,} rows (int64 id, float64 amount, ~12-char string, datetime, nullable int32); median of "
          f"{rounds} interleaved rounds (min-max); each ZeroBridge row against the floors of its own reply bytes\n")
    print("| route | reply bytes | time ms (min-max) | x floor | x strict floor | JSON / route |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        key = own.get(name)
        size = f"{sum(sizes[key]):,}" if key else ""
        ratios = (f"{r['median_s'] / median[f'{PLAIN_FLOOR} [{key}]']:.2f} | "
                  f"{r['median_s'] / median[f'{STRICT_FLOOR} [{key}]']:.2f}") if key else " | "
        print(f"| {name} | {size} | {r['median_s'] * 1000:,.1f} ({r['min_s'] * 1000:,.1f}-{r['max_s'] * 1000:,.1f}) | "
              f"{ratios} | {json_s / r['median_s']:.1f} |")
    string_cost = median["ZeroBridge columnar"] - median["numeric + datetime, from records"]
    print(f"\nstring column's extra cost (medians): {string_cost * 1000:,.1f} ms "
          f"({string_cost / median['ZeroBridge columnar'] * 100:.0f}% of the columnar total); with every name "
          f"distinct: {(median['ZeroBridge columnar, every name distinct'] - median['numeric + datetime, from records']) * 1000:,.1f} ms")

    document: Dict[str, Any] = {"rows": rows, "rounds": rounds, "environment": environment,
                                "reply_frame_sizes": sizes, "results": results}
    if args.big_rows > 0:
        document["big"] = big_run(args.big_rows)
    record.write("tables", document)


def big_run(big_rows: int) -> Dict[str, Any]:
    child = subprocess.run([sys.executable, __file__, "--big-child", str(big_rows)],
                           capture_output=True, text=True)
    if child.returncode != 0:
        print(f"\n{big_rows:,}-row run failed:\n{child.stderr[-3000:]}")
        return {"failed": child.stderr[-3000:]}
    big = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"\n{big_rows:,} rows, ZeroBridge columnar (chunked in 64 MiB row groups), fresh processes: "
          f"{big['seconds']:.2f} s; peak RSS: Python {big['python_peak_mb']:,.0f} MB, "
          f"C# server {big['server_peak_mb']:,.0f} MB (the DataFrame's numeric buffers: "
          f"{big['frame_numeric_mb']:,.0f} MB, plus its string objects)")
    return big


if __name__ == "__main__":
    main()
