#!/usr/bin/env python3
"""Streams and tasks, each beside a plain-Python baseline in the same run (see bench/README.md).

1. msgs/s: C# publisher (the test host's stream.publish) -> zerobridge.subscribe, beside pyzmq PUB -> pyzmq SUB
   sending the same three msgpack frames; small values, and batches of 100 values per message.
2. end-to-end latency (publish -> subscriber has the decoded value), one message every ~2 ms, same pairs; both
   publishers pace their messages in their own process (the C# one in the test host), so the subscriber's process
   only receives in both cases.
3. task throughput with 1, 2, 4 Python workers for tiny tasks, beside multiprocessing.Pool.imap_unordered
   (chunksize 1) with as many processes, in interleaved rounds: ZeroBridge with the defaults, with prefetch 2 and the
   kind declared non-blocking, and batched (chunksize 100, beside the Pool with chunksize 100 too); and the floor of
   the transport: a bare pyzmq ROUTER producer and DEALER workers echoing with the same credit (no ZeroBridge code).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(REPO / "python" / "tests"))

import msgpack  # noqa: E402
import zmq  # noqa: E402

import zerobridge  # noqa: E402
from support import ServerProcess  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
import record  # noqa: E402

PACE_MS = 2
HOST_DLL = REPO / "tests" / "ZeroBridge.TestHost" / "bin" / "Debug" / "net10.0" / "ZeroBridge.TestHost.dll"

PYZMQ_PUBLISHER = r"""
import sys, time, msgpack, zmq
endpoint, count, batch, paced = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
PACE_MS = 2
sock = zmq.Context().socket(zmq.PUB)
sock.setsockopt(zmq.SNDHWM, 0)
sock.bind(endpoint)
print(sock.getsockopt(zmq.LAST_ENDPOINT).decode(), flush=True)
time.sleep(1.0)   # let the subscriber connect (baseline only; plain PUB has no welcome)
epoch = int(time.time() * 1e6)
for i in range(count):
    now = int(time.time() * 1e6)
    value = {"i": i, "pad": "", "sent": now} if batch <= 1 else [{"i": i * batch + j, "pad": ""} for j in range(batch)]
    header = msgpack.packb({"v": 1, "kind": "data", "pub": "py", "epoch": epoch, "ts": now, "hbi": 1000, "seq": i + 1})
    sock.send_multipart([b"bench", header, msgpack.packb(value)])
    if paced:
        time.sleep(PACE_MS / 1000)
time.sleep(1.0)
"""


def _square(x: int) -> int:
    return x * x


WORKER = r"""
import sys, zerobridge
prefetch, non_blocking = int(sys.argv[2]), sys.argv[3] == "1"
zerobridge.task_worker(sys.argv[1], {"square": lambda x: x * x}, prefetch=prefetch,
                       non_blocking=["square"] if non_blocking else [])
"""

FLOOR_WORKER = r"""
import sys, msgpack, zmq
sock = zmq.Context().socket(zmq.DEALER)
sock.connect(sys.argv[1])
sock.send(b"ready")
while True:
    frames = sock.recv_multipart()
    if frames[0] == b"stop":
        break
    x = msgpack.unpackb(frames[-1])
    sock.send_multipart([*frames[:-1], msgpack.packb(x * x)])
