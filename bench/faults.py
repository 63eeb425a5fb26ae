#!/usr/bin/env python3
"""What a caller sees when a process dies or freezes under it (issue 12): SIGKILL and SIGSTOP of the command
server, of an MDP worker and of the broker, mid-request and mid-table. For each fault: what the caller got
(the exception, or the result), how long after the fault it heard, and whether the next call succeeds once the
process is back (restarted on the same endpoint, or continued), with the seconds that took.

    /usr/bin/python3 bench/faults.py [--timeout 3]

Processes are the C# test host (direct), `zbridge broker` and two test-host workers (through the broker), with the
tests' heartbeat (0.5 s, liveness 4: a silent worker is dead after 2 s). Raw results go to bench/results/.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "python"), str(ROOT / "python" / "tests"), str(ROOT / "bench")]

import zerobridge  # noqa: E402
from broker_support import Process, start_broker, start_worker, wait_for_workers, workers_of  # noqa: E402
from conftest import HOST_DLL, START_DEADLINE, _ensure_host_built  # noqa: E402
from record import environment, write  # noqa: E402
from support import ServerProcess  # noqa: E402

CHUNK_BYTES = 64 * 1024
RECOVERY_DEADLINE = 60.0


@dataclass
class Outcome:
    """One fault and what the caller saw."""

    fault: str
    caller_got: str = ""
    heard_after_s: Optional[float] = None
    recovered: bool = False
    recovered_after_s: Optional[float] = None
    notes: List[str] = field(default_factory=list)

    def heard(self, call: "CallInBackground", faulted: float) -> None:
        """What the caller got, and how long after the fault."""
        self.caller_got = call.described()
        if isinstance(call.error, zerobridge.RemoteError):
            self.caller_got += f" ({call.error.code})"
        self.heard_after_s = None if call.ended_at is None else call.ended_at - faulted

    def recovery(self, call: Callable[[], Any], restarted: float) -> None:
        """Whether, and how long after the process was back, ``call`` succeeds."""
        took = first_success(call)
        self.recovered = took is not None
        self.recovered_after_s = None if took is None else time.monotonic() - restarted

    def line(self) -> str:
        heard = "-" if self.heard_after_s is None else f"{self.heard_after_s:.2f}"
        back = f"yes, {self.recovered_after_s:.2f} s" if self.recovered else "NO"
        extra = f" ({'; '.join(self.notes)})" if self.notes else ""
        return f"| {self.fault} | {self.caller_got} | {heard} | {back} |{extra}"


class CallInBackground:
    """A call on its own thread: its result or exception, and when it ended."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: Optional[BaseException] = None
        self.ended_at: Optional[float] = None
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            self.result = call()
        except BaseException as error:  # noqa: BLE001 - reported, not handled
            self.error = error
        self.ended_at = time.monotonic()

    def wait(self, seconds: float) -> bool:
        self._thread.join(seconds)
        return not self._thread.is_alive()

    def described(self) -> str:
        if self.ended_at is None:
            return "no answer (still waiting)"
        if self.error is not None:
            return f"{type(self.error).__name__}"
        return "result"


def start_host(tmp: Path, bind: str = "tcp://127.0.0.1:*", *extra: str) -> ServerProcess:
    """The C# test host on ``bind`` (a restart binds the endpoint its predecessor had)."""
    _ensure_host_built()
    server = ServerProcess(["dotnet", str(HOST_DLL), "--bind", bind, "--data", str(tmp / "faults.db"), *extra])
    server.wait_ready(START_DEADLINE)
    return server


def signal_group(process: ServerProcess, sig: int) -> None:
    os.killpg(process.process.pid, sig)


def first_success(call: Callable[[], Any], deadline: float = RECOVERY_DEADLINE) -> Optional[float]:
    """Seconds until ``call`` first succeeds (each try bounded by the client's own timeout), or None."""
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        try:
            call()
            return time.monotonic() - start
        except zerobridge.ZeroBridgeError:
            continue
    return None


def wait_running(client: zerobridge.Client, tag: str) -> None:
    if not client.call("probe.started", tag=tag, seconds=10.0):
        raise RuntimeError(f"probe.hold {tag} never started")


# ------------------------------------------------------------------------------------------ the command server


