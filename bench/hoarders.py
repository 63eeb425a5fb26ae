#!/usr/bin/env python3
"""Peers that hold a server's resources without using them (issue 12, items 9 and 11), against `zbridge demo` with
its default ConnectionLimits: silent TCP connections that never start the ZeroMQ handshake, and clients that ask for
big replies and never read them. Reports when the server closed each, its open descriptors and resident memory over
time, and how a prober's pings fared meanwhile.

    /usr/bin/python3 bench/hoarders.py [--silent 200] [--readers 2] [--requests 20] [--rows 100000]

Each reader is a DEALER taking at most one message (RCVHWM 1) that sends --requests `sql.query` calls of --rows rows
of 100 characters (about 10 MB each) and never reads; the replies then wait in the server. Raw results (with the
series) go to bench/results/.
"""

from __future__ import annotations

import argparse
import os
import select
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "python"), str(ROOT / "python" / "tests"), str(ROOT / "bench")]

import zmq  # noqa: E402

from fuzzing import rss  # noqa: E402
from record import environment, write  # noqa: E402
from support import ServerProcess, mdp_reply, mdp_request, recv_multipart  # noqa: E402

ZBRIDGE = ROOT / "zbridge"
MIB = 1024 * 1024


def descriptors(process: ServerProcess) -> int:
    """Open file descriptors of the process (sockets among them)."""
    try:
        return len(os.listdir(f"/proc/{process.process.pid}/fd"))
    except OSError:
        return 0


def ping_ms(prober: zmq.Socket, request_id: int) -> float:
    """One ping's round trip in milliseconds (fails after the support module's receive timeout)."""
    start = time.perf_counter()
    prober.send_multipart(mdp_request({"v": 1, "id": request_id, "cmd": "ping"}))
    header, payload = mdp_reply(recv_multipart(prober))
    assert header["id"] == request_id and payload == "pong", (header, payload)
    return (time.perf_counter() - start) * 1000


def silent_connections(server: ServerProcess, host: str, port: int, count: int) -> Dict[str, Any]:
    """Opens ``count`` connections that send nothing; when the server closed each, and its descriptors meanwhile."""
    before = descriptors(server)
    opened = time.monotonic()
    peers = [socket.create_connection((host, port)) for _ in range(count)]
    open_fds = descriptors(server)
    closed_after: List[float] = []
    pending = {peer.fileno(): peer for peer in peers}
    while pending and time.monotonic() - opened < 120:
        readable, _, _ = select.select(list(pending), [], [], 1.0)
        for fd in readable:
            try:
                data = pending[fd].recv(4096)  # the server's half of the greeting, then the close
            except ConnectionResetError:
                data = b""
            if not data:
                closed_after.append(time.monotonic() - opened)
                pending.pop(fd).close()
    for peer in pending.values():
        peer.close()
    time.sleep(2)  # let the server finish closing what it closed, before counting its descriptors
    return {
        "connections": count, "closed_by_server": len(closed_after), "still_open_after_120_s": len(pending),
        "closed_after_s": {"min": min(closed_after, default=None), "median": statistics.median(closed_after) if closed_after else None,
                           "max": max(closed_after, default=None)},
        "server_descriptors": {"before": before, "with_connections_open": open_fds, "after": descriptors(server)},
    }


def unread_replies(server: ServerProcess, readers: int, requests: int, rows: int) -> Dict[str, Any]:
    """Readers that ask for big replies and never read; the server's memory over time and a prober's pings."""
    context = zmq.Context.instance()
    sql = ("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < %d) "
           "SELECT x, printf('%%100s', x) AS text FROM n" % rows)
    prober = context.socket(zmq.DEALER)
    prober.linger = 0
    prober.connect(server.endpoint)
    ping_ms(prober, 0)
    greedy = []
    for _ in range(readers):
        reader = context.socket(zmq.DEALER)
        reader.linger = 0
        reader.rcvhwm = 1
        reader.connect(server.endpoint)
        greedy.append(reader)
    rss_start = rss(server)
    start = time.monotonic()
    for reader in greedy:
        for i in range(requests):
            reader.send_multipart(mdp_request({"v": 1, "id": i + 1, "cmd": "sql.query", "timeout": 600_000}, [[sql], {}]))
    series: List[Dict[str, float]] = []
    pings: List[float] = []
    closed_at = None
    lines_before = len(server.output)
    while time.monotonic() - start < 90:
        elapsed = time.monotonic() - start
        pings.append(ping_ms(prober, len(pings) + 1))
        series.append({"t": round(elapsed, 2), "rss_mib": round(rss(server) / MIB, 1)})
        closures = sum("it read less than" in line for line in server.output[lines_before:])
        if closures >= readers and closed_at is None:
            closed_at = elapsed
        if closed_at is not None and elapsed > closed_at + 15:
            break
        time.sleep(0.5)  # sampling interval of a measurement, not synchronisation
    for reader in greedy:
        reader.close(0)
    prober.close(0)
    peak = max(point["rss_mib"] for point in series)
    return {
        "readers": readers, "requests_each": requests, "rows_each": rows,
        "closed_for_not_reading": sum("it read less than" in line for line in server.output[lines_before:]),
        "all_closed_after_s": closed_at,
        "rss_mib": {"start": round(rss_start / MIB, 1), "peak": peak, "end": series[-1]["rss_mib"]},
        "ping_ms": {"median": round(statistics.median(pings), 2), "max": round(max(pings), 2), "count": len(pings)},
        "series": series,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--silent", type=int, default=200, help="silent connections (default 200)")
    parser.add_argument("--readers", type=int, default=2, help="clients that never read (default 2)")
    parser.add_argument("--requests", type=int, default=20, help="requests per reader (default 20)")
    parser.add_argument("--rows", type=int, default=100_000, help="rows of each reply, 100 characters each (default 100000)")
    options = parser.parse_args()
    document: Dict[str, Any] = {"environment": environment(), "arguments": vars(options)}
    with tempfile.TemporaryDirectory() as folder:
        server = ServerProcess([str(ZBRIDGE), "demo", "--bind", "tcp://127.0.0.1:*", "--data", str(Path(folder) / "demo.db")])
        try:
            server.wait_ready(600)
            host, port = server.endpoint.removeprefix("tcp://").rsplit(":", 1)
            document["silent"] = silent_connections(server, host, int(port), options.silent)
            print("silent:", {k: v for k, v in document["silent"].items()}, flush=True)
            document["unread_replies"] = unread_replies(server, options.readers, options.requests, options.rows)
            print("unread replies:", {k: v for k, v in document["unread_replies"].items() if k != "series"}, flush=True)
            document["server_alive_at_end"] = server.process.poll() is None
        finally:
            server.stop()
    write("hoarders", document)
    return 0


if __name__ == "__main__":
    sys.exit(main())