"""

# The task rows: (label, prefetch, non-blocking, chunksize).
TASK_ROWS = (("defaults", 0, False, 1), ("prefetch 2, non-blocking", 2, True, 1), ("chunksize 100", 0, False, 100))


def receive_zerobridge(endpoint: str, count: int, out: Dict[str, Any], ready: threading.Event) -> None:
    sub = zerobridge.subscribe(endpoint, "bench", hwm=0, timeout=10)
    sub._core.silence = 3600  # noqa: SLF001 - no silence warnings while the publisher is busy
    latencies: List[float] = []
    n = 0
    first = last = 0.0
    cpu = time.thread_time()
    ready.set()
    try:
        while n < count:
            message = sub.receive(20)
            now = time.time()
            if n == 0:
                first = time.perf_counter()
            n += 1
            latencies.append(now - message.time.timestamp())
        last = time.perf_counter()
    except zerobridge.TimeoutError:
        last = time.perf_counter()
    out.update(n=n, seconds=last - first, latencies=latencies, gaps=sub.stats.gaps, cpu=time.thread_time() - cpu)
    sub.close()


def receive_pyzmq(endpoint: str, count: int, out: Dict[str, Any], ready: threading.Event) -> None:
    sock = zmq.Context.instance().socket(zmq.SUB)
    sock.setsockopt(zmq.RCVHWM, 0)
    sock.setsockopt(zmq.SUBSCRIBE, b"bench")
    sock.connect(endpoint)
    ready.set()
    latencies: List[float] = []
    n = 0
    first = last = 0.0
    cpu = time.thread_time()
    while n < count:
        if not sock.poll(20000):
            break
        topic, header, value = sock.recv_multipart()
        now = time.time()
        header = msgpack.unpackb(header)
        msgpack.unpackb(value)
        if n == 0:
            first = time.perf_counter()
        n += 1
        latencies.append(now - header["ts"] / 1e6)
    last = time.perf_counter()
    out.update(n=n, seconds=last - first, latencies=latencies, gaps=0, cpu=time.thread_time() - cpu)
    sock.close(linger=0)


def stream_zerobridge(client: zerobridge.Client, count: int, batch: int, paced: bool,
                      publish_batch: bool = False) -> Dict[str, Any]:
    """``count`` messages of ``batch`` values each: one list value per message, or with ``publish_batch`` a
    ``PublishBatch`` whose values the subscriber yields one by one (then ``n`` counts values)."""
    info = client.call("stream.start", snapshot="", hwm=0, name="bench")
    out: Dict[str, Any] = {}
    ready = threading.Event()
    expected = count * batch if publish_batch else count
    thread = threading.Thread(target=receive_zerobridge, args=(info["endpoint"], expected, out, ready))
    thread.start()
    ready.wait()
    time.sleep(1.0)  # let the subscription reach the publisher (same grace as the baseline)
    # Paced or not, the C# publisher's own process sends (and paces) the values, as the baseline's publisher
    # process does: this process only receives.
    started = time.perf_counter()
    client.call("stream.publish", id=info["id"], topic="bench", count=count, batch=batch,
                interval_ms=PACE_MS if paced else 0, publish_batch=publish_batch, timeout=600)
    publishing = time.perf_counter() - started  # the C# publisher's own pace (its sends are queued, not waited for)
    thread.join(120)
    out["publish_seconds"] = publishing
    client.call("stream.stop", id=info["id"])
    return out


def stream_pyzmq(count: int, batch: int, paced: bool) -> Dict[str, Any]:
    publisher = subprocess.Popen([sys.executable, "-c", PYZMQ_PUBLISHER, "tcp://127.0.0.1:*", str(count), str(batch),
                                  "1" if paced else "0"], stdout=subprocess.PIPE, text=True)
    endpoint = publisher.stdout.readline().strip()  # the port the system gave it, still bound
    out: Dict[str, Any] = {}
    ready = threading.Event()
    thread = threading.Thread(target=receive_pyzmq, args=(endpoint, count, out, ready))
    thread.start()
    thread.join(120)
    publisher.wait(60)
    return out


def tasks_zerobridge(workers: int, count: int, prefetch: int, non_blocking: bool, chunksize: int) -> float:
    with zerobridge.TaskProducer("tcp://127.0.0.1:*") as producer:
        env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
        processes = [subprocess.Popen([sys.executable, "-c", WORKER, producer.endpoint, str(prefetch),
                                       "1" if non_blocking else "0"], env=env)
                     for _ in range(workers)]
        try:
            producer.wait_for_workers(workers, timeout=30)
            producer.map("square", range(50), progress=False)  # warm-up
            start = time.perf_counter()
            values = producer.map("square", range(count), progress=False, timeout=600, chunksize=chunksize)
            seconds = time.perf_counter() - start
            assert values == [x * x for x in range(count)]
        finally:
            for process in processes:
                process.terminate()
                process.wait(10)
    return count / seconds


def tasks_pool(workers: int, count: int, chunksize: int = 1) -> float:
    """``multiprocessing.Pool.imap_unordered(f, items, chunksize)``: the issue's baseline (chunksize 1)."""
    with multiprocessing.Pool(workers) as pool:
        list(pool.imap_unordered(_square, range(50), chunksize=1))
        start = time.perf_counter()
        done = sum(1 for _ in pool.imap_unordered(_square, range(count), chunksize=chunksize))
        seconds = time.perf_counter() - start
        assert done == count
        return count / seconds


