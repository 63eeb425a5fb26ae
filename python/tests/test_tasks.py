"""Task distribution with real worker processes (Python and the C# `zbridge task-worker`)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator, List

import msgpack
import pytest
import zmq

import zerobridge
from support import RECV_TIMEOUT, ServerProcess, recv_multipart

REPO = Path(__file__).resolve().parents[2]
PYTHON_DIR = REPO / "python"
ZBRIDGE = REPO / "zbridge"
JOB_TIMEOUT = 120.0

WORKER_SCRIPT = Path(__file__).with_name("task_worker_fixture.py")


class Workers:
    def __init__(self) -> None:
        self.processes: List[ServerProcess] = []

    def python(self, endpoint: str, name: str, **env: str) -> ServerProcess:
        os.environ.update({"PYTHONPATH": str(PYTHON_DIR), **env})
        try:
            process = ServerProcess([sys.executable, str(WORKER_SCRIPT), endpoint, name])
        finally:
            for key in env:
                os.environ.pop(key, None)
        process.wait_ready(RECV_TIMEOUT * 3)
        self.processes.append(process)
        return process

    def dotnet(self, endpoint: str) -> ServerProcess:
        if shutil.which("dotnet") is None:
            pytest.fail("dotnet is not installed (install the .NET 10 SDK)")
        process = ServerProcess([str(ZBRIDGE), "task-worker", endpoint], cwd=REPO)
        self.processes.append(process)
        return process


@pytest.fixture
def workers() -> Iterator[Workers]:
    pool = Workers()
    yield pool
    for process in pool.processes:
        process.stop()


@pytest.fixture
def producer() -> Iterator[zerobridge.TaskProducer]:
    with zerobridge.TaskProducer("tcp://127.0.0.1:*", worker_timeout=2.0) as p:
        yield p


def test_python_and_csharp_workers_share_a_job(producer, workers) -> None:
    workers.python(producer.endpoint, "py-1")
    workers.dotnet(producer.endpoint)
    producer.wait_for_workers(2, timeout=180)   # the first run of ./zbridge builds the CLI
    results = list(producer.results("square", range(300), timeout=JOB_TIMEOUT))
    assert sorted(r.index for r in results) == list(range(300))
    assert all(r.ok and r.value == r.index * r.index for r in results)
    assert {r.worker.split("-")[0] for r in results} == {"py", "dotnet"}


def test_a_worker_killed_mid_job_loses_nothing_and_doubles_nothing(producer, workers) -> None:
    victim = workers.python(producer.endpoint, "victim", ZB_HANG="1")   # takes a task, never answers
    producer.wait_for_workers(1)
    workers.python(producer.endpoint, "healthy-1", ZB_DELAY="0.002")
    workers.python(producer.endpoint, "healthy-2", ZB_DELAY="0.002")
    producer.wait_for_workers(3)
    seen: List[zerobridge.TaskResult] = []
    for result in producer.results("square", range(200), timeout=JOB_TIMEOUT):
        seen.append(result)
        if len(seen) == 20:
            os.killpg(victim.process.pid, signal.SIGKILL)
    assert sorted(r.index for r in seen) == list(range(200))          # every task once
    assert len({r.id for r in seen}) == 200
    assert all(r.ok and r.value == r.index ** 2 for r in seen)
    assert all(r.worker != "victim" for r in seen)
    assert producer.stats.workers_lost == 1 and producer.stats.resent == 1


def test_a_task_resent_after_its_timeout_is_delivered_once(workers) -> None:
    with zerobridge.TaskProducer("tcp://127.0.0.1:*", task_timeout=0.5) as producer:
        workers.python(producer.endpoint, "slow-first", ZB_SLOW_FIRST="1", ZB_DELAY="0.05")
        producer.wait_for_workers(1)
        workers.python(producer.endpoint, "steady", ZB_DELAY="0.05")
        producer.wait_for_workers(2)
        results = list(producer.results("square", range(100), timeout=JOB_TIMEOUT))
        assert sorted(r.index for r in results) == list(range(100))
        assert producer.stats.resent >= 1
        # The slow worker answers its first task after it was re-sent: that result is dropped, not delivered.
        # The producer reads only while a job runs: small jobs until the late answer is in (bounded).
        deadline = time.monotonic() + JOB_TIMEOUT
        while producer.stats.duplicates == 0 and time.monotonic() < deadline:
            assert [r.value for r in producer.results("square", [1], timeout=JOB_TIMEOUT)] == [1]
        assert producer.stats.duplicates >= 1


@pytest.mark.parametrize("language", ["python", "dotnet"])
def test_a_throwing_task_gives_an_error_result(producer, workers, language) -> None:
    if language == "python":
        workers.python(producer.endpoint, "py")
    else:
        workers.dotnet(producer.endpoint)
    producer.wait_for_workers(1, timeout=180)
    results = producer.map("fail", ["boom"], progress=False, timeout=JOB_TIMEOUT,
                           return_exceptions=True)
    assert isinstance(results[0], zerobridge.RemoteError)
    assert results[0].code == "command_failed" and "boom" in results[0].message
    with pytest.raises(zerobridge.RemoteError, match="boom"):
        producer.map("fail", ["boom"], progress=False, timeout=JOB_TIMEOUT)
    assert producer.map("square", [7], progress=False, timeout=JOB_TIMEOUT) == [49]  # still serving
    unknown = producer.map("no_such_kind", [1], progress=False, timeout=JOB_TIMEOUT,
                           return_exceptions=True)[0]
    assert unknown.code == "unknown_command"


@pytest.mark.parametrize("language", ["python", "dotnet"])
def test_a_malformed_task_gives_an_error_result_and_the_worker_keeps_serving(workers, language) -> None:
    """A hand-made producer (a raw ROUTER) sends broken tasks."""
    context = zmq.Context()
    router = context.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    endpoint = f"tcp://127.0.0.1:{port}"
    try:
        if language == "python":
            workers.python(endpoint, "py")
        else:
            workers.dotnet(endpoint)
        identity, signature, header = recv_multipart(router, 180)[:3]
        assert signature == b"ZBTASK01" and msgpack.unpackb(header)["type"] in ("ready", "hb")

        def task(task_id: int, *body: bytes) -> List[bytes]:
            return [identity, b"ZBTASK01", msgpack.packb({"v": 1, "type": "task", "id": task_id,
                                                          "kind": "square", "attempt": 1}), *body]

        def result(task_id: int):
            while True:
                frames = recv_multipart(router)
                head = msgpack.unpackb(frames[2])
                if head["type"] == "result":
                    assert head["id"] == task_id
                    return head["ok"], msgpack.unpackb(frames[3], raw=False, strict_map_key=False)

        router.send_multipart(task(1, b"\xc1 not msgpack"))
        ok, error = result(1)
        assert ok is False and error["code"] == "bad_request"
        router.send_multipart(task(2, msgpack.packb("not [positional, keyword]")))
        ok, error = result(2)
        assert ok is False and error["code"] == "bad_request"
        router.send_multipart([identity, b"ZBTASK01", b"\xc1 broken header"])   # ignored
        router.send_multipart(task(3, msgpack.packb([["seven"], {}])))
        ok, error = result(3)
        assert ok is False and error["code"] in ("invalid_argument", "command_failed")
        router.send_multipart(task(4, msgpack.packb([[6], {}])))
        assert result(4) == (True, 36)
    finally:
        router.close(linger=0)
        context.term()


def test_slow_workers_are_not_handed_a_queue(producer, workers, tmp_path) -> None:
    gate = tmp_path / "gate"
    workers.python(producer.endpoint, "slow", ZB_GATE=str(gate))   # holds its task until the gate opens
    workers.python(producer.endpoint, "fast")
    producer.wait_for_workers(2)
    results = []
    for result in producer.results("square", range(80), timeout=JOB_TIMEOUT):
        results.append(result)
        if len(results) == 79:
            gate.touch()   # everything but the slow worker's one task is done
    # Plain PUSH would hand the slow worker 40 tasks and the fast one could never finish 79 of them (the job times
    # out); with credits the slow one holds one task (its credit) and the fast one does all the rest.
    assert [r.worker for r in results[:79]] == ["fast"] * 79 and results[79].worker == "slow"
    assert sorted(r.index for r in results) == list(range(80))


@pytest.mark.parametrize("language", ["python", "dotnet"])
def test_a_batch_runs_item_by_item_in_order_with_an_error_per_item(producer, workers, language) -> None:
    if language == "python":
        workers.python(producer.endpoint, "py")
    else:
        workers.dotnet(producer.endpoint)
    producer.wait_for_workers(1, timeout=180)
    items: List[object] = [*range(10), "seven", *range(11, 23)]   # batches of 5, 5, 5, 5 and 3; one bad item
    results = list(producer.results("square", items, chunksize=5, timeout=JOB_TIMEOUT))
    assert [r.index for r in results] == list(range(23))          # one worker: batches and their items in order
    assert len({r.id for r in results}) == 5                       # five messages, not 23
    assert not results[10].ok and results[10].error.code in ("command_failed", "invalid_argument")
    assert all(r.ok and r.value == r.index * r.index for r in results if r.index != 10)
    values = producer.map("square", items, chunksize=5, progress=False, timeout=JOB_TIMEOUT, return_exceptions=True)
    assert isinstance(values[10], zerobridge.RemoteError)
    assert values[:10] + values[11:] == [x * x for x in range(23) if x != 10]


def test_a_worker_that_knows_no_batches_fails_every_item_clearly(producer) -> None:
    """A worker of the protocol before batches runs a task's body as its arguments and answers without ``batch``."""
    from zerobridge._dispatch import Dispatcher  # noqa: PLC0415 - the argument check every worker makes
    old = Dispatcher()
    old.add("square", lambda x: x * x)
    dealer = zmq.Context.instance().socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(producer.endpoint)
    dealer.send_multipart([b"ZBTASK01", msgpack.packb({"v": 1, "type": "ready", "credit": 1, "name": "old"})])
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            if not dealer.poll(100):
                continue
            frames = dealer.recv_multipart()
            header = msgpack.unpackb(frames[1])
            outcome = old.run(header["kind"], frames[2:])
            dealer.send_multipart([b"ZBTASK01", msgpack.packb({"v": 1, "type": "result", "id": header["id"],
                                                               "ok": outcome.ok}), *outcome.body])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        producer.wait_for_workers(1)
        values = producer.map("square", [1, 2, 3], chunksize=3, progress=False, timeout=JOB_TIMEOUT,
                              return_exceptions=True)
        assert all(isinstance(v, zerobridge.RemoteError) and v.code == "bad_request" for v in values)
        assert "batch" in values[0].message
    finally:
        stop.set()
        thread.join(5)
        dealer.close(linger=0)


