"""Connection limits of a real `zbridge demo` (issue 12, item 11): a TCP connection that never finishes the ZeroMQ
handshake is closed after the server's ``ConnectionLimits:HandshakeTimeout``, set here the way operators set any
.NET setting (an environment variable read by the Generic Host), while libzmq clients that finished their
handshake, plain or CURVE, stay connected however long they are silent.

The C# tests (tests/ZeroBridge.Tests/Transport/ConnectionLimitsTests.cs) cover every bound component and the
peer that stops reading; this one checks the same rules against pyzmq's libzmq, whose handshake is not NetMQ's."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import Iterator, Optional, Tuple

import pytest
import zmq
import zmq.auth
from zmq.utils.monitor import recv_monitor_message

import zerobridge
from support import ServerProcess, raw_ping
from test_tasks import ZBRIDGE

DEADLINE = 60.0
CLOSE_WAIT = 20.0
_PUBLISHING = re.compile(r"Publishing on (tcp://\S+) \(snapshots on (tcp://[^\s)]+)\)")


@pytest.fixture(params=["plain", "curve"])
def demo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tuple[ServerProcess, Optional[Tuple[bytes, bytes]]]]:
    """A demo whose handshake timeout is 3 s (the real clients' handshakes, CURVE's included, take far less even on a
    loaded machine); with CURVE, also the server's public key file's keys."""
    args = [str(ZBRIDGE), "demo", "--bind", "tcp://127.0.0.1:*", "--data", str(tmp_path / "demo.db")]
    server_keys = None
    if request.param == "curve":
        public_file, secret_file = zmq.auth.create_certificates(str(tmp_path), "server")
        args += ["--cert", secret_file]
        server_keys = zmq.auth.load_certificate(public_file)
    env = dict(os.environ, ZeroBridge__Server__ConnectionLimits__HandshakeTimeout="00:00:03")
    process = ServerProcess(args, env=env)
    try:
        process.wait_ready(DEADLINE)
        yield process, server_keys
    finally:
        process.stop()


def _closed_by_the_server(peer: socket.socket) -> bool:
    """Reads until the server closes the connection (True) or CLOSE_WAIT passes (False)."""
    peer.settimeout(CLOSE_WAIT)
    try:
        while peer.recv(4096):
            pass  # the server's half of the greeting
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_a_silent_connection_is_closed_and_a_silent_libzmq_client_is_not(
        demo: Tuple[ServerProcess, Optional[Tuple[bytes, bytes]]]) -> None:
    process, server_keys = demo
    context = zmq.Context.instance()
    client = context.socket(zmq.DEALER)
    client.linger = 0
    if server_keys is not None:
        client.curve_serverkey = server_keys[0]
        client.curve_publickey, client.curve_secretkey = zmq.curve_keypair()
    monitor = client.get_monitor_socket(zmq.EVENT_DISCONNECTED)
    try:
        client.connect(process.endpoint)
        raw_ping(client, 1)  # the client's handshake is done

        # A peer connected after the client, that sends nothing: once it is closed, the client's time is up too.
        host, port = process.endpoint.removeprefix("tcp://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=CLOSE_WAIT) as silent:
            address = "%s:%d" % silent.getsockname()
            assert _closed_by_the_server(silent), "the demo kept a connection that never finished its handshake"
        line = process.wait_for_line(f"closed the connection from {address}", CLOSE_WAIT)
        assert "no whole ZeroMQ handshake within 3 s" in line, line

        raw_ping(client, 2)
        assert monitor.poll(0) == 0, f"the silent client was disconnected: {recv_monitor_message(monitor)}"
    finally:
        client.disable_monitor()
        monitor.close(0)
        client.close(0)


def test_the_python_task_producer_closes_a_connection_that_never_finishes_the_handshake() -> None:
    producer = zerobridge.TaskProducer("tcp://127.0.0.1:*", handshake_timeout=0.5)
    try:
        host, port = producer.endpoint.removeprefix("tcp://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=CLOSE_WAIT) as silent:
            assert _closed_by_the_server(silent), "the producer kept a connection that never finished its handshake"
    finally:
        producer.close()


@pytest.mark.parametrize("timeout", [0, -1, float("inf"), float("nan")])
def test_the_python_task_producer_refuses_a_handshake_timeout_that_is_not_a_positive_finite_number(timeout: float) -> None:
    with pytest.raises(ValueError, match="handshake_timeout must be a positive, finite number of seconds"):
        zerobridge.TaskProducer("tcp://127.0.0.1:*", handshake_timeout=timeout)


def test_the_demo_stream_takes_its_connection_limits_from_configuration(tmp_path: Path) -> None:
    """`zbridge demo --publish`: the command line decides the stream, configuration its connection limits."""
    env = dict(os.environ, ZeroBridge__Publisher__ConnectionLimits__HandshakeTimeout="00:00:01")
    process = ServerProcess([str(ZBRIDGE), "demo", "--bind", "tcp://127.0.0.1:*", "--publish", "tcp://127.0.0.1:*",
                             "--data", str(tmp_path / "demo.db")], env=env)
    try:
        process.wait_ready(DEADLINE)
        stream, snapshots = next(m for m in map(_PUBLISHING.search, process.output) if m).groups()
        for endpoint, component in [(stream, "Publisher"), (snapshots, "Publisher snapshots")]:
            host, port = endpoint.removeprefix("tcp://").rsplit(":", 1)
            with socket.create_connection((host, int(port)), timeout=CLOSE_WAIT) as silent:
                address = "%s:%d" % silent.getsockname()
                assert _closed_by_the_server(silent), f"the demo's {component} kept a silent connection"
            line = process.wait_for_line(f"{component}: closed the connection from {address}", CLOSE_WAIT)
            assert "no whole ZeroMQ handshake within 1 s" in line, line
    finally:
        process.stop()
