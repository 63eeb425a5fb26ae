"""The demo's live feed at rates a timer cannot tick at: it keeps publishing and the application keeps serving."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import zerobridge
from support import ServerProcess

REPO = Path(__file__).resolve().parents[2]
START_DEADLINE = 180.0
_PUBLISHING = re.compile(r"Publishing on (tcp://\S+) \(snapshots on (tcp://[^\s)]+)\)")


def test_a_feed_faster_than_a_timer_keeps_publishing_and_serving(tmp_path: Path) -> None:
    if shutil.which("dotnet") is None:
        pytest.fail("dotnet is not installed (install the .NET 10 SDK): the test needs the zbridge demo server")
    # 2,000 ticks a second is a period of 0.5 ms, below what a timer can wait: the demo once stopped itself (exit 0).
    server = ServerProcess([str(REPO / "zbridge"), "demo", "--bind", "tcp://127.0.0.1:*",
                            "--publish", "tcp://127.0.0.1:*", "--ticks-per-second", "2000",
                            "--data", str(tmp_path / "demo.db")], cwd=REPO)
    try:
        endpoint = server.wait_ready(START_DEADLINE)
        stream = next(m for m in map(_PUBLISHING.search, server.output) if m).group(1)
        received = 0
        for message in zerobridge.subscribe(stream, "prices.", timeout=30):
            received += 1
            if received == 500:
                break
        with zerobridge.connect(endpoint, timeout=30) as client:
            assert client.ping() == "pong"
        assert server.process.poll() is None, "\n".join(server.output)
    finally:
        server.stop()