def tasks_floor(workers: int, count: int, credit: int) -> float:
    """The transport's floor: a pyzmq ROUTER hands each of ``workers`` bare pyzmq DEALER echo workers up to
    ``credit`` tasks at once (three frames each way, as the task protocol), no ZeroBridge code on either side."""
    context = zmq.Context()
    router = context.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    processes = [subprocess.Popen([sys.executable, "-c", FLOOR_WORKER, f"tcp://127.0.0.1:{port}"])
                 for _ in range(workers)]
    header = msgpack.packb({"v": 1, "type": "task", "id": 1, "kind": "square", "attempt": 1})
    try:
        identities = []
        while len(identities) < workers:
            if not router.poll(30000):
                raise RuntimeError("floor workers did not start")
            identities.append(router.recv_multipart()[0])
        sent = received = 0
        start = time.perf_counter()
        for identity in identities:
            for _ in range(credit):
                if sent < count:
                    router.send_multipart([identity, b"ZBTASK01", header, msgpack.packb(sent)])
                    sent += 1
        while received < count:
            if not router.poll(30000):
                raise RuntimeError("floor workers stopped answering")
            identity = router.recv_multipart()[0]
            received += 1
            if sent < count:
                router.send_multipart([identity, b"ZBTASK01", header, msgpack.packb(sent)])
                sent += 1
        seconds = time.perf_counter() - start
        for identity in identities:
            router.send_multipart([identity, b"stop"])
    finally:
        for process in processes:
            process.wait(10)
        router.close(linger=0)
        context.term()
    return count / seconds


