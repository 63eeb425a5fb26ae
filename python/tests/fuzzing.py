"""The adversarial suite: structure-aware malformed messages against the real ZeroBridge processes (issue 12).

Each endpoint type has a generator that starts from a valid message and breaks it the way an attacker would, at the
frame level (frames dropped, doubled, emptied, reordered) and the msgpack level (a value replaced by one that lies
about its length, nests 100,000 deep, has the wrong type, or a number no field can hold). The runner sends them to a
real process and fails on a process exit, a request that must be answered and is not, a probe (a valid request) that
is not answered, or memory that does not come back. A message that breaks something is saved, as hex frames in JSON,
to be turned into a regression test.

Used by tests/test_fuzz.py (a short budget in CI) and bench/fuzz.py (the long run).
"""

from __future__ import annotations

import json
import random
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import msgpack
import zmq

import zerobridge
from broker_support import CLI_DLL, REPO, Process, ensure_cli_built, start_broker, start_worker, stop_all, wait_for_workers

from hostile import BAD_TIMEOUTS, LYING_VALUES, NOT_INTEGERS, pack, raw_map
from support import SIGNATURE, ServerProcess

WORKER_SIGNATURE = b"MDPW01"
SNAPSHOT = b"ZBSNAP01"
TASK = b"ZBTASK01"
REPLY_TIMEOUT = 10.0
#: The Python task producer under attack: it serves its socket (heartbeats, results, goodbyes, proofs) while it
#: waits for workers that never all come, which is the receive path map() and results() use too.
PYTHON_PRODUCER_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
import zerobridge
producer = zerobridge.TaskProducer("tcp://127.0.0.1:*", worker_timeout=2.0)
print("Waiting for workers on", producer.endpoint, flush=True)
producer.wait_for_workers(1_000_000, timeout=None)
"""
#: Growth of a process's resident memory from start to end of a run that counts as memory not coming back.
MAX_RSS_GROWTH = 256 * 1024 * 1024

Frames = List[bytes]


class Mutator:
    """Breaks valid messages: seeded, so a failing run can be repeated."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def hostile_value(self) -> bytes:
        """One encoded msgpack value a field should never get."""
        pools = [LYING_VALUES, NOT_INTEGERS, BAD_TIMEOUTS]
        roll = self.rng.random()
        if roll < 0.6:
            pool = self.rng.choice(pools)
            return pool[self.rng.choice(sorted(pool))]
        if roll < 0.8:
            return pack(self.rng.choice([0, -1, 1, 2**31, -2**63, 2**64 - 1, "", "x" * 300, b"\x00" * 40, [], {}, None,
                                         True, 1.5, [[[]]], {"a": {"b": [1]}}]))
        return bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(0, 24)))

    def mutate_map(self, entries: Dict[str, bytes], keys: List[str]) -> bytes:
        """A map from ``entries`` (encoded values) with some values replaced, dropped, added or doubled."""
        items = list(entries.items())
        for _ in range(self.rng.randint(1, 3)):
            action = self.rng.random()
            if action < 0.5 and items:
                index = self.rng.randrange(len(items))
                items[index] = (items[index][0], self.hostile_value())
            elif action < 0.65 and items:
                items.pop(self.rng.randrange(len(items)))
            elif action < 0.85:
                items.append((self.rng.choice(keys + ["unknown", "\x00", "é" * 3]), self.hostile_value()))
            elif items:
                items.append(self.rng.choice(items))
        encoded = [part for key, value in items[:15] for part in (pack(key), value)]
        frame = raw_map(*encoded)
        return self.mutate_bytes(frame) if self.rng.random() < 0.2 else frame

    def mutate_bytes(self, frame: bytes) -> bytes:
        """The frame truncated, with a byte flipped, or with garbage after it."""
        if not frame:
            return bytes([self.rng.getrandbits(8)])
        action = self.rng.random()
        if action < 0.4:
            return frame[:self.rng.randrange(len(frame))]
        if action < 0.8:
            index = self.rng.randrange(len(frame))
            return frame[:index] + bytes([self.rng.getrandbits(8)]) + frame[index + 1:]
        return frame + self.hostile_value()

    def mutate_frames(self, frames: Frames, keep: int) -> Frames:
        """Frame-level damage after the first ``keep`` frames (the envelope the test needs to get a reply back)."""
        head, body = frames[:keep], list(frames[keep:])
        action = self.rng.random()
        if action < 0.25 and body:
            body.pop(self.rng.randrange(len(body)))
        elif action < 0.45 and body:
            body.insert(self.rng.randrange(len(body) + 1), self.rng.choice(body))
        elif action < 0.65:
            body.insert(self.rng.randrange(len(body) + 1), b"")
        elif action < 0.8 and len(body) > 1:
            self.rng.shuffle(body)
        else:
            body.append(self.hostile_value())
        return head + body

    def arguments(self) -> bytes:
        """An arguments frame: [positional, keyword] with hostile values inside, or broken itself."""
        count = self.rng.randint(0, 2)
        values = b"".join(self.hostile_value() for _ in range(count))
        frame = b"\x92" + bytes([0x90 | count]) + values + b"\x80"
        return self.mutate_bytes(frame) if self.rng.random() < 0.3 else frame


