"""Brokers, C# and Python workers and clients as separate processes: balancing, failures, restarts."""

from __future__ import annotations

import collections
import concurrent.futures
import os
import signal
import threading
import time
from pathlib import Path
from typing import Iterator, List

import msgpack
import pytest
import zmq

import zerobridge
from broker_support import (HEARTBEAT, LIVENESS, Process, start_broker, start_worker, stop_all,
                            wait_for_workers, wait_until, workers_of)
from mdp_rfc import C_CLIENT, W_REQUEST, W_WORKER, RfcClient, RfcWorker
from support import ServerProcess, mdp_reply, mdp_request, probe_tag, recv_multipart

EXPIRY = HEARTBEAT * LIVENESS


@pytest.fixture(scope="module")
def broker() -> Iterator[Process]:
    process = start_broker()
    yield process
    process.stop()


@pytest.fixture
def processes() -> Iterator[List[Process]]:
    """Processes a test starts; all stopped at teardown, whatever happened."""
    started: List[Process] = []
    yield started
    stop_all(started)


def kill(process: Process) -> None:
    os.killpg(process.process.pid, signal.SIGKILL)
    process.process.wait(10)


# --------------------------------------------------------------------------- the same command, either route


def test_a_command_gives_the_same_result_through_the_broker_as_directly(broker, processes, tmp_path, server: ServerProcess):
    processes.append(start_worker(broker.endpoint, "same", "w-same", tmp_path))
    wait_for_workers(broker.endpoint, "same", 1)
    with zerobridge.connect(server.endpoint, timeout=10) as direct, \
            zerobridge.connect(broker.endpoint, service="same", timeout=10) as brokered:
        for command, kwargs in [("echo", {"value": {"a": [1, 2.5, "x", None], "b": b"\x00\x01"}}),
                                ("types.sample", {"kind": "nested"}),
                                ("orders.get", {"id": 42})]:
            a, b = direct.call(command, **kwargs), brokered.call(command, **kwargs)
            assert repr(a) == repr(b), command
        frame = brokered.orders.recent(n=3)          # attribute proxies work through the broker too
        assert len(frame) == 3
        blob = brokered.call("test.blob", size=200_000)   # attachments cross the broker untouched
        assert len(blob) == 200_000 and blob[:3] == b"\x00\x01\x02"
        with pytest.raises(zerobridge.CommandNotFound):
            brokered.call("orders.recnet")


def test_several_workers_share_a_service_least_recently_used_first(broker, processes, tmp_path):
    names = ["w-a", "w-b", "w-c"]
    for name in names:
        processes.append(start_worker(broker.endpoint, "pool", name, tmp_path))
    wait_for_workers(broker.endpoint, "pool", 3)
    with zerobridge.connect(broker.endpoint, service="pool", timeout=10) as client:
        served = collections.Counter(client.call("broker.whoami") for _ in range(30))
    assert set(served) == set(names)
    # One request at a time: each worker goes back to the end of the idle line, so they take turns.
    assert max(served.values()) - min(served.values()) <= 1, served


def test_one_worker_process_runs_requests_concurrently_over_several_connections(broker, processes, tmp_path):
    processes.append(start_worker(broker.endpoint, "multi", "w-multi", tmp_path, "--concurrency", "3"))
    wait_for_workers(broker.endpoint, "multi", 3)
    with zerobridge.connect(broker.endpoint, service="multi", timeout=20) as client:
        async def three():
            import asyncio
            return await asyncio.gather(*(client.acall("probe.meet", tag, parties=3, seconds=8) for _ in range(3)))
        import asyncio
        tag = probe_tag()
        # Each call returns true only when all three are running at once; one at a time, the first gives up (false).
        assert asyncio.run(three()) == [True] * 3, "the three did not run at once, one per connection"


# --------------------------------------------------------------------------- failures


def _call_in_background(endpoint: str, service: str, command: str, **kwargs):
    pool = concurrent.futures.ThreadPoolExecutor(1)

    def call():
        with zerobridge.connect(endpoint, service=service, timeout=30) as client:
            return client.call(command, **kwargs)
    return pool, pool.submit(call)


def test_a_worker_killed_mid_request_gets_the_caller_a_worker_lost_error(broker, processes, tmp_path):
    victim = start_worker(broker.endpoint, "fragile", "w-victim", tmp_path)
    processes.append(victim)
    wait_for_workers(broker.endpoint, "fragile", 1)
    pool, future = _call_in_background(broker.endpoint, "fragile", "broker.slow", seconds=60)
    try:
        victim.wait_for(r"STARTED broker.slow")
        survivor = start_worker(broker.endpoint, "fragile", "w-survivor", tmp_path)
        processes.append(survivor)
        wait_for_workers(broker.endpoint, "fragile", 2)
        kill(victim)
        with pytest.raises(zerobridge.WorkerLost) as caught:
            future.result(timeout=20)
        assert "broker.slow" in str(caught.value) and "not marked idempotent" in str(caught.value)
        assert survivor.output and not any("STARTED" in line for line in survivor.output), "not re-run"
    finally:
        pool.shutdown(wait=False)
    with zerobridge.connect(broker.endpoint, service="fragile", timeout=10) as client:
        assert client.call("broker.whoami") == "w-survivor"


