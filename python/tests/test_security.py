"""CurveZMQ between Python and the real C# server (``docs/security.md``): key files shared with
pyzmq both ways, encrypted calls, and clear errors when the two sides disagree about keys."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
from pathlib import Path
from typing import Iterator, Tuple

import pytest
import zmq
import zmq.auth

import zerobridge
from support import ServerProcess

REPO = Path(__file__).resolve().parents[2]
ZBRIDGE = REPO / "zbridge"
START_DEADLINE = 120.0
CLI_DEADLINE = 300.0



def _zbridge(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ZBRIDGE), *args], capture_output=True, text=True, timeout=CLI_DEADLINE,
                          stdin=subprocess.DEVNULL, cwd=REPO)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``server`` made by pyzmq, ``alice`` made by ``zbridge keygen``, ``stranger`` by pyzmq."""
    directory = tmp_path_factory.mktemp("keys")
    zmq.auth.create_certificates(str(directory), "server")
    zmq.auth.create_certificates(str(directory), "stranger")
    result = _zbridge("keygen", "alice", "--dir", str(directory))
    assert result.returncode == 0, result.stdout + result.stderr
    return directory


@pytest.fixture(scope="module")
def curve_server(keys: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``zbridge demo`` serving over CURVE with the key pair pyzmq made."""
    data = tmp_path_factory.mktemp("curve-demo") / "demo.db"
    server = ServerProcess([str(ZBRIDGE), "demo", "--bind", "tcp://127.0.0.1:*", "--data", str(data),
                            "--cert", str(keys / "server.key_secret")], cwd=REPO)
    try:
        yield server.wait_ready(START_DEADLINE)
    finally:
        server.stop()


def test_pyzmq_reads_the_key_files_zbridge_keygen_writes(keys: Path) -> None:
    public, none = zmq.auth.load_certificate(str(keys / "alice.key"))
    public_again, secret = zmq.auth.load_certificate(str(keys / "alice.key_secret"))

    assert none is None and public == public_again and len(public) == 40
    assert zmq.curve_public(secret) == public  # the pair belongs together
    assert stat.S_IMODE(os.stat(keys / "alice.key_secret").st_mode) == 0o600
    assert 'name = "alice"' in (keys / "alice.key").read_text()


def test_a_client_with_the_server_key_calls_over_curve(curve_server: str, keys: Path) -> None:
    # The server loaded the pair pyzmq wrote; the client uses the pair zbridge keygen wrote.
    with zerobridge.connect(curve_server, server_key=keys / "server.key",
                            cert=keys / "alice.key_secret", timeout=30) as client:
        assert client.ping() == "pong"
        assert client.call("echo", value=[1, "two"]) == [1, "two"]


def test_the_async_path_uses_curve_too(curve_server: str, keys: Path) -> None:
    async def main() -> str:
        async with zerobridge.AsyncClient(curve_server, server_key=keys / "server.key", timeout=30) as client:
            return await client.ping()

    assert asyncio.run(main()) == "pong"


def test_a_wrong_server_key_says_the_handshake_did_not_complete(curve_server: str, keys: Path) -> None:
    with zerobridge.connect(curve_server, server_key=keys / "stranger.key", timeout=60) as client:
        with pytest.raises(zerobridge.AuthenticationError) as caught:
            client.ping()
    assert "handshake" in str(caught.value) and "server_key" in str(caught.value)


def test_a_wrong_server_key_on_the_async_path_is_an_authentication_error(curve_server: str, keys: Path) -> None:
    async def main() -> None:
        async with zerobridge.AsyncClient(curve_server, server_key=keys / "stranger.key", timeout=5) as client:
            await client.ping()

    with pytest.raises(zerobridge.AuthenticationError, match="handshake"):
        asyncio.run(main())


def test_a_plain_text_client_is_told_the_server_requires_curve_and_the_server_is_unharmed(
        curve_server: str, keys: Path) -> None:
    with zerobridge.connect(curve_server, timeout=60) as plain:
        with pytest.raises(zerobridge.AuthenticationError, match="requires CURVE"):
            plain.ping()

    with zerobridge.connect(curve_server, server_key=keys / "server.key", timeout=30) as client:
        assert client.ping() == "pong"


def test_a_curve_client_is_told_a_plain_server_does_not_use_curve(endpoint: str, keys: Path) -> None:
    with zerobridge.connect(endpoint, server_key=keys / "server.key", timeout=60) as client:
        with pytest.raises(zerobridge.AuthenticationError, match="does not use CURVE"):
            client.ping()


def test_bad_key_arguments_are_refused_before_connecting(keys: Path) -> None:
    with pytest.raises(ValueError, match="only a public key"):
        zerobridge.connect("tcp://127.0.0.1:1", server_key=keys / "server.key", cert=keys / "alice.key")
    with pytest.raises(ValueError, match="Z85"):
        zerobridge.connect("tcp://127.0.0.1:1", server_key="not a key")
    with pytest.raises(ValueError, match="server_key"):
        zerobridge.connect("tcp://127.0.0.1:1", cert=keys / "alice.key_secret")


def test_zbridge_call_talks_curve_with_key_files(curve_server: str, keys: Path) -> None:
    result = _zbridge("call", curve_server, "echo", "value=42", "--server-key", str(keys / "server.key"),
                      "--cert", str(keys / "alice.key_secret"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "42"


def test_zbridge_call_without_the_server_key_names_curve_as_a_likely_cause(curve_server: str) -> None:
    """NetMQ reports no handshake events, so a plain-text call to a CURVE server is a timeout: it says to check the key."""
    result = _zbridge("call", curve_server, "ping", "--timeout", "2")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "--server-key" in result.stderr and "CURVE" in result.stderr


def test_the_demo_refuses_plain_text_beyond_loopback_and_says_how_to_set_up_keys(tmp_path: Path) -> None:
    result = _zbridge("demo", "--bind", "tcp://0.0.0.0:*", "--data", str(tmp_path / "demo.db"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "zbridge keygen" in result.stderr and "--insecure" in result.stderr


def test_a_python_worker_serves_through_a_curve_broker(keys: Path) -> None:
    from broker_support import HEARTBEAT, LIVENESS, start_broker, stop_all

    broker = start_broker("tcp://127.0.0.1:*", "--cert", str(keys / "server.key_secret"), request_timeout=20)
    try:
        worker = zerobridge.Worker(broker.endpoint, "maths", heartbeat=HEARTBEAT, liveness=LIVENESS,
                                   server_key=keys / "server.key", cert=keys / "alice.key_secret")
        worker.add("add", lambda a, b: a + b)
        with worker:
            with zerobridge.connect(broker.endpoint, service="maths", server_key=keys / "server.key",
                                    timeout=30) as client:
                assert client.call("add", 2, 3) == 5
            assert worker.served == 1
            assert zerobridge.mmi(broker.endpoint, "mmi.service", "maths",
                                  server_key=keys / "server.key", timeout=30) == ("200", None)
    finally:
        stop_all([broker])


def test_a_python_worker_with_a_wrong_broker_key_is_never_given_a_request(keys: Path) -> None:
    from broker_support import HEARTBEAT, LIVENESS, start_broker, stop_all

    broker = start_broker("tcp://127.0.0.1:*", "--cert", str(keys / "server.key_secret"), request_timeout=2)
    try:
        worker = zerobridge.Worker(broker.endpoint, "maths", heartbeat=HEARTBEAT, liveness=LIVENESS,
                                   server_key=keys / "stranger.key")
        worker.add("add", lambda a, b: a + b)
        with worker:
            with zerobridge.connect(broker.endpoint, service="maths", server_key=keys / "server.key",
                                    timeout=30) as client:
                with pytest.raises(zerobridge.ServiceUnavailable):
                    client.call("add", 2, 3)
            assert worker.served == 0
    finally:
        stop_all([broker])
