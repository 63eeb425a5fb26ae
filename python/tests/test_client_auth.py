"""Client authentication against the real C# server (``docs/security.md``): a Python client with
its certificate proves its key by itself (sync and async); no certificate, an unknown key and a
command outside the key's permissions are refused with the right error, and nothing runs."""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
from pathlib import Path
from typing import Iterator, List

import pytest
import zmq.auth

import zerobridge
from support import ServerProcess

REPO = Path(__file__).resolve().parents[2]
ZBRIDGE = REPO / "zbridge"
START_DEADLINE = 120.0
CLI_DEADLINE = 300.0



@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``server``; ``analyst`` (allowed: ``echo`` and ``orders.*``); ``stranger`` (not allowed)."""
    directory = tmp_path_factory.mktemp("keys")
    zmq.auth.create_certificates(str(directory), "server")
    result = subprocess.run([str(ZBRIDGE), "keygen", "analyst", "--dir", str(directory),
                             "--commands", "echo, orders.*"], capture_output=True, text=True,
                            timeout=CLI_DEADLINE, stdin=subprocess.DEVNULL, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    zmq.auth.create_certificates(str(directory), "stranger")
    allowed = directory / "allowed"
    allowed.mkdir()
    shutil.copy(directory / "analyst.key", allowed / "analyst.key")
    return directory


@pytest.fixture(scope="module")
def server(keys: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``zbridge demo`` over CURVE, serving only the keys in ``keys/allowed``."""
    data = tmp_path_factory.mktemp("auth-demo") / "demo.db"
    process = ServerProcess([str(ZBRIDGE), "demo", "--bind", "tcp://127.0.0.1:*", "--data", str(data),
                             "--cert", str(keys / "server.key_secret"),
                             "--allow-list", str(keys / "allowed")], cwd=REPO)
    try:
        yield process.wait_ready(START_DEADLINE)
    finally:
        process.stop()


def test_an_allowed_key_proves_itself_and_calls(server: str, keys: Path) -> None:
    with zerobridge.connect(server, server_key=keys / "server.key", cert=keys / "analyst.key_secret",
                            timeout=30) as client:
        assert client.call("echo", value="hello") == "hello"
        assert client.call("echo", value=[1, 2]) == [1, 2]  # the connection stays proved


def test_the_async_client_proves_itself_too(server: str, keys: Path) -> None:
    async def main() -> list:
        async with zerobridge.AsyncClient(server, server_key=keys / "server.key",
                                          cert=keys / "analyst.key_secret", timeout=30) as client:
            return list(await asyncio.gather(*(client.call("echo", value=i) for i in range(5))))

    assert asyncio.run(main()) == [0, 1, 2, 3, 4]


def test_without_a_certificate_every_request_is_unauthenticated(server: str, keys: Path) -> None:
    with zerobridge.connect(server, server_key=keys / "server.key", timeout=30) as client:
        with pytest.raises(zerobridge.Unauthenticated, match="allow-list"):
            client.call("echo", value="x")


def test_an_unknown_key_is_refused(server: str, keys: Path) -> None:
    with zerobridge.connect(server, server_key=keys / "server.key", cert=keys / "stranger.key_secret",
                            timeout=30) as client:
        with pytest.raises(zerobridge.Unauthenticated, match="not on this server's allow-list"):
            client.call("echo", value="x")


def test_a_command_outside_the_keys_permissions_is_denied_by_name(server: str, keys: Path) -> None:
    with zerobridge.connect(server, server_key=keys / "server.key", cert=keys / "analyst.key_secret",
                            timeout=30) as client:
        with pytest.raises(zerobridge.PermissionDenied, match="'sql.query'"):
            client.call("sql.query", sql="select 1")
        assert client.ping() == "pong"


