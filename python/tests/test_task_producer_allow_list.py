"""The Python task producer with an allow-list (docs/protocol.md §12.4), against real worker processes:
the C# ``zbridge task-worker --cert`` and Python task workers (task_worker_fixture.py) proving their
keys. Only a worker that proved an allowed key gets tasks; an unknown key gets the ``unauthenticated``
notice and nothing else while the tasks complete on the allowed worker; a key added to the directory
is let in, a key removed from it loses its worker within a second, without a restart."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import msgpack
import pytest
import zmq
import zmq.auth

import zerobridge
from support import RECV_TIMEOUT, ServerProcess, recv_multipart
from zerobridge._security import CurveClient
from test_submit_cli import BUILD_DEADLINE
from test_tasks import JOB_TIMEOUT, REPO, ZBRIDGE, Workers


STEP_DEADLINE = 60.0


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Key pairs (pyzmq's) of the producer and the workers ``alice``, ``bob`` and ``stranger``."""
    directory = tmp_path_factory.mktemp("producer-keys")
    for name in ("producer", "alice", "bob", "stranger"):
        zmq.auth.create_certificates(str(directory), name)
    return directory


@pytest.fixture
def allowed(keys: Path, tmp_path: Path) -> Path:
    """An allow-list directory with alice's and bob's public keys (the test may change it)."""
    directory = tmp_path / "allowed"
    directory.mkdir()
    for name in ("alice", "bob"):
        shutil.copy(keys / f"{name}.key", directory / f"{name}.key")
    return directory


@pytest.fixture
def producer(keys: Path, allowed: Path, caplog: pytest.LogCaptureFixture) -> Iterator[zerobridge.TaskProducer]:
    caplog.set_level(logging.INFO, logger="zerobridge.tasks")
    with zerobridge.TaskProducer("tcp://127.0.0.1:*", cert=keys / "producer.key_secret",
                                 allow_list=allowed) as p:
        yield p


@pytest.fixture
def workers() -> Iterator[Workers]:
    pool = Workers()
    yield pool
    for process in pool.processes:
        process.stop()


def _python_worker(workers: Workers, producer: zerobridge.TaskProducer, keys: Path, name: str) -> None:
    """A Python task worker process proving ``name``'s key (heartbeats every 0.1 s)."""
    workers.python(producer.endpoint, name, ZB_SERVER_KEY=str(keys / "producer.key"),
                   ZB_CERT=str(keys / f"{name}.key_secret"), ZB_HEARTBEAT="0.1")


def _csharp_worker(workers: Workers, producer: zerobridge.TaskProducer, keys: Path, name: str) -> None:
    """``zbridge task-worker`` proving ``name``'s key."""
    workers.processes.append(ServerProcess(
        [str(ZBRIDGE), "task-worker", producer.endpoint, "--server-key", str(keys / "producer.key"),
         "--cert", str(keys / f"{name}.key_secret")], cwd=REPO))


def _key(keys: Path, name: str) -> str:
    return zmq.auth.load_certificate(str(keys / f"{name}.key"))[0].decode("ascii")


def _serve_until(producer: zerobridge.TaskProducer, condition: Callable[[], bool], what: str,
                 deadline: float = STEP_DEADLINE) -> None:
    """Let the producer serve its socket (answer proofs, hear workers) until ``condition`` holds."""
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"not within {deadline} s: {what}")
        producer._step(None)  # noqa: SLF001 - what wait_for_workers and results do between checks


def _refused(caplog: pytest.LogCaptureFixture, key: str) -> Callable[[], bool]:
    """Whether the producer logged a refused proof of ``key``."""
    return lambda: any(key in r.getMessage() and "not on the allow-list" in r.getMessage()
                       for r in caplog.records)


def test_only_a_worker_that_proved_an_allowed_key_gets_tasks(
        producer: zerobridge.TaskProducer, workers: Workers, keys: Path, caplog: pytest.LogCaptureFixture) -> None:
    _python_worker(workers, producer, keys, "stranger")
    _serve_until(producer, _refused(caplog, _key(keys, "stranger")), "the stranger's proof refused")
    _serve_until(producer, lambda: any("stranger" in r.getMessage() and "gets no task" in r.getMessage()
                                       for r in caplog.records), "the stranger's heartbeat refused")
    assert producer.workers == []

    _csharp_worker(workers, producer, keys, "alice")
    producer.wait_for_workers(1, timeout=BUILD_DEADLINE)  # the first run of ./zbridge builds the CLI
    results = list(producer.results("square", range(12), timeout=JOB_TIMEOUT))

    assert sorted(r.value for r in results) == [i * i for i in range(12)]
    assert {r.worker.split("-")[0] for r in results} == {"dotnet"}, [r.worker for r in results]
    assert producer.workers == [results[0].worker]


