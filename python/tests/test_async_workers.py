"""The asyncio workers, task pool and mmi against real peers: the C# broker, real sockets."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Iterator, List

import pytest

import zerobridge
from broker_support import HEARTBEAT, LIVENESS, Process, start_broker
from support import RECV_TIMEOUT

DEADLINE = 30.0


@pytest.fixture(scope="module")
def broker() -> Iterator[Process]:
    process = start_broker()
    yield process
    process.stop()


async def _until_workers(endpoint: str, service: str, count: int) -> None:
    """Poll the broker (ammi) until ``service`` has ``count`` workers, or fail at the deadline."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        status, services = await zerobridge.ammi(endpoint, "mmi.services", timeout=RECV_TIMEOUT)
        assert status == "200"
        if next((s["workers"] for s in services if s["service"] == service), 0) == count:
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"the broker never had {count} worker(s) for {service!r}")


def test_an_async_worker_serves_coroutines_on_its_loop_behind_the_broker(broker: Process) -> None:
    async def main() -> Any:
        loop = asyncio.get_running_loop()
        worker = zerobridge.AsyncWorker(broker.endpoint, "async.py", heartbeat=HEARTBEAT,
                                        liveness=LIVENESS)
        ran_on: List[Any] = []

        @worker.command()
        async def double(x: int) -> int:
            ran_on.append(asyncio.get_running_loop())
            await asyncio.sleep(0)
            return 2 * x

        worker.add("shout", lambda text: text.upper())
        async with worker:
            await _until_workers(broker.endpoint, "async.py", 1)
            async with zerobridge.AsyncClient(broker.endpoint, service="async.py",
                                              timeout=RECV_TIMEOUT) as client:
                results = await asyncio.gather(client.double(21), client.call("shout", "hi"))
                with pytest.raises(zerobridge.InvalidArgument):
                    await client.call("double")
        await _until_workers(broker.endpoint, "async.py", 0)  # it said DISCONNECT
        assert ran_on == [loop]
        return results

    assert asyncio.run(main()) == [42, "HI"]


def test_cancelling_an_async_worker_disconnects_it(broker: Process) -> None:
    async def main() -> None:
        worker = zerobridge.AsyncWorker(broker.endpoint, "cancel.py", heartbeat=HEARTBEAT,
                                        liveness=LIVENESS)
        worker.add("ping2", lambda: "pong")
        task = asyncio.ensure_future(worker.run())
        await _until_workers(broker.endpoint, "cancel.py", 1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):  # a TimeoutError if the stop is not honoured
            await asyncio.wait_for(task, DEADLINE)
        await _until_workers(broker.endpoint, "cancel.py", 0)

    asyncio.run(main())


def test_async_producer_and_async_task_worker_run_a_job() -> None:
    async def main() -> Any:
        async with zerobridge.AsyncTaskProducer("tcp://127.0.0.1:*", worker_timeout=5.0) as producer:
            worker = zerobridge.AsyncTaskWorker(producer.endpoint, name="aio", concurrency=4)

            @worker.task("square")
            async def square(x: int) -> int:
                await asyncio.sleep(0)
                return x * x

            @worker.task()
            def fail(message: str) -> None:
                raise ValueError(message)

            serving = asyncio.ensure_future(worker.run())
            try:
                assert await producer.wait_for_workers(1, timeout=DEADLINE) == ["aio"]
                squares = await producer.map("square", range(50), progress=False, timeout=DEADLINE)
                failures = await producer.map("fail", ["boom"], progress=False, timeout=DEADLINE,
                                              return_exceptions=True)
                seen = [r.index async for r in producer.results("square", range(5), timeout=DEADLINE)]
            finally:
                serving.cancel()
                with pytest.raises(asyncio.CancelledError):  # a TimeoutError if the stop is not honoured
                    await asyncio.wait_for(serving, DEADLINE)
            return squares, failures, sorted(seen), producer.stats

    squares, failures, seen, stats = asyncio.run(main())
    assert squares == [i * i for i in range(50)]
    assert isinstance(failures[0], zerobridge.RemoteError) and failures[0].code == "command_failed"
    assert seen == list(range(5))
    assert (stats.completed, stats.failed, stats.duplicates) == (55, 1, 0)