def percentile(values: List[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=50000)
    parser.add_argument("--latency-messages", type=int, default=500)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the stream and task tables")
    parser.add_argument("--only", choices=("streams", "tasks"), help="run one part only")
    args = parser.parse_args()

    environment = record.environment()
    document: Dict[str, Any] = {"options": vars(args), "environment": environment, "streams": {}, "tasks": {}}
    if args.only != "tasks":
        if not HOST_DLL.exists():
            subprocess.run(["dotnet", "build", str(REPO / "tests" / "ZeroBridge.TestHost")], check=True)
        with tempfile.TemporaryDirectory() as tmp:
            host = ServerProcess(["dotnet", str(HOST_DLL), "--bind", "tcp://127.0.0.1:*", "--data", f"{tmp}/demo.db"])
            try:
                endpoint = host.wait_ready(60)
                client = zerobridge.connect(endpoint, timeout=60)
                print("## Streams: messages per second (receiver side)\n")
                print(f"Medians of {args.rounds} interleaved rounds; the subscriber thread's CPU µs per message in brackets "
                      "(far below the wall time per message: the publisher, not the subscriber, sets the pace).\n")
                print("| case | C# pub -> zerobridge.subscribe | pyzmq PUB -> pyzmq SUB | ratio | x ours, small messages |")
                print("|---|---|---|---|---|")
                cases = (("small messages", 1, False), ("batches of 100 values, one list per message", 100, False),
                         ("PublishBatch of 100 values, yielded one by one", 100, True))
                runs: Dict[str, Dict[str, List[Any]]] = {label: {"ours": [], "base": []} for label, *_ in cases}
                for _ in range(args.rounds):
                    for label, batch, publish_batch in cases:
                        count = args.messages if batch == 1 else max(100, args.messages // 100)
                        runs[label]["ours"].append(stream_zerobridge(client, count, batch, paced=False,
                                                                     publish_batch=publish_batch))
                        runs[label]["base"].append(stream_pyzmq(count, batch, paced=False))
                single = 0.0
                for label, batch, publish_batch in cases:
                    count = args.messages if batch == 1 else max(100, args.messages // 100)
                    ours_rates = [o["n"] * (1 if publish_batch else batch) / o["seconds"] for o in runs[label]["ours"]]
                    base_rates = [b["n"] * batch / b["seconds"] for b in runs[label]["base"]]
                    ours_rate, base_rate = statistics.median(ours_rates), statistics.median(base_rates)
                    ours_cpu = statistics.median(o["cpu"] / max(1, o["n"]) for o in runs[label]["ours"]) * 1e6
                    base_cpu = statistics.median(b["cpu"] / max(1, b["n"]) for b in runs[label]["base"]) * 1e6
                    gaps = sum(o["gaps"] for o in runs[label]["ours"])
                    publisher_rate = statistics.median(count * batch / o["publish_seconds"] for o in runs[label]["ours"])
                    received = [o["n"] for o in runs[label]["ours"]]
                    single = single or ours_rate
                    unit = "msgs/s" if batch == 1 else "values/s"
                    document["streams"][label] = {"count": count, "unit": unit, "ours": ours_rate, "baseline": base_rate,
                                                  "ours_rounds": ours_rates, "baseline_rounds": base_rates,
                                                  "ours_cpu_us_per_message": ours_cpu,
                                                  "baseline_cpu_us_per_message": base_cpu,
                                                  "ours_received": received, "ours_gaps": gaps,
                                                  "csharp_publisher_values_per_s": publisher_rate,
                                                  "x_ours_single": ours_rate / single}
                    print(f"| {label} ({count} msgs) | {ours_rate:,.0f} {unit} [{ours_cpu:,.1f} µs] ({gaps} gaps; "
                          f"the C# publisher's own pace {publisher_rate:,.0f} values/s) "
                          f"| {base_rate:,.0f} {unit} [{base_cpu:,.1f} µs] | {ours_rate / base_rate:.2f} "
                          f"| {ours_rate / single:.2f} |")
                print("\n## Streams: end-to-end latency (publish timestamp -> decoded value), one message every ~2 ms\n")
                ours = stream_zerobridge(client, args.latency_messages, 1, paced=True)
                base = stream_pyzmq(args.latency_messages, 1, paced=True)
                print("| | p50 µs | p99 µs |")
                print("|---|---|---|")
                for name, result in (("C# pub -> zerobridge.subscribe", ours), ("pyzmq PUB -> pyzmq SUB", base)):
                    lat = [x * 1e6 for x in result["latencies"]]
                    print(f"| {name} | {percentile(lat, 0.5):,.0f} | {percentile(lat, 0.99):,.0f} |")
                    document["streams"][f"latency, {name}"] = {"p50_us": percentile(lat, 0.5),
                                                                "p99_us": percentile(lat, 0.99), "n": len(lat)}
                client.close()
            finally:
                host.stop()

    if args.only != "streams":
        print(f"\n## Tasks: {args.tasks} tiny tasks (x * x), Python workers, medians of {args.rounds} interleaved rounds\n")
        columns = ["pool", *[row[0] for row in TASK_ROWS], "pool chunksize 100", "floor credit 1", "floor credit 3"]
        print("| workers | multiprocessing.Pool imap_unordered, chunksize 1 | "
              + " | ".join(f"zerobridge {label}" for label, *_ in TASK_ROWS)
              + " | Pool chunksize 100 | bare pyzmq floor, credit 1 | floor, credit 3 |")
        print("|---" * (len(columns) + 1) + "|")
        for workers in (1, 2, 4):
            rounds: Dict[str, List[float]] = {column: [] for column in columns}
            for _ in range(args.rounds):
                rounds["pool"].append(tasks_pool(workers, args.tasks))
                for label, prefetch, non_blocking, chunksize in TASK_ROWS:
                    rounds[label].append(tasks_zerobridge(workers, args.tasks, prefetch, non_blocking, chunksize))
                rounds["pool chunksize 100"].append(tasks_pool(workers, args.tasks, 100))
                rounds["floor credit 1"].append(tasks_floor(workers, args.tasks, 1))
                rounds["floor credit 3"].append(tasks_floor(workers, args.tasks, 3))
            medians = {column: statistics.median(values) for column, values in rounds.items()}
            base = medians["pool"]
            cells = [f"{medians['pool']:,.0f} ({1e6 / base:,.0f} µs)"]
            cells += [f"{medians[column]:,.0f} ({medians[column] / base:.2f}x)" for column in columns[1:]]
            print(f"| {workers} | " + " | ".join(cells) + " |")
            document["tasks"][str(workers)] = {"tasks_per_s": medians, "rounds": rounds,
                                               "ratio_to_pool": {c: medians[c] / base for c in columns}}
    record.write("streams", document)


if __name__ == "__main__":
    main()
