"""What an attacker on the link sees: a CURVE server and a Python client on two hosts (network namespaces joined
by a veth link), with tcpdump capturing the link. A marker in the reply must not appear on the wire with CURVE, and
must with plain text (so the capture is known to see the payload at all).

    [zsc: client 10.78.1.2] --veth (captured)-- [zss: servers 10.78.1.1, CURVE on 5601, plain on 5602]
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest
import zmq.auth

from broker_support import CLI_DLL, ensure_cli_built
from netns import link, namespaces
from support import ServerProcess

REPO = Path(__file__).resolve().parents[2]
START_DEADLINE = 180.0
CAPTURE_DEADLINE = 30.0
CURVE_PORT, PLAIN_PORT = 5601, 5602
MARKER = "ZB-CAPTURE-MARKER-4f1c9a"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None,
                       reason="needs root and iproute2's `ip` to create network namespaces (CI runs as root)"),
    pytest.mark.skipif(shutil.which("tcpdump") is None,
                       reason="needs tcpdump to capture the link (Debian package tcpdump, in scripts/ensure-test-packages.sh)"),
]


@pytest.fixture
def hosts() -> Iterator[Tuple[str, str, str]]:
    """Server and client namespaces joined by one veth link: (server, client, the client's link device)."""
    tag = str(os.getpid() % 100000)
    server, client, device = f"zss{tag}", f"zsc{tag}", f"zcap{tag}"
    with namespaces(server, client):
        link(server, f"zsrv{tag}", "10.78.1.1/24", client, device, "10.78.1.2/24")
        yield server, client, device


class Capture:
    """tcpdump on one device of a namespace, for one TCP port, into a pcap file."""

    def __init__(self, namespace: str, device: str, port: int, path: Path) -> None:
        self.path = path
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", namespace, "tcpdump", "--immediate-mode", "-i", device, "-U", "-s", "0", "-w", str(path),
             "tcp", "port", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        assert self.process.stderr is not None
        started = self.process.stderr.readline()  # "tcpdump: listening on ...": capturing from now on
        if "listening on" not in started:
            self.process.kill()
            raise RuntimeError(f"tcpdump did not start: {started}{self.process.stderr.read()}")

    def stop(self) -> bytes:
        """Stop capturing (tcpdump flushes on SIGINT; --immediate-mode so no packet waits in a kernel buffer block
        that an interrupted tcpdump would drop); every byte captured, headers included."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(CAPTURE_DEADLINE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(CAPTURE_DEADLINE)
        return self.path.read_bytes() if self.path.exists() else b""


CLIENT_SCRIPT = """
import json, sys
import zerobridge
curve_endpoint, plain_endpoint, server_key, marker = sys.argv[1:5]
with zerobridge.connect(curve_endpoint, server_key=server_key, timeout=30) as client:
    encrypted = client.call("echo", value=marker)
with zerobridge.connect(plain_endpoint, timeout=30) as client:
    plain = client.call("echo", value=marker)
print(json.dumps({"encrypted": encrypted, "plain": plain}))
"""


def test_a_marker_in_a_reply_never_crosses_the_link_in_clear_with_curve(hosts, tmp_path: Path) -> None:
    server_ns, client_ns, device = hosts
    zmq.auth.create_certificates(str(tmp_path), "server")
    ensure_cli_built()  # outside the namespaces, which have no route to a package feed
    servers = [
        ServerProcess(["ip", "netns", "exec", server_ns, "dotnet", str(CLI_DLL), "demo", "--bind", f"tcp://10.78.1.1:{port}",
                       "--data", str(tmp_path / f"demo-{port}.db"), *extra], cwd=REPO)
        for port, extra in ((CURVE_PORT, ["--cert", str(tmp_path / "server.key_secret")]), (PLAIN_PORT, ["--insecure"]))
    ]
    captures: List[Capture] = []
    try:
        for server in servers:
            server.wait_ready(START_DEADLINE)
        captures = [Capture(client_ns, device, port, tmp_path / f"{port}.pcap") for port in (CURVE_PORT, PLAIN_PORT)]
        result = subprocess.run(
            ["ip", "netns", "exec", client_ns, sys.executable, "-c", CLIENT_SCRIPT, f"tcp://10.78.1.1:{CURVE_PORT}",
             f"tcp://10.78.1.1:{PLAIN_PORT}", str(tmp_path / "server.key"), MARKER],
            capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(REPO / "python")))
        assert result.returncode == 0, result.stderr[-3000:]
        assert json.loads(result.stdout.strip().splitlines()[-1]) == {"encrypted": MARKER, "plain": MARKER}
    finally:
        encrypted_wire, plain_wire = (capture.stop() for capture in captures) if captures else (b"", b"")
        for server in servers:
            server.stop()

    marker = MARKER.encode()
    assert len(encrypted_wire) > 1000, "the CURVE capture saw (almost) nothing: it cannot tell"
    assert marker not in encrypted_wire, "the marker crossed the link in clear despite CURVE"
    assert marker in plain_wire, "the capture never saw the marker in plain text: it cannot tell either way"
