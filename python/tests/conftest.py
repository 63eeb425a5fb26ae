"""Fixtures: the real C# test host (tests/ZeroBridge.TestHost), clients and raw sockets.

No test can hang: every receive has a timeout, the server start has a deadline, and teardown
terminates the server (SIGTERM, then SIGKILL after a deadline).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path
from typing import Callable, Iterator, List, Optional

import pytest
import zmq

import zerobridge
from support import RECV_TIMEOUT, ServerProcess

# Ctrl+C is part of what the tests check (an interrupted call is cancelled on the server; `zbridge submit` and
# `task-worker` stop in order on SIGINT). A shell that starts a job in the background without job control makes it
# ignore SIGINT (POSIX), and every process it starts inherits that: Python then installs no KeyboardInterrupt
# handler, and a .NET process keeps SIGINT ignored. Take SIGINT back, for this process and the ones it starts.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

REPO = Path(__file__).resolve().parents[2]
HOST_PROJECT = REPO / "tests" / "ZeroBridge.TestHost"
HOST_DLL = HOST_PROJECT / "bin" / "Debug" / "net10.0" / "ZeroBridge.TestHost.dll"
START_DEADLINE = 60.0
BUILD_DEADLINE = 600.0
_build_lock = threading.Lock()


def _ensure_host_built() -> None:
    with _build_lock:
        if HOST_DLL.exists():
            return
        if shutil.which("dotnet") is None:
            pytest.fail("dotnet is not installed: the integration tests need the C# test host (install the .NET 10 SDK; ./test.sh needs it too)")
        if not HOST_PROJECT.is_dir():
            pytest.skip(f"the C# test host project {HOST_PROJECT} does not exist (yet)")
        result = subprocess.run(["dotnet", "build", str(HOST_PROJECT)], capture_output=True,
                                text=True, timeout=BUILD_DEADLINE, stdin=subprocess.DEVNULL)
        if result.returncode != 0 or not HOST_DLL.exists():
            pytest.fail(f"dotnet build {HOST_PROJECT} failed ({result.returncode}):\n"
                        f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")


def _start(tmp: Path, *extra: str) -> ServerProcess:
    _ensure_host_built()
    args = ["dotnet", str(HOST_DLL), "--bind", "tcp://127.0.0.1:*",
            "--data", str(tmp / "demo.db"), *extra]
    server = ServerProcess(args)
    server.wait_ready(START_DEADLINE)
    return server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The default test host, shared by the whole session."""
    process = _start(tmp_path_factory.mktemp("server"))
    yield process
    process.stop()


@pytest.fixture(scope="session")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A test host with a 1 MiB request limit."""
    process = _start(tmp_path_factory.mktemp("small"), "--max-request-bytes", "1048576")
    yield process
    process.stop()


@pytest.fixture(scope="session")
def script_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A test host with C# scripts enabled (3 min script timeout; tests of the timeout pass a short one)."""
    process = _start(tmp_path_factory.mktemp("scripts"), "--allow-scripts")
    yield process
    process.stop()


@pytest.fixture
def start_host(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Factory of test hosts of the test's own (for tests that stop or break their server), stopped after it."""
    started: List[ServerProcess] = []

    def start(*extra: str) -> ServerProcess:
        folder = tmp_path / f"host{len(started)}"
        folder.mkdir()
        started.append(_start(folder, *extra))
        return started[-1]

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def endpoint(server: ServerProcess) -> str:
    return server.endpoint


@pytest.fixture
def client(endpoint: str) -> Iterator[zerobridge.Client]:
    """A client of the default server, closed after the test."""
    with zerobridge.connect(endpoint, timeout=RECV_TIMEOUT) as c:
        yield c


@pytest.fixture
def zmq_context() -> Iterator[zmq.Context]:
    """A private context for raw sockets; terminating it proves no socket leaked."""
    context = zmq.Context()
    yield context
    sockets = [s for s in context._sockets if not s.closed] if hasattr(context, "_sockets") else []
    for socket in sockets:
        socket.close(linger=0)
    context.term()
    assert not sockets, f"{len(sockets)} raw socket(s) were left open"


@pytest.fixture
def raw_socket(zmq_context: zmq.Context, endpoint: str) -> Callable[..., zmq.Socket]:
    """Factory of raw sockets connected to the default server (closed by the test or teardown)."""
    opened: List[zmq.Socket] = []

    def make(kind: int = zmq.DEALER, where: Optional[str] = None) -> zmq.Socket:
        socket = zmq_context.socket(kind)
        socket.setsockopt(zmq.LINGER, 0)
        socket.connect(where or endpoint)
        opened.append(socket)
        return socket

    yield make
    for socket in opened:
        socket.close(linger=0)


def pytest_report_header(config: pytest.Config) -> str:
    state = "built" if HOST_DLL.exists() else "not built"
    return f"zerobridge test host: {HOST_DLL} ({state}); pyzmq {zmq.__version__}"


os.environ.setdefault("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
os.environ.setdefault("DOTNET_NOLOGO", "1")
