"""Topic keys only for keys whose ``topics`` permit them (``docs/security.md``, "Streams"), between
Python and the real ``zbridge demo --publish --encrypt-payloads --allow-list``: a subscription with
``cert=`` proves its key on the snapshot socket before asking for topic keys."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest
import zmq
import zmq.auth

import zerobridge
from support import ServerProcess

REPO = Path(__file__).resolve().parents[2]
ZBRIDGE = REPO / "zbridge"
START_DEADLINE = 180.0
_PUBLISHING = re.compile(r"Publishing on (tcp://\S+) \(snapshots on (tcp://[^\s)]+)\)")



@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``server``; ``prices`` (may read ``prices.*``), ``orders`` (may read ``orders.*``) on the
    allow-list in ``allowed``; ``stranger`` not on it."""
    directory = tmp_path_factory.mktemp("keys")
    allowed = directory / "allowed"
    allowed.mkdir()
    for name in ("server", "prices", "orders", "stranger"):
        zmq.auth.create_certificates(str(directory), name)
    for name, topics in (("prices", "prices.*"), ("orders", "orders.*")):
        public, _ = zmq.auth.load_certificate(str(directory / f"{name}.key"))
        (allowed / f"{name}.key").write_text(
            f'metadata\n    name = "{name}"\n    topics = "{topics}"\n'
            f'curve\n    public-key = "{public.decode("ascii")}"\n')
    return directory


@pytest.fixture(scope="module")
def stream(keys: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[str, str]]:
    """The demo's encrypted stream with an allow-list: (stream, snapshot) endpoints."""
    data = tmp_path_factory.mktemp("topics-demo") / "demo.db"
    server = ServerProcess([str(ZBRIDGE), "demo", "--bind", "tcp://127.0.0.1:*", "--data", str(data),
                            "--publish", "tcp://127.0.0.1:*", "--snapshot", "tcp://127.0.0.1:*",
                            "--ticks-per-second", "50", "--cert", str(keys / "server.key_secret"),
                            "--allow-list", str(keys / "allowed"), "--encrypt-payloads"], cwd=REPO)
    try:
        server.wait_ready(START_DEADLINE)
        published = next(m for m in map(_PUBLISHING.search, server.output) if m)
        yield published.group(1), published.group(2)
    finally:
        server.stop()


def test_a_key_whose_topics_permit_prices_reads_them(stream: Tuple[str, str], keys: Path) -> None:
    endpoint, snapshot = stream
    with zerobridge.subscribe(endpoint, "prices.", snapshot=snapshot, timeout=30, server_key=keys / "server.key",
                              cert=keys / "prices.key_secret") as subscription:
        live = next(m for m in subscription if not m.snapshot)
    assert live.topic.startswith("prices.") and isinstance(live.value, dict)


def test_the_asyncio_subscription_proves_its_key_too(stream: Tuple[str, str], keys: Path) -> None:
    endpoint, snapshot = stream

    async def main() -> zerobridge.StreamMessage:
        async with zerobridge.asubscribe(endpoint, "prices.", snapshot=snapshot, timeout=30,
                                         server_key=keys / "server.key",
                                         cert=keys / "prices.key_secret") as subscription:
            return await subscription.receive(30)

    assert isinstance(asyncio.run(main()).value, dict)


@pytest.mark.parametrize("name", ["orders", "stranger"])
def test_a_key_not_permitted_prices_gets_key_denied_and_never_a_value(
        stream: Tuple[str, str], keys: Path, name: str) -> None:
    endpoint, snapshot = stream
    events: List[zerobridge.StreamEvent] = []
    received: List[zerobridge.StreamMessage] = []
    with zerobridge.subscribe(endpoint, "prices.", snapshot=snapshot, server_key=keys / "server.key",
                              cert=keys / f"{name}.key_secret", on_event=events.append) as subscription:
        for _ in range(30):  # until the refusal is reported (the feed ticks 50 times a second)
            received += subscription.poll(1.0)
            if any(event.kind == "key_denied" for event in events):
                break
        received += subscription.poll(1.0)  # values published after the refusal stay unreadable too
    assert any(event.kind == "key_denied" and event.topic.startswith("prices.") for event in events), events
    assert received == []