def test_an_idempotent_command_whose_worker_is_killed_is_retried_on_another(broker, processes, tmp_path):
    victim = start_worker(broker.endpoint, "sturdy", "w-victim2", tmp_path)
    processes.append(victim)
    wait_for_workers(broker.endpoint, "sturdy", 1)
    wait_until(lambda: "broker.slow_idempotent" in
               zerobridge.mmi(broker.endpoint, "mmi.workers", "sturdy")[1]["workers"][0]["idempotent"],
               "the worker declared its idempotent commands")
    pool, future = _call_in_background(broker.endpoint, "sturdy", "broker.slow_idempotent", seconds=60,
                                        only_on="w-victim2")
    try:
        victim.wait_for(r"STARTED broker.slow_idempotent")
        survivor = start_worker(broker.endpoint, "sturdy", "w-survivor2", tmp_path)
        processes.append(survivor)
        wait_for_workers(broker.endpoint, "sturdy", 2)
        kill(victim)
        assert future.result(timeout=20) == "w-survivor2"
    finally:
        pool.shutdown(wait=False)
    assert zerobridge.mmi(broker.endpoint, "mmi.broker")[1]["retries"] >= 1


def test_a_csharp_worker_busy_longer_than_the_expiry_is_not_declared_dead(broker, processes, tmp_path):
    processes.append(start_worker(broker.endpoint, "patient", "w-patient", tmp_path))
    wait_for_workers(broker.endpoint, "patient", 1)
    with zerobridge.connect(broker.endpoint, service="patient", timeout=30) as client:
        assert client.call("broker.slow", seconds=EXPIRY * 2) == "w-patient"
    assert workers_of(broker.endpoint, "patient") == 1


def test_broker_killed_and_restarted_while_workers_and_clients_keep_going(processes, tmp_path):
    first = start_broker()
    endpoint = first.endpoint
    processes.append(first)
    for name in ("w-r1", "w-r2"):
        processes.append(start_worker(endpoint, "phoenix", name, tmp_path))
    wait_for_workers(endpoint, "phoenix", 2)

    python_worker = zerobridge.Worker(endpoint, "phoenix.py", heartbeat=HEARTBEAT, liveness=LIVENESS)
    python_worker.add("double", lambda x: 2 * x, idempotent=True)
    results: List[str] = []
    errors: List[BaseException] = []
    stop = threading.Event()

    def keep_calling():
        try:
            with zerobridge.connect(endpoint, service="phoenix", timeout=2, retries=15) as client:
                while not stop.is_set():
                    results.append(client.call("broker.whoami"))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    with python_worker:
        wait_for_workers(endpoint, "phoenix.py", 1)
        caller = threading.Thread(target=keep_calling, daemon=True)
        caller.start()
        wait_until(lambda: len(results) >= 5, "calls go through the first broker")
        kill(first)
        before = len(results)
        second = start_broker(endpoint)
        processes.append(second)
        wait_for_workers(endpoint, "phoenix", 2)           # the C# workers re-registered
        wait_for_workers(endpoint, "phoenix.py", 1)        # and so did the Python worker
        wait_until(lambda: len(results) >= before + 5 or errors, "calls go through the second broker")
        stop.set()
        caller.join(30)
        assert not errors, errors
        assert python_worker.registrations >= 2
        with zerobridge.connect(endpoint, service="phoenix.py", timeout=10) as client:
            assert client.double(x=21) == 42
    assert set(results) == {"w-r1", "w-r2"}


# --------------------------------------------------------------------------- Python workers


def test_a_python_function_becomes_a_service(broker):
    worker = zerobridge.Worker(broker.endpoint, "py.maths", heartbeat=HEARTBEAT, liveness=LIVENESS)

    @worker.command()
    def add(a: int, b: int = 1) -> int:
        """Adds two numbers."""
        return a + b

    @worker.command("maths.fail")
    def fail(message: str) -> None:
        raise ValueError(message)

    worker.add("maths.missing", lambda key: (_ for _ in ()).throw(zerobridge.NotFound(f"no {key}", code="not_found")))

    with worker:
        wait_for_workers(broker.endpoint, "py.maths", 1)
        with zerobridge.connect(broker.endpoint, service="py.maths", timeout=10) as client:
            assert client.call("add", a=1, b=2) == 3
            assert client.add(a=41) == 42                       # signature and defaults from Python
            assert "Adds two numbers." in client.add.__doc__
            assert client.ping() == "pong"
            with pytest.raises(zerobridge.RemoteError) as failed:
                client.call("maths.fail", message="boom")
            assert failed.value.code == "command_failed" and failed.value.remote_type == "ValueError"
            assert "boom" in str(failed.value) and "raise ValueError" in failed.value.remote_stack
            with pytest.raises(zerobridge.NotFound):
                client.call("maths.missing", key="x")
            with pytest.raises(zerobridge.CommandNotFound) as unknown:
                client.call("ad", a=1)
            assert "add" in unknown.value.suggestions
            with pytest.raises(zerobridge.InvalidArgument):
                client.call("add", c=1)
    assert worker.served >= 7


