"""AsyncClient against the real C# test host: the same calls as Client, awaited."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import zerobridge
from conftest import _start
from support import RECV_TIMEOUT

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