def test_a_key_added_to_the_directory_is_let_in_without_a_restart(
        producer: zerobridge.TaskProducer, workers: Workers, keys: Path, allowed: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    _python_worker(workers, producer, keys, "stranger")
    _serve_until(producer, _refused(caplog, _key(keys, "stranger")), "the stranger's proof refused")

    shutil.copy(keys / "stranger.key", allowed / "stranger.key")
    assert producer.wait_for_workers(1, timeout=STEP_DEADLINE) == ["stranger"]
    results = list(producer.results("square", range(5), timeout=JOB_TIMEOUT))
    assert {(r.value, r.worker) for r in results} == {(i * i, "stranger") for i in range(5)}


def test_a_key_removed_from_the_directory_loses_its_proved_worker(
        producer: zerobridge.TaskProducer, workers: Workers, keys: Path, allowed: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    _csharp_worker(workers, producer, keys, "alice")
    _python_worker(workers, producer, keys, "bob")
    names = producer.wait_for_workers(2, timeout=BUILD_DEADLINE)
    alice = next(name for name in names if name != "bob")

    (allowed / "alice.key").unlink()
    _serve_until(producer, lambda: alice not in producer.workers, "alice's worker dropped")
    assert any(_key(keys, "alice") in r.getMessage() and "no longer on the allow-list" in r.getMessage()
               for r in caplog.records)
    results = list(producer.results("square", range(12), timeout=JOB_TIMEOUT))
    assert {r.worker for r in results} == {"bob"}
    assert sorted(r.value for r in results) == [i * i for i in range(12)]


class _RawPeer:
    """A DEALER speaking the proof's requests to the producer by hand, as an attacker would."""

    def __init__(self, producer: zerobridge.TaskProducer, keys: Path, name: str, routing_id: bytes = b"") -> None:
        self.curve = CurveClient.configure(keys / "producer.key", keys / f"{name}.key_secret")
        assert self.curve is not None
        self.socket = zmq.Context.instance().socket(zmq.DEALER)
        self.socket.linger = 0
        if routing_id:
            self.socket.routing_id = routing_id
        self.curve.apply(self.socket)
        self.socket.connect(producer.endpoint)
        self._producer = producer
        self._ids = iter(range(1, 1000))

    def request(self, command: str, kwargs: Dict[str, Any]) -> List[Any]:
        """Send one request, let the producer answer it; ``[ok, body]``."""
        request_id = next(self._ids)
        self.socket.send_multipart([b"", b"MDPC01", b"tasks", msgpack.packb({"v": 1, "id": request_id, "cmd": command}),
                                    msgpack.packb([[], kwargs], use_bin_type=True)])
        _serve_until(self._producer, lambda: self.socket.poll(0) != 0, f"the producer's answer to {command}")
        frames = recv_multipart(self.socket)
        header, body = msgpack.unpackb(frames[3]), msgpack.unpackb(frames[4], raw=False)
        assert header["id"] == request_id
        return [header["ok"], body if header["ok"] else body["code"]]

    def close(self) -> None:
        self.socket.close()


def test_recorded_or_borrowed_proofs_are_refused(producer: zerobridge.TaskProducer, keys: Path) -> None:
    first, second = _RawPeer(producer, keys, "alice"), _RawPeer(producer, keys, "alice")
    try:
        ok, hello = first.request("auth.hello", {})
        proof = first.curve.proof(hello["challenge"])
        assert second.request("auth.prove", proof) == [False, "unauthenticated"]   # another connection's challenge
        assert first.request("auth.prove", proof) == [True, {"key": _key(keys, "alice"), "name": None}]
        assert first.request("auth.prove", proof) == [False, "unauthenticated"]    # a challenge is used once
        assert second.request("auth.prove", {"key": 1}) == [False, "bad_request"]
    finally:
        first.close()
        second.close()


def test_a_peer_that_asks_and_leaves_before_the_answer_does_not_break_the_producer(keys: Path) -> None:
    """A reply to a peer that has gone (ROUTER_MANDATORY: host unreachable) is dropped, not raised to the caller."""
    with zerobridge.TaskProducer("tcp://127.0.0.1:*", cert=keys / "producer.key_secret") as producer:
        events = producer._socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)  # noqa: SLF001
        try:
            peer = _RawPeer(producer, keys, "alice")
            peer.socket.send_multipart([b"", b"MDPC01", b"tasks", msgpack.packb({"v": 1, "id": 1, "cmd": "auth.hello"}),
                                        msgpack.packb([[], {}])])
            peer.socket.close(linger=int(RECV_TIMEOUT * 1000))  # sent, then gone
            recv_multipart(events)  # the producer's socket saw the connection go, before reading the request
            producer._step(None)  # noqa: SLF001 - answers the request: must not raise
        finally:
            producer._socket.disable_monitor()  # noqa: SLF001
            events.close()


def test_a_newcomer_taking_a_departed_workers_routing_id_inherits_neither_its_proof_nor_its_place(
        keys: Path, allowed: Path) -> None:
    with zerobridge.TaskProducer("tcp://127.0.0.1:*", cert=keys / "producer.key_secret", allow_list=allowed,
                                 worker_timeout=STEP_DEADLINE * 10) as producer:  # never lost by silence here
        alice = _RawPeer(producer, keys, "alice", routing_id=b"worker-x")
        ok, hello = alice.request("auth.hello", {})
        assert alice.request("auth.prove", alice.curve.proof(hello["challenge"]))[0]
        alice.socket.send_multipart([b"ZBTASK01", msgpack.packb({"v": 1, "type": "ready", "credit": 1, "name": "alice"})])
        _serve_until(producer, lambda: producer.workers == ["alice"], "alice counted as a worker")

        alice.close()
        _serve_until(producer, lambda: producer.workers == [], "alice's worker dropped when her connection went")

        stranger = _RawPeer(producer, keys, "stranger", routing_id=b"worker-x")
        try:
            stranger.socket.send_multipart([b"ZBTASK01", msgpack.packb({"v": 1, "type": "ready", "credit": 1,
                                                                         "name": "stranger"})])
            _serve_until(producer, lambda: stranger.socket.poll(0) != 0, "the producer's answer to the stranger")
            notice = recv_multipart(stranger.socket)
            assert msgpack.unpackb(notice[1])["type"] == "unauthenticated"
            assert producer.workers == []
        finally:
            stranger.close()
