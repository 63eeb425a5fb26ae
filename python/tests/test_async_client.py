"""AsyncClient against the real C# test host: the same calls as Client, awaited."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import zerobridge
from conftest import _start
from support import RECV_TIMEOUT, unlistened_endpoint

pytestmark = pytest.mark.server


def test_calls_proxies_errors_and_concurrency(endpoint: str) -> None:
    async def main() -> Any:
        async with zerobridge.AsyncClient(endpoint, timeout=RECV_TIMEOUT) as client:
            assert await client.ping() == "pong"
            assert await client.call("echo", [1, 2]) == [1, 2]
            assert await client.echo([3]) == [3]  # unchecked path: no descriptions fetched yet
            with pytest.raises(zerobridge.CommandNotFound):
                await client.ech([3])
            names = [d["name"] for d in await client.commands()]
            assert "echo" in names and "ping" in names
            assert "echo" in dir(client)
            results = await asyncio.gather(*(client.call("echo", {"i": i}) for i in range(20)))
            assert results == [{"i": i} for i in range(20)]
            with pytest.raises(zerobridge.TimeoutError):
                await client.call("test.sleep", 30, timeout=0.3)
            return await client.ping()

    assert asyncio.run(main()) == "pong"


def test_a_burst_of_calls_all_get_their_replies(endpoint: str) -> None:
    """Hundreds in flight on one socket: replies arrive while later requests are still being sent, each to
    the caller whose request id it carries."""
    async def main() -> Any:
        async with zerobridge.AsyncClient(endpoint, timeout=RECV_TIMEOUT) as client:
            return await asyncio.gather(*(client.call("echo", {"i": i, "pad": "x" * (i % 7) * 100})
                                          for i in range(500)))

    results = asyncio.run(asyncio.wait_for(main(), 3 * RECV_TIMEOUT))
    assert [r["i"] for r in results] == list(range(500))


def test_a_send_waiting_for_room_in_the_queue_ends_at_the_call_timeout() -> None:
    """Nobody listens, so the socket's queue fills (high-water mark 1,000) and later sends wait for room: the
    call's timeout ends that wait too, with the same TimeoutError as an unanswered request."""
    async def main() -> Any:
        async with zerobridge.AsyncClient(endpoint, timeout=0.5) as client:
            return await asyncio.gather(*(client.ping() for _ in range(1_200)), return_exceptions=True)

    with unlistened_endpoint() as endpoint:
        outcomes = asyncio.run(asyncio.wait_for(main(), RECV_TIMEOUT))
    assert len(outcomes) == 1_200
    assert all(isinstance(o, zerobridge.TimeoutError) for o in outcomes), {type(o) for o in outcomes}


def test_chunked_tables_are_completed(tmp_path: Path) -> None:
    server = _start(tmp_path, "--table-chunk-bytes", str(64 * 1024))
    try:
        async def main() -> Any:
            async with zerobridge.AsyncClient(server.endpoint, timeout=60, progress=False) as client:
                return await client.call_with("tables.numbers", kwargs={"rows": 30_000}, as_frame=False)

        arrays = asyncio.run(main())
        assert arrays["id"].tolist() == list(range(30_000))
    finally:
        server.stop()