# ------------------------------------------------------------------------------------------------ endpoints

HEADER_KEYS = ["v", "id", "cmd", "timeout", "accept"]


@dataclass
class Message:
    """One generated message and whether its protocol promises a reply."""
    frames: Frames
    answered: bool


def bridge_request(mutator: Mutator, service: bytes, request_id: int) -> Message:
    """A bridge-protocol request (command server or broker client side), broken somewhere after its service frame."""
    rng = mutator.rng
    header = {"v": pack(1), "id": pack(request_id), "cmd": pack(rng.choice(["ping", "echo", "test.length"])),
              "timeout": pack(5000)}
    frames = [b"", SIGNATURE, service, mutator.mutate_map(header, HEADER_KEYS)]
    if rng.random() < 0.7:
        frames.append(mutator.arguments())
    if rng.random() < 0.3:
        frames.append(mutator.hostile_value())
    if rng.random() < 0.3:
        frames = mutator.mutate_frames(frames, keep=3)
    return Message(frames, answered=True)  # no generator writes "cancel", the one request without a reply


GATEWAY_TEXTS = ['{"command": "echo", "args": {"value": %s}}', '{"command": %s}', '{"command": "echo", "args": %s}',
                 '{"command": "ping", "id": %s}']
JSON_VALUES = ['"\\ud800"', '"\\udfff\\ud800"', "1e999", "-1e999", "NaN", "[" * 5000 + "]" * 5000, '{"a":' * 3000 + "1" + "}" * 3000,
               "18446744073709551616", '"' + "x" * 5000 + '"', "null", "[1, 2", '"\\u0000"', "true"]


def gateway_request(mutator: Mutator) -> Message:
    """A JSON-gateway request: a valid shape with a hostile JSON value, or broken text."""
    rng = mutator.rng
    text = (rng.choice(GATEWAY_TEXTS) % rng.choice(JSON_VALUES)).encode("utf-8")
    if rng.random() < 0.3:
        text = mutator.mutate_bytes(text)
    return Message([b"", text], answered=True)


def snapshot_request(mutator: Mutator) -> Message:
    """A snapshot request with a broken query (dropped by the publisher: the protocol has no error reply)."""
    query = {"v": pack(1), "prefixes": pack([""]), "id": pack("f")}
    frames = [SNAPSHOT, mutator.mutate_map(query, ["v", "prefixes", "id"])]
    if mutator.rng.random() < 0.3:
        frames = mutator.mutate_frames(frames, keep=0)
    return Message(frames, answered=False)


def worker_message(mutator: Mutator) -> Message:
    """An MDP/Worker message from a peer posing as a worker: any command byte, any frames."""
    rng = mutator.rng
    command = bytes([rng.choice([1, 2, 3, 4, 5, 0, 6, 255])])
    frames = [b"", WORKER_SIGNATURE, command]
    frames += rng.choice([[], [b"erp"], [b"client", b"", pack({"v": 1, "id": 1, "ok": True}), pack("x")],
                          [mutator.hostile_value()], [b"mmi.x"], [b""]])
    if rng.random() < 0.4:
        frames = mutator.mutate_frames(frames, keep=1)
    return Message(frames, answered=False)


def task_message(mutator: Mutator) -> Message:
    """A task-protocol message from a peer posing as a task worker (never announcing credit, so it holds no task)."""
    rng = mutator.rng
    kind = rng.choice(["hb", "result", "bye", "unknown"])
    header = {"v": pack(1), "type": pack(kind), "credit": pack(0), "name": pack("fuzz"), "id": pack(rng.randint(0, 50)),
              "ok": pack(True)}
    frames = [TASK, mutator.mutate_map(header, ["v", "type", "credit", "name", "id", "ok", "attempt"])]
    if kind == "result":
        frames.append(mutator.hostile_value())
    if rng.random() < 0.3:
        frames = mutator.mutate_frames(frames, keep=0)
    return Message(frames, answered=False)


# ------------------------------------------------------------------------------------------------ running