def test_a_non_blocking_kind_runs_on_the_socket_thread(producer) -> None:
    def where(_: object) -> str:
        return threading.current_thread().name

    worker = zerobridge.TaskWorker(producer.endpoint, {"inline": where}, non_blocking=["inline"])
    worker.task("pooled")(where)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        producer.wait_for_workers(1)
        assert producer.map("pooled", [0], progress=False, timeout=JOB_TIMEOUT)[0].startswith("zerobridge-task")
        assert producer.map("inline", [0], progress=False, timeout=JOB_TIMEOUT) == [thread.name]
    finally:
        worker.stop()
        thread.join(10)


def test_a_prefetching_worker_takes_its_prefetch_ahead_and_no_more(producer, workers, tmp_path) -> None:
    gate = tmp_path / "gate"
    workers.python(producer.endpoint, "slow", ZB_GATE=str(gate), ZB_PREFETCH="1")   # credit 1 + 1 ahead
    workers.python(producer.endpoint, "fast")
    producer.wait_for_workers(2)
    results = []
    for result in producer.results("square", range(80), timeout=JOB_TIMEOUT):
        results.append(result)
        if len(results) == 78:
            gate.touch()   # everything but the slow worker's two tasks is done
    # The slow worker holds the task it runs and the one it took ahead; the fast one does all the rest.
    assert [r.worker for r in results[:78]] == ["fast"] * 78 and {r.worker for r in results[78:]} == {"slow"}
    assert sorted(r.index for r in results) == list(range(80))
