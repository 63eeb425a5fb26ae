"""Processes of the broker tests: `zbridge broker`, C# workers (the test host with --join), waits."""

from __future__ import annotations

import queue
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Callable, List, Optional, Sequence

import pytest

import zerobridge
from support import ServerProcess

REPO = Path(__file__).resolve().parents[2]
CLI_PROJECT = REPO / "src" / "ZeroBridge.Cli"
CLI_DLL = CLI_PROJECT / "bin" / "Debug" / "net10.0" / "zbridge.dll"
HOST_DLL = REPO / "tests" / "ZeroBridge.TestHost" / "bin" / "Debug" / "net10.0" / "ZeroBridge.TestHost.dll"

HEARTBEAT = 0.5
"""The tests' heartbeat interval (s), for the broker and every worker; liveness is 4, so a silent
worker is dead after 2 s. Short enough for quick tests, long enough for two shared, noisy cores."""
LIVENESS = 4
REQUEST_TIMEOUT = 3.0
START_DEADLINE = 60.0


def ensure_cli_built() -> None:
    if CLI_DLL.exists():
        return
    if shutil.which("dotnet") is None:
        pytest.fail("dotnet is not installed: these tests need the zbridge CLI (install the .NET 10 SDK; ./test.sh needs it too)")
    result = subprocess.run(["dotnet", "build", str(CLI_PROJECT)], capture_output=True, text=True,
                            timeout=600, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        pytest.fail(f"dotnet build {CLI_PROJECT} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


class Process(ServerProcess):
    """A ServerProcess that can also wait for any line."""

    def wait_for(self, pattern: str, deadline: float = START_DEADLINE) -> "re.Match[str]":
        regex = re.compile(pattern)
        end = time.monotonic() + deadline
        for line in list(self.output):
            match = regex.search(line)
            if match:
                return match
        while True:
            remaining = end - time.monotonic()
            try:
                line = self._lines.get(timeout=max(0.01, remaining)) if remaining > 0 else None
            except queue.Empty:
                line = None
            if line is None:
                self.stop()
                pytest.fail(f"{' '.join(self.args[:3])}: no line matching {pattern!r} within {deadline} s "
                            f"(exit code {self.process.poll()}); output:\n" + "\n".join(self.output[-40:]))
            match = regex.search(line)
            if match:
                return match


def prefix(netns: Optional[str]) -> List[str]:
    return ["ip", "netns", "exec", netns] if netns else []


def start_broker(bind: str = "tcp://127.0.0.1:*", *extra: str, netns: Optional[str] = None,
                 request_timeout: float = REQUEST_TIMEOUT) -> Process:
    """`zbridge broker` with the tests' heartbeat; its endpoint is in .endpoint."""
    ensure_cli_built()
    process = Process([*prefix(netns), "dotnet", str(CLI_DLL), "broker", "--bind", bind,
                       "--heartbeat", str(HEARTBEAT), "--liveness", str(LIVENESS),
                       "--request-timeout", str(request_timeout), *extra])
    process.wait_ready(START_DEADLINE)
    return process


def start_worker(broker: str, service: str, name: str, tmp: Path, *extra: str,
                 netns: Optional[str] = None) -> Process:
    """A C# worker: the test host (demo + test + broker.* commands) joined to ``broker``."""
    if not HOST_DLL.exists():
        from conftest import _ensure_host_built
        _ensure_host_built()
    process = Process([*prefix(netns), "dotnet", str(HOST_DLL), "--join", broker, "--service", service,
                       "--name", name, "--heartbeat", str(HEARTBEAT), "--liveness", str(LIVENESS),
                       "--data", str(tmp / f"{name}.db"), *extra])
    process.wait_for(r"serving")
    return process


def wait_until(condition: Callable[[], bool], what: str, deadline: float = 20.0,
               every: float = 0.05) -> None:
    """Poll ``condition`` until true, or fail naming ``what``."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(every)
    pytest.fail(f"timed out after {deadline} s waiting until {what}")


def workers_of(endpoint: str, service: str) -> int:
    """How many workers the broker has for ``service`` (0 when it does not know it)."""
    status, services = zerobridge.mmi(endpoint, "mmi.services", timeout=5)
    assert status == "200"
    return next((s["workers"] for s in services if s["service"] == service), 0)


def wait_for_workers(endpoint: str, service: str, count: int, deadline: float = 30.0) -> None:
    wait_until(lambda: workers_of(endpoint, service) == count,
               f"the broker has {count} worker(s) for {service!r}", deadline)


def stop_all(processes: Sequence[Process]) -> None:
    for process in processes:
        process.stop()