def server_faults(tmp: Path, timeout: float) -> List[Outcome]:
    outcomes = []
    for sig, name in [(signal.SIGKILL, "SIGKILL"), (signal.SIGSTOP, "SIGSTOP")]:
        server = start_host(tmp)
        endpoint = server.endpoint
        outcome = Outcome(f"server {name} mid-request")
        try:
            with zerobridge.connect(endpoint, timeout=timeout) as caller, \
                    zerobridge.connect(endpoint, timeout=timeout) as observer:
                tag = uuid.uuid4().hex
                call = CallInBackground(lambda: caller.call("probe.hold", tag=tag, seconds=60.0))
                wait_running(observer, tag)
                faulted = time.monotonic()
                signal_group(server, sig)
                call.wait(timeout * 4)
                outcome.heard(call, faulted)
                if sig == signal.SIGKILL:
                    server.process.wait(10)
                    server = start_host(tmp, endpoint)
                    restarted = time.monotonic()
                else:
                    signal_group(server, signal.SIGCONT)
                    restarted = time.monotonic()
                outcome.recovery(lambda: caller.call("ping"), restarted)
        finally:
            server.stop()
        outcomes.append(outcome)

    # Mid-table: a chunked reply that is still arriving when the server dies.
    server = start_host(tmp, "tcp://127.0.0.1:*", "--table-chunk-bytes", str(CHUNK_BYTES))
    outcome = Outcome("server SIGKILL mid-table")
    try:
        with zerobridge.connect(server.endpoint, timeout=timeout, progress=False) as caller:
            caller.call("tables.numbers", rows=1000)  # warm: the first table call pays the JIT
            call = CallInBackground(lambda: caller.call("tables.numbers", rows=20_000_000))
            time.sleep(0.5)  # a benchmark, not a test: let some chunks arrive before the fault
            landed_mid_table = call.ended_at is None
            faulted = time.monotonic()
            signal_group(server, signal.SIGKILL)
            call.wait(timeout * 4)
            outcome.heard(call, faulted)
            outcome.notes.append(f"client timeout {timeout} s" + ("" if landed_mid_table
                                                                  else "; the table had finished before the kill"))
            server.process.wait(10)
            endpoint = server.endpoint
            server = start_host(tmp, endpoint, "--table-chunk-bytes", str(CHUNK_BYTES))
            outcome.recovery(lambda: caller.call("ping"), time.monotonic())
    finally:
        server.stop()
    outcomes.append(outcome)
    return outcomes


# ------------------------------------------------------------------------------------------ broker and workers


def broker_faults(tmp: Path, timeout: float) -> List[Outcome]:
    outcomes = []
    broker = start_broker()
    workers: List[Process] = []
    try:
        for target, sig in [("worker", signal.SIGKILL), ("worker", signal.SIGSTOP),
                            ("broker", signal.SIGKILL), ("broker", signal.SIGSTOP)]:
            while len(workers) < 2:
                workers.append(start_worker(broker.endpoint, "erp", f"w{len(workers)}-{uuid.uuid4().hex[:6]}", tmp))
            wait_for_workers(broker.endpoint, "erp", 2)
            name = signal.Signals(sig).name
            outcome = Outcome(f"{target} {name} mid-request (through the broker)")
            with zerobridge.connect(broker.endpoint, service="erp", timeout=timeout) as caller:
                call = CallInBackground(lambda: caller.call("broker.slow", seconds=30.0))
                started = _worker_that_started(workers)
                faulted = time.monotonic()
                victim: ServerProcess = started if target == "worker" else broker
                signal_group(victim, sig)
                call.wait(timeout * 4)
                outcome.heard(call, faulted)
                if target == "worker" and sig == signal.SIGKILL:
                    workers.remove(started)
                    started.process.wait(10)
                    restarted = time.monotonic()
                elif target == "worker":
                    signal_group(started, signal.SIGCONT)
                    restarted = time.monotonic()
                elif sig == signal.SIGKILL:
                    broker.process.wait(10)
                    broker = start_broker(broker.endpoint)
                    restarted = time.monotonic()
                else:
                    signal_group(broker, signal.SIGCONT)
                    restarted = time.monotonic()
                outcome.recovery(lambda: caller.call("broker.whoami"), restarted)
                if target == "broker" or sig == signal.SIGSTOP:
                    rejoined = _seconds_until(lambda: workers_of(broker.endpoint, "erp") == len(workers))
                    outcome.notes.append("workers rejoined after " + (f"{rejoined:.2f} s" if rejoined is not None
                                                                      else "never (60 s)"))
            outcomes.append(outcome)
    finally:
        for process in [*workers, broker]:
            process.stop()
    return outcomes


def _worker_that_started(workers: List[Process]) -> Process:
    """The worker that printed STARTED for the slow call (each worker's output is read on its own thread)."""
    end = time.monotonic() + 30
    marks = {id(w): len(w.output) for w in workers}
    while time.monotonic() < end:
        for worker in workers:
            if any("STARTED" in line for line in worker.output[marks[id(worker)]:]):
                return worker
        time.sleep(0.01)
    raise RuntimeError("no worker started broker.slow")


def _seconds_until(condition: Callable[[], bool], deadline: float = RECOVERY_DEADLINE) -> Optional[float]:
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        try:
            if condition():
                return time.monotonic() - start
        except zerobridge.ZeroBridgeError:
            pass
        time.sleep(0.05)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", type=float, default=3.0, help="the caller's timeout in seconds (default 3)")
    options = parser.parse_args()
    env = environment()
    with tempfile.TemporaryDirectory() as tmp:
        outcomes = server_faults(Path(tmp), options.timeout) + broker_faults(Path(tmp), options.timeout)
    print(f"\nCaller timeout {options.timeout} s; broker heartbeat 0.5 s x liveness 4.\n")
    print("| fault | caller got | heard after (s) | next call succeeds |")
    print("|---|---|---|---|")
    for outcome in outcomes:
        print(outcome.line())
    write("faults", {"environment": env, "timeout_s": options.timeout,
                     "outcomes": [asdict(outcome) for outcome in outcomes]})
    return 0 if all(outcome.recovered for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