def test_a_python_worker_keeps_heartbeating_while_its_function_runs(broker):
    worker = zerobridge.Worker(broker.endpoint, "py.slow", heartbeat=HEARTBEAT, liveness=LIVENESS)
    worker.add("nap", lambda seconds: time.sleep(seconds) or "rested")
    lost_before = zerobridge.mmi(broker.endpoint, "mmi.broker")[1]["workers_lost"]
    with worker:
        wait_for_workers(broker.endpoint, "py.slow", 1)
        with zerobridge.connect(broker.endpoint, service="py.slow", timeout=30) as client:
            assert client.call("nap", seconds=EXPIRY * 2) == "rested"
        assert workers_of(broker.endpoint, "py.slow") == 1
        assert zerobridge.mmi(broker.endpoint, "mmi.broker")[1]["workers_lost"] == lost_before
    assert worker.registrations == 1, "never had to reconnect"


# --------------------------------------------------------------------------- foreign peers


def test_an_rfc_client_calls_a_csharp_worker_with_hand_made_frames(broker, processes, tmp_path, zmq_context):
    processes.append(start_worker(broker.endpoint, "foreign", "w-foreign", tmp_path))
    wait_for_workers(broker.endpoint, "foreign", 1)
    client = RfcClient(zmq_context, broker.endpoint)
    try:
        body = mdp_request({"v": 1, "id": 7, "cmd": "echo"}, [[], {"value": "via MDP"}])[3:]
        reply = client.request(b"foreign", *body)
        assert reply is not None and reply[:2] == [C_CLIENT, b"foreign"]
        assert msgpack.unpackb(reply[2]) == {"v": 1, "id": 7, "ok": True}
        assert msgpack.unpackb(reply[3]) == "via MDP"
        # A body that is not a bridge request: the worker says so, and keeps serving.
        reply = client.request(b"foreign", b"\xc1 not msgpack")
        assert reply is not None and msgpack.unpackb(reply[2])["ok"] is False
        assert msgpack.unpackb(reply[3])["code"] == "bad_request"
        reply = client.request(b"foreign", *mdp_request({"v": 1, "id": 8, "cmd": "ping"})[3:])
        assert reply is not None and msgpack.unpackb(reply[3]) == "pong"
    finally:
        client.close()


def test_our_client_calls_an_rfc_worker(broker, zmq_context):
    worker = RfcWorker(zmq_context, broker.endpoint)
    try:
        worker.ready(b"rfc.bridge")
        wait_for_workers(broker.endpoint, "rfc.bridge", 1)
        with zerobridge.connect(broker.endpoint, service="rfc.bridge", timeout=10) as client:
            pool = concurrent.futures.ThreadPoolExecutor(1)
            future = pool.submit(client.call, "shout", word="hi")
            request = worker.receive()
            assert request is not None and request[:3] == [b"", W_WORKER, W_REQUEST]
            header = msgpack.unpackb(request[5])
            assert header["cmd"] == "shout" and msgpack.unpackb(request[6]) == [[], {"word": "hi"}]
            worker.reply(request[3], msgpack.packb({"v": 1, "id": header["id"], "ok": True}),
                         msgpack.packb("HI"))
            assert future.result(timeout=10) == "HI"
            pool.shutdown()
    finally:
        worker.close()


def test_a_csharp_workers_error_replies_are_protocol_replies(broker, processes, tmp_path, zmq_context):
    # A worker answers every failure with a §3 error reply: the Python client raises RemoteError with the code
    # (never ProtocolError), and a header the worker cannot read still gets bad_request carrying its id.
    processes.append(start_worker(broker.endpoint, "faults", "w-faults", tmp_path))
    wait_for_workers(broker.endpoint, "faults", 1)
    with zerobridge.connect(broker.endpoint, service="faults", timeout=10) as brokered:
        with pytest.raises(zerobridge.RemoteError) as caught:
            brokered.call("test.unserializable")
        assert caught.value.code == "internal", caught.value
        assert brokered.call("ping") == "pong"

    socket = zmq_context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(broker.endpoint)
    try:
        socket.send_multipart(mdp_request({"v": 99, "id": 5, "cmd": "ping"}, service=b"faults"))
        header, payload = mdp_reply(recv_multipart(socket))
        assert header["id"] == 5 and header["ok"] is False
        assert payload["code"] == "bad_request", payload
    finally:
        socket.close(linger=0)
