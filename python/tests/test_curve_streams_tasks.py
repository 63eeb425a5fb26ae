"""CurveZMQ on streams and task pools, between Python and the real C# processes (``docs/security.md``):
``zbridge demo --publish --cert`` serves every endpoint with its one key pair; Python subscriptions
(blocking and asyncio), task producers and workers and the IPython magic take the same
``server_key=``/``cert=`` as ``connect``; the CLI verbs take ``--server-key``/``--cert``."""

from __future__ import annotations

import asyncio
import re
import subprocess
import threading
from pathlib import Path
from typing import Iterator, List, Tuple

import msgpack
import pytest
import zmq
import zmq.auth

import zerobridge
import zerobridge._security
from support import ServerProcess
from test_submit_cli import Submit

REPO = Path(__file__).resolve().parents[2]
ZBRIDGE = REPO / "zbridge"
START_DEADLINE = 180.0
CLI_DEADLINE = 300.0
_PUBLISHING = re.compile(r"Publishing on (tcp://\S+) \(snapshots on (tcp://[^\s)]+)\)")



@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``server``, ``alice`` and ``stranger`` key pairs, made by pyzmq."""
    directory = tmp_path_factory.mktemp("keys")
    for name in ("server", "alice", "stranger"):
        zmq.auth.create_certificates(str(directory), name)
    return directory


@pytest.fixture(scope="module")
def curve_demo(keys: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[str, str, str]]:
    """``zbridge demo --publish --encrypt-payloads`` with a key pair: (server, stream, snapshot) endpoints."""
    data = tmp_path_factory.mktemp("curve-demo") / "demo.db"
    server = ServerProcess([str(ZBRIDGE), "demo", "--bind", "tcp://127.0.0.1:*", "--data", str(data),
                            "--publish", "tcp://127.0.0.1:*", "--snapshot", "tcp://127.0.0.1:*",
                            "--ticks-per-second", "50", "--cert", str(keys / "server.key_secret"),
                            "--encrypt-payloads"], cwd=REPO)
    try:
        endpoint = server.wait_ready(START_DEADLINE)
        published = next(m for m in map(_PUBLISHING.search, server.output) if m)
        yield endpoint, published.group(1), published.group(2)
    finally:
        server.stop()


def test_every_endpoint_of_the_demo_uses_its_key_pair(curve_demo: Tuple[str, str, str], keys: Path) -> None:
    endpoint, stream, snapshot = curve_demo
    with zerobridge.connect(endpoint, server_key=keys / "server.key", timeout=30) as client:
        assert client.ping() == "pong"
    with zerobridge.subscribe(stream, "prices.", snapshot=snapshot, timeout=30, server_key=keys / "server.key",
                              cert=keys / "alice.key_secret") as warm:
        next(iter(warm))  # the feed has published a price, so the next snapshot has one to send
    with zerobridge.subscribe(stream, "prices.", snapshot=snapshot, timeout=30, server_key=keys / "server.key",
                              cert=keys / "alice.key_secret") as subscription:
        first = next(iter(subscription))
        assert first.snapshot and first.topic.startswith("prices.")  # through the CURVE snapshot socket
        live = next(m for m in subscription if not m.snapshot)
        assert live.topic.startswith("prices.") and isinstance(live.value, dict)


def test_a_curve_peer_without_the_topic_key_sees_topic_and_sequence_but_never_the_value(
        curve_demo: Tuple[str, str, str], keys: Path) -> None:
    _, stream, snapshot = curve_demo
    with zerobridge.subscribe(stream, "prices.", snapshot=snapshot, timeout=30,
                              server_key=keys / "server.key") as subscription:
        field_names = [name.encode() for name in next(iter(subscription)).value]  # what a value looks like in clear
    context = zmq.Context.instance()
    raw = context.socket(zmq.SUB)
    raw.linger = 0
    zerobridge._security.CurveClient.configure(keys / "server.key").apply(raw)
    raw.subscribe(b"prices.")
    raw.connect(stream)
    try:
        assert raw.poll(30_000), "no stream message"
        topic, header, *payload = raw.recv_multipart()
    finally:
        raw.close()
    decoded = msgpack.unpackb(header)
    assert topic.startswith(b"prices.") and decoded["kind"] == "data" and decoded["seq"] >= 1
    assert decoded["kid"] == 1 and len(payload) == 1
    assert field_names and not any(name in payload[0] for name in field_names)


def test_a_subscription_that_cannot_ask_for_keys_drops_values_and_says_why(
        curve_demo: Tuple[str, str, str], keys: Path) -> None:
    _, stream, _ = curve_demo
    events: List[zerobridge.StreamEvent] = []
    with zerobridge.subscribe(stream, "prices.", server_key=keys / "server.key", on_event=events.append) as subscription:
        assert subscription.poll(3.0) == []
    denied = [event for event in events if event.kind == "key_denied"]
    assert denied and "snapshot" in denied[0].message


def test_the_asyncio_subscription_uses_curve_too(curve_demo: Tuple[str, str, str], keys: Path) -> None:
    _, stream, snapshot = curve_demo

    async def main() -> zerobridge.StreamMessage:
        async with zerobridge.asubscribe(stream, "prices.", snapshot=snapshot, timeout=30,
                                         server_key=keys / "server.key") as subscription:
            return await subscription.receive(30)

    assert asyncio.run(main()).topic.startswith("prices.")


def test_a_wrong_publisher_key_is_an_authentication_error(curve_demo: Tuple[str, str, str], keys: Path) -> None:
    _, stream, _ = curve_demo
    with zerobridge.subscribe(stream, "prices.", timeout=60, server_key=keys / "stranger.key") as subscription:
        with pytest.raises(zerobridge.AuthenticationError, match="handshake"):
            subscription.receive(60)


def test_a_plain_text_subscriber_is_told_the_publisher_requires_curve(curve_demo: Tuple[str, str, str]) -> None:
    _, stream, _ = curve_demo

    async def main() -> None:
        async with zerobridge.asubscribe(stream, "prices.", timeout=60) as subscription:
            await subscription.receive(60)

    with pytest.raises(zerobridge.AuthenticationError, match="requires CURVE"):
        asyncio.run(main())


def test_zbridge_sub_talks_curve_with_key_files(curve_demo: Tuple[str, str, str], keys: Path) -> None:
    _, stream, snapshot = curve_demo
    result = subprocess.run([str(ZBRIDGE), "sub", stream, "orders.", "prices.", "--snapshot", snapshot, "--count", "2",
                             "--json", "--timeout", "60", "--server-key", str(keys / "server.key"),
                             "--cert", str(keys / "alice.key_secret")],
                            capture_output=True, text=True, timeout=CLI_DEADLINE, stdin=subprocess.DEVNULL, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(result.stdout.strip().splitlines()) == 2


def test_the_magic_connects_with_the_same_keys_as_connect(curve_demo: Tuple[str, str, str], keys: Path) -> None:
    shell_module = pytest.importorskip("IPython.core.interactiveshell")
    from zerobridge._magics import ZeroBridgeMagics

    endpoint, _, _ = curve_demo
    shell = shell_module.InteractiveShell.instance()
    magics = ZeroBridgeMagics(shell)
    client = magics.zerobridge(f"{endpoint} --server-key {keys / 'server.key'} --cert {keys / 'alice.key_secret'}")
    try:
        assert shell.user_ns["zb"] is client and client.ping() == "pong"
    finally:
        client.close()
    with pytest.raises(zerobridge.AuthenticationError, match="handshake"):
        magics.zerobridge(f"{endpoint} --timeout 60 --server-key {keys / 'stranger.key'}")
    magics.client = None


def _square(x: int) -> int:
    return x * x


def test_a_python_producer_and_worker_run_tasks_over_curve(keys: Path) -> None:
    with zerobridge.TaskProducer("tcp://127.0.0.1:*", cert=keys / "server.key_secret") as producer:
        worker = zerobridge.TaskWorker(producer.endpoint, {"square": _square}, server_key=keys / "server.key",
                                       cert=keys / "alice.key_secret")
        thread = threading.Thread(target=worker.run, kwargs={"max_tasks": 3}, daemon=True)
        thread.start()
        producer.wait_for_workers(1, timeout=30)
        assert producer.map("square", [1, 2, 3], progress=False, timeout=60) == [1, 4, 9]
        thread.join(30)
        assert not thread.is_alive()


def test_the_asyncio_producer_and_worker_run_tasks_over_curve(keys: Path) -> None:
    async def main() -> List[int]:
        async with zerobridge.AsyncTaskProducer("tcp://127.0.0.1:*", cert=keys / "server.key_secret") as producer:
            worker = zerobridge.AsyncTaskWorker(producer.endpoint, {"square": _square},
                                                server_key=keys / "server.key")
            serving = asyncio.ensure_future(worker.run(max_tasks=2))
            await producer.wait_for_workers(1, timeout=30)
            values = await producer.map("square", [5, 6], progress=False, timeout=60)
            await asyncio.wait_for(serving, 30)
            return values

    assert asyncio.run(main()) == [25, 36]


def test_a_python_worker_with_a_wrong_producer_key_is_an_authentication_error(keys: Path) -> None:
    with zerobridge.TaskProducer("tcp://127.0.0.1:*", cert=keys / "server.key_secret") as producer:
        worker = zerobridge.TaskWorker(producer.endpoint, {"square": _square}, server_key=keys / "stranger.key")
        with pytest.raises(zerobridge.AuthenticationError, match="handshake"):
            worker.run(duration=60)
        assert producer.workers == []


def test_a_python_producer_beyond_loopback_refuses_plain_text_unless_insecure(keys: Path) -> None:
    with pytest.raises(ValueError, match="insecure=True"):
        zerobridge.TaskProducer("tcp://0.0.0.0:*")
    with zerobridge.TaskProducer("tcp://0.0.0.0:*", insecure=True) as plain:
        assert plain.endpoint.startswith("tcp://0.0.0.0:")
    with zerobridge.TaskProducer("tcp://0.0.0.0:*", cert=keys / "server.key_secret") as encrypted:
        assert encrypted.endpoint.startswith("tcp://0.0.0.0:")


def test_the_cli_task_worker_and_submit_talk_curve(keys: Path) -> None:
    # zbridge task-worker (C#) for a Python producer with a key pair ...
    with zerobridge.TaskProducer("tcp://127.0.0.1:*", cert=keys / "server.key_secret") as producer:
        worker = ServerProcess([str(ZBRIDGE), "task-worker", producer.endpoint, "--server-key", str(keys / "server.key"),
                                "--cert", str(keys / "alice.key_secret")], cwd=REPO)
        try:
            producer.wait_for_workers(1, timeout=START_DEADLINE)
            assert producer.map("square", [7], progress=False, timeout=60) == [49]
        finally:
            worker.stop()

    # ... and zbridge submit (a C# producer with a key pair) for a Python worker.
    submit = Submit("square", "{i}", "--count", "3", "--wait", str(START_DEADLINE), "--cert", str(keys / "server.key_secret"))
    worker = zerobridge.TaskWorker(submit.endpoint(), {"square": _square}, server_key=keys / "server.key")
    thread = threading.Thread(target=worker.run, kwargs={"max_tasks": 3, "duration": CLI_DEADLINE}, daemon=True)
    thread.start()
    try:
        assert submit.finish() == 0, submit.stderr.decode()
    finally:
        submit.kill()
        thread.join(30)
    assert sorted(result["value"] for result in submit.results()) == [0, 1, 4]