@dataclass
class Report:
    """What one endpoint's run saw."""
    endpoint: str
    messages: int = 0
    replies: Dict[str, int] = field(default_factory=dict)
    rss_start: int = 0
    rss_peak: int = 0
    rss_end: int = 0
    failures: List[str] = field(default_factory=list)

    def line(self) -> str:
        mib = 1024 * 1024
        replies = ", ".join(f"{kind} {count}" for kind, count in sorted(self.replies.items())) or "none expected"
        return (f"{self.endpoint}: {self.messages} messages; replies: {replies}; RSS MiB start/peak/end "
                f"{self.rss_start / mib:.0f}/{self.rss_peak / mib:.0f}/{self.rss_end / mib:.0f}"
                + (f"; FAILED: {'; '.join(self.failures[:3])}" if self.failures else ""))


def rss(process: ServerProcess) -> int:
    """Resident memory of the process in bytes (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{process.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def reply_kind(frames: Frames) -> str:
    """The error code (or "ok") of a bridge, MDP or gateway reply, for the report."""
    try:
        if frames[:2] == [b"", SIGNATURE] and len(frames) >= 4:
            if frames[3:4] and frames[3][:1] in (b"4", b"5"):
                return "mdp " + frames[3].decode()
            # The id is echoed byte for byte as received, so a generated id may be invalid UTF-8: read past it.
            header = msgpack.unpackb(frames[3], raw=False, strict_map_key=False, unicode_errors="replace")
            if header.get("ok"):
                return "ok"
            return msgpack.unpackb(frames[4], raw=False, strict_map_key=False).get("code", "?")
        if frames[:1] == [b""] and len(frames) == 2:
            reply = json.loads(frames[1])
            return "ok" if reply.get("ok") else reply["error"]["code"]
    except Exception:  # noqa: BLE001 - a reply the report cannot read is itself worth seeing
        pass
    return "unreadable"


@dataclass
class Target:
    """An endpoint under attack: where to send, which process must survive, and a probe that must be answered."""
    name: str
    endpoint: str
    processes: List[ServerProcess]
    generate: Callable[[Mutator, int], Message]
    probe: Callable[[zmq.Context], Optional[str]]


def run(target: Target, messages: int, seed: int, context: zmq.Context, crash_dir: Optional[Path] = None,
        batch: int = 50) -> Report:
    """Sends ``messages`` generated messages to ``target``; every ``batch`` checks the processes and the probe."""
    report = Report(target.name)
    mutator = Mutator(random.Random(seed))
    watched = target.processes[0]
    report.rss_start = report.rss_peak = rss(watched)
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(target.endpoint)
    recent: List[Frames] = []
    try:
        for n in range(messages):
            message = target.generate(mutator, n)
            recent = (recent + [message.frames])[-batch:]
            socket.send_multipart(message.frames)
            report.messages += 1
            if message.answered:
                if not socket.poll(int(REPLY_TIMEOUT * 1000), zmq.POLLIN):
                    report.failures.append(f"message {n} got no reply within {REPLY_TIMEOUT} s")
                    _save(crash_dir, target.name, seed, [message.frames])
                    break
                kind = reply_kind(socket.recv_multipart())
                report.replies[kind] = report.replies.get(kind, 0) + 1
            if (n + 1) % batch == 0 or n + 1 == messages:
                if problem := _check(target, context):
                    report.failures.append(f"after message {n}: {problem}")
                    _save(crash_dir, target.name, seed, recent)
                    break
                report.rss_peak = max(report.rss_peak, rss(watched))
    finally:
        socket.close(linger=0)
    report.rss_end = rss(watched)
    if not report.failures and report.rss_end - report.rss_start > MAX_RSS_GROWTH:
        report.failures.append(f"resident memory grew by {(report.rss_end - report.rss_start) >> 20} MiB and stayed")
    return report


def _check(target: Target, context: zmq.Context) -> Optional[str]:
    for process in target.processes:
        if process.process.poll() is not None:
            return f"{' '.join(process.args[:3])} exited with {process.process.returncode}: " + \
                " | ".join(process.output[-5:])
    return target.probe(context)


def _save(crash_dir: Optional[Path], name: str, seed: int, messages: List[Frames]) -> None:
    if crash_dir is None:
        return
    crash_dir.mkdir(parents=True, exist_ok=True)
    path = crash_dir / f"{name}-seed{seed}-{int(time.time())}.json"
    path.write_text(json.dumps([[frame.hex() for frame in frames] for frames in messages], indent=1))


def exchange(context: zmq.Context, endpoint: str, frames: Frames, check: Callable[[Frames], bool]) -> Optional[str]:
    """Sends ``frames`` on a fresh DEALER; None when a reply came and passes ``check``, else what went wrong."""
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    try:
        socket.connect(endpoint)
        socket.send_multipart(frames)
        if not socket.poll(int(REPLY_TIMEOUT * 1000), zmq.POLLIN):
            return f"the probe got no reply within {REPLY_TIMEOUT} s"
        reply = socket.recv_multipart()
        return None if check(reply) else f"the probe got a wrong reply {reply[:4]!r}"
    finally:
        socket.close(linger=0)


def ping_probe(endpoint: str, service: bytes) -> Callable[[zmq.Context], Optional[str]]:
    """A probe: a ping over the bridge protocol must get "pong"."""
    frames = [b"", SIGNATURE, service, pack({"v": 1, "id": 1, "cmd": "ping"})]
    return lambda context: exchange(context, endpoint, frames, lambda reply: reply[-1:] == [pack("pong")])


def snapshot_probe(endpoint: str) -> Callable[[zmq.Context], Optional[str]]:
    """A probe: a valid snapshot request must get its end message."""
    frames = [SNAPSHOT, pack({"v": 1, "prefixes": ["none-such"], "id": "probe"})]
    return lambda context: exchange(context, endpoint, frames, lambda reply: reply[:1] == [b"\x00end"])


def alive_probe(_: zmq.Context) -> Optional[str]:
    """For endpoints without a request to probe with: the process check alone."""
    return None


def targets(host: ServerProcess, snapshot_endpoint: str, broker: ServerProcess, worker: ServerProcess,
            producer: ServerProcess, producer_endpoint: str, python_producer: ServerProcess,
            python_producer_endpoint: str) -> List[Target]:
    """Every endpoint type, given the running processes."""
    return [
        Target("server-bridge", host.endpoint, [host],
               lambda m, n: bridge_request(m, b"zerobridge", n), ping_probe(host.endpoint, b"zerobridge")),
        Target("server-gateway", host.endpoint, [host], lambda m, n: gateway_request(m),
               ping_probe(host.endpoint, b"zerobridge")),
        Target("publisher-snapshot", snapshot_endpoint, [host], lambda m, n: snapshot_request(m),
               snapshot_probe(snapshot_endpoint)),
        Target("broker-client", broker.endpoint, [broker, worker],
               lambda m, n: bridge_request(m, b"erp", n), ping_probe(broker.endpoint, b"erp")),
        Target("broker-worker", broker.endpoint, [broker, worker], lambda m, n: worker_message(m),
               ping_probe(broker.endpoint, b"erp")),
        Target("task-producer", producer_endpoint, [producer], lambda m, n: task_message(m), alive_probe),
        Target("python-task-producer", python_producer_endpoint, [python_producer], lambda m, n: task_message(m),
               alive_probe),
    ]


def reports_table(reports: List[Report]) -> str:
    return "\n".join(report.line() for report in reports)


def frames_of(saved: Path) -> List[Tuple[bytes, ...]]:
    """The messages of a saved crash file, to replay in a regression test."""
    return [tuple(bytes.fromhex(frame) for frame in frames) for frames in json.loads(saved.read_text())]


@contextmanager
def attack_surface(tmp: Path) -> Iterator[List[Target]]:
    """Starts every process under attack (test host with a publisher, broker with one C# worker for "erp",
    `zbridge submit` and a Python TaskProducer waiting for workers that never all come) and yields their targets; stops them all after."""
    from conftest import _start  # the test host's start-up, shared with the tests

    ensure_cli_built()
    processes: List[ServerProcess] = []
    try:
        host = _start(tmp)
        processes.append(host)
        broker = start_broker()
        processes.append(broker)
        worker = start_worker(broker.endpoint, "erp", "fuzz-worker", tmp)
        processes.append(worker)
        producer = Process(["dotnet", str(CLI_DLL), "submit", "tcp://127.0.0.1:*", "square", "{i}", "--count", "1",
                            "--workers", "1000", "--wait", "86400"])
        processes.append(producer)
        producer_endpoint = producer.wait_for(r"Waiting for \d+ worker\(s\) on (tcp://\S+)").group(1)
        python_producer = Process([sys.executable, "-c", PYTHON_PRODUCER_SCRIPT, str(REPO / "python")])
        processes.append(python_producer)
        python_producer_endpoint = python_producer.wait_for(r"Waiting for workers on (tcp://\S+)").group(1)
        wait_for_workers(broker.endpoint, "erp", 1)
        with zerobridge.connect(host.endpoint, timeout=REPLY_TIMEOUT) as client:
            snapshot = client.call("stream.start")["snapshot"]
        yield targets(host, snapshot, broker, worker, producer, producer_endpoint, python_producer,
                      python_producer_endpoint)
    finally:
        stop_all(processes)