def test_zbridge_call_proves_its_key(server: str, keys: Path) -> None:
    result = subprocess.run([str(ZBRIDGE), "call", server, "echo", "value=42", "--server-key",
                             str(keys / "server.key"), "--cert", str(keys / "analyst.key_secret")],
                            capture_output=True, text=True, timeout=CLI_DEADLINE, stdin=subprocess.DEVNULL, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "42"


def test_through_a_broker_with_an_allow_list_the_python_worker_proves_itself_and_sees_the_caller(
        keys: Path, tmp_path: Path) -> None:
    from broker_support import HEARTBEAT, LIVENESS, start_broker, stop_all, wait_until

    allowed = tmp_path / "allowed"
    allowed.mkdir()
    for name, services, commands in (("client", "maths", "whoami"), ("worker", "maths", ""), ("rogue", "hr", "")):
        (allowed / f"{name}.key").write_text(_public_certificate(keys, name, services, commands))
    broker = start_broker("tcp://127.0.0.1:*", "--cert", str(keys / "server.key_secret"),
                          "--allow-list", str(allowed), request_timeout=3)
    try:
        seen = []
        worker = zerobridge.Worker(broker.endpoint, "maths", heartbeat=HEARTBEAT, liveness=LIVENESS,
                                   server_key=keys / "server.key", cert=keys / "worker.key_secret",
                                   allow_list=allowed)
        worker.add("whoami", lambda: seen.append(zerobridge.current_caller()) or seen[-1].name)
        worker.add("secret", lambda: "secret")
        rogue = zerobridge.Worker(broker.endpoint, "maths", heartbeat=HEARTBEAT, liveness=LIVENESS,
                                  server_key=keys / "server.key", cert=keys / "rogue.key_secret")
        rogue.add("whoami", lambda: "forged")
        with worker, rogue:
            wait_until(lambda: rogue.registrations >= 1, "the rogue worker's READY")  # it proved, then asks for maths
            with zerobridge.connect(broker.endpoint, service="maths", server_key=keys / "server.key",
                                    cert=keys / "client.key_secret", timeout=30) as client:
                assert [client.call("whoami") for _ in range(4)] == ["client"] * 4  # never the rogue
                with pytest.raises(zerobridge.PermissionDenied, match="'secret'"):
                    client.call("secret")
            assert seen[0] == zerobridge.Caller(_public_key(keys, "client"), "client")
            assert zerobridge.mmi(broker.endpoint, "mmi.service", "maths", server_key=keys / "server.key",
                                  cert=keys / "client.key_secret", timeout=30) == ("200", None)
            status, _ = zerobridge.mmi(broker.endpoint, "mmi.service", "maths",
                                       server_key=keys / "server.key", timeout=30)
            assert status == "401"
            assert rogue.served == 0
    finally:
        stop_all([broker])


def test_a_python_worker_with_an_allow_list_behind_a_broker_without_one_runs_only_the_built_ins(
        keys: Path, tmp_path: Path) -> None:
    """No caller stamped on a request (the broker authenticates nobody) means no permission, not every one."""
    from broker_support import HEARTBEAT, LIVENESS, start_broker, stop_all

    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "client.key").write_text(_public_certificate(keys, "client", "maths", "whoami"))
    broker = start_broker("tcp://127.0.0.1:*", "--cert", str(keys / "server.key_secret"), request_timeout=3)
    try:
        ran = []
        worker = zerobridge.Worker(broker.endpoint, "maths", heartbeat=HEARTBEAT, liveness=LIVENESS,
                                   server_key=keys / "server.key", allow_list=allowed)
        worker.add("whoami", lambda: ran.append(1) or "ran")
        with worker, zerobridge.connect(broker.endpoint, service="maths", server_key=keys / "server.key",
                                        cert=keys / "client.key_secret", timeout=30) as client:
            with pytest.raises(zerobridge.PermissionDenied, match="stamped no authenticated caller"):
                client.call("whoami")
            assert client.call("ping") == "pong"  # the built-ins still answer
        assert ran == []
    finally:
        stop_all([broker])


def test_zbridge_worker_with_an_allow_list_applies_the_callers_command_permissions(keys: Path, tmp_path: Path) -> None:
    """`zbridge worker --allow-list`: the broker checks the service, the worker the command (orders.* only)."""
    from broker_support import CLI_DLL, HEARTBEAT, LIVENESS, Process, start_broker, stop_all

    allowed = tmp_path / "allowed"
    allowed.mkdir()
    for name, services, commands in (("client", "erp", "orders.*"), ("worker", "erp", "")):
        (allowed / f"{name}.key").write_text(_public_certificate(keys, name, services, commands))
    broker = start_broker("tcp://127.0.0.1:*", "--cert", str(keys / "server.key_secret"),
                          "--allow-list", str(allowed), request_timeout=3)
    worker = Process(["dotnet", str(CLI_DLL), "worker", "--connect", broker.endpoint, "--service", "erp",
                      "--heartbeat", str(HEARTBEAT), "--liveness", str(LIVENESS),
                      "--server-key", str(keys / "server.key"), "--cert", str(keys / "worker.key_secret"),
                      "--allow-list", str(allowed)])
    try:
        worker.wait_for(r"serving")
        with zerobridge.connect(broker.endpoint, service="erp", server_key=keys / "server.key",
                                cert=keys / "client.key_secret", timeout=30) as client:
            assert len(client.orders.recent(n=2)) == 2
            with pytest.raises(zerobridge.PermissionDenied, match="'sql.query'"):
                client.call("sql.query", text="SELECT 1")
    finally:
        stop_all([worker, broker])


def test_a_python_worker_whose_ready_is_refused_waits_longer_each_time(
        keys: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Rather than reconnect at once (and fill the broker's log), a refused worker backs off."""
    import re

    from broker_support import HEARTBEAT, LIVENESS, start_broker, stop_all, wait_until

    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "rogue.key").write_text(_public_certificate(keys, "rogue", "hr", ""))
    broker = start_broker("tcp://127.0.0.1:*", "--cert", str(keys / "server.key_secret"), "--allow-list", str(allowed))
    caplog.set_level(logging.WARNING, logger="zerobridge.worker")
    try:
        worker = zerobridge.Worker(broker.endpoint, "maths", heartbeat=HEARTBEAT, liveness=LIVENESS,
                                   server_key=keys / "server.key", cert=keys / "rogue.key_secret")
        with worker:
            def waits() -> List[float]:
                return [float(m.group(1)) for r in caplog.records
                        if (m := re.search(r"refused READY.* in ([0-9.]+) s", r.getMessage()))]
            wait_until(lambda: len(waits()) >= 3, "three refused READYs")
        assert waits()[:3] == [0.25, 0.5, 1.0]
    finally:
        stop_all([broker])


def _public_key(keys: Path, name: str) -> str:
    if not (keys / f"{name}.key_secret").exists():
        zmq.auth.create_certificates(str(keys), name)
    public, _ = zmq.auth.load_certificate(str(keys / f"{name}.key_secret"))
    return public.decode("ascii")


def _public_certificate(keys: Path, name: str, services: str, commands: str) -> str:
    """An allow-list entry for ``name`` with its permissions in the metadata (ZPL)."""
    return (f'metadata\n    name = "{name}"\n    services = "{services}"\n    commands = "{commands}"\n'
            f'curve\n    public-key = "{_public_key(keys, name)}"\n')
