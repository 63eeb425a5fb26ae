"""Streams against real C# publishers (started in the test host through its stream.* commands)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import zerobridge
from support import RECV_TIMEOUT

pytestmark = pytest.mark.server
PYTHON_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture
def publishers(client: zerobridge.Client) -> Iterator[Any]:
    """Starts publishers in the test host; stops them after the test."""
    started: List[int] = []

    def start(**options: Any) -> Dict[str, Any]:
        info = client.call("stream.start", **options)
        started.append(info["id"])
        return info

    yield start
    for pid in started:
        client.call("stream.stop", id=pid)


def collect(events: List[zerobridge.StreamEvent]):
    return events.append


def test_values_arrive_in_order_with_topic_sequence_time_and_value(client, publishers) -> None:
    info = publishers(snapshot="")
    events: List[zerobridge.StreamEvent] = []
    with zerobridge.Subscription(info["endpoint"], ["orders."], timeout=RECV_TIMEOUT,
                                 on_event=events.append, snapshot=None) as sub:
        _wait_subscribed(sub, client, info)
        client.call("stream.publish", id=info["id"], topic="orders.new", count=5)
        client.call("stream.publish", id=info["id"], topic="other", count=5)   # not subscribed
        got = []
        while len(got) < 5:
            message = sub.receive(RECV_TIMEOUT)
            if message.topic == "orders.new":
                got.append(message)
    assert [m.topic for m in got] == ["orders.new"] * 5
    seqs = [m.seq for m in got]
    assert seqs == list(range(seqs[0], seqs[0] + 5))
    assert [m.value["i"] for m in got] == [0, 1, 2, 3, 4]
    assert all(m.publisher == "test-publisher" and m.epoch == info["epoch"] for m in got)
    assert all(abs((m.time - m.value["sent"]).total_seconds()) < 60 for m in got)
    assert events == []


def _wait_subscribed(sub: zerobridge.Subscription, client, info) -> None:
    """Publish probes until one arrives: then the subscription is in place (bounded)."""
    deadline = time.monotonic() + RECV_TIMEOUT
    while time.monotonic() < deadline:
        client.call("stream.publish", id=info["id"], topic=sub.topics[0] + "probe")
        if sub.poll(0.2):
            sub.poll(0.3)  # stragglers of earlier probes
            return
    pytest.fail("the subscription never received a probe")


def test_drops_at_a_tiny_high_water_mark_are_reported_as_gaps(client, publishers) -> None:
    info = publishers(snapshot="", hwm=1)
    events: List[zerobridge.StreamEvent] = []
    with zerobridge.Subscription(info["endpoint"], ["flood"], hwm=1, on_event=events.append) as sub:
        _wait_subscribed(sub, client, info)
        total = 20000
        last = client.call("stream.publish", id=info["id"], topic="flood", count=total,
                           payload_bytes=1000, timeout=120)
        flood: List[zerobridge.StreamMessage] = []
        deadline = time.monotonic() + 60
        while not (flood and flood[-1].seq >= last) and time.monotonic() < deadline:
            batch = [m for m in sub.poll(0.5) if m.topic == "flood"]
            flood += batch
            if not batch:  # the last ones may have been dropped too: publish until one arrives
                last = client.call("stream.publish", id=info["id"], topic="flood")
        assert flood and flood[-1].seq >= last
    assert len(flood) < total, "nothing was dropped: the test proves nothing"
    gaps = [e for e in events if e.kind == "gap"]
    assert gaps and sub.stats.gaps == len(gaps)
    # Every message is either delivered or counted as missed, exactly.
    first = flood[0].seq
    assert len(flood) + sum(e.missed for e in gaps if e.topic == "flood") == last - first + 1


def test_a_publisher_restart_is_detected(client, publishers) -> None:
    first = publishers(snapshot="", heartbeat_ms=200, name="restarting")
    events: List[zerobridge.StreamEvent] = []
    with zerobridge.Subscription(first["endpoint"], ["r."], on_event=events.append) as sub:
        _wait_subscribed(sub, client, first)
        client.call("stream.stop", id=first["id"])
        second = publishers(snapshot="", endpoint=first["endpoint"], heartbeat_ms=200, name="restarting")
        assert second["epoch"] > first["epoch"]
        deadline = time.monotonic() + RECV_TIMEOUT
        while sub.stats.restarts == 0 and time.monotonic() < deadline:
            client.call("stream.publish", id=second["id"], topic="r.x")
            sub.poll(0.2)
    assert sub.stats.restarts == 1
    restart = [e for e in events if e.kind == "restart"]
    assert restart and restart[0].publisher == "restarting"


def test_a_silent_publisher_is_detected_and_its_return_noticed(client, publishers) -> None:
    # Silence is 3 heartbeats (3 s): far above machine noise, well inside RECV_TIMEOUT.
    info = publishers(snapshot="", heartbeat_ms=1000, name="quiet")
    events: List[zerobridge.StreamEvent] = []
    with zerobridge.Subscription(info["endpoint"], ["q."], on_event=events.append) as sub:
        _wait_subscribed(sub, client, info)
        deadline = time.monotonic() + RECV_TIMEOUT
        while sub.stats.heartbeats == 0 and time.monotonic() < deadline:
            assert sub.poll(0.1) == []      # an idle stream: nothing but heartbeats
        assert sub.stats.heartbeats > 0 and not sub.silent  # heartbeats keep an idle stream alive
        client.call("stream.stop", id=info["id"])
        deadline = time.monotonic() + RECV_TIMEOUT
        while not sub.silent and time.monotonic() < deadline:
            sub.poll(0.1)
        assert sub.silent and [e.kind for e in events] == ["silent"]
        again = publishers(snapshot="", endpoint=info["endpoint"], heartbeat_ms=1000, name="quiet")
        deadline = time.monotonic() + RECV_TIMEOUT
        while sub.silent and time.monotonic() < deadline:
            sub.poll(0.1)
        assert not sub.silent
    assert [e.kind for e in events][:3] == ["silent", "resumed", "restart"]
    assert again["epoch"] > info["epoch"]


def test_snapshot_then_updates_with_no_gap_and_no_duplicate(client, publishers, tmp_path) -> None:
    info = publishers(hwm=100000)
    for topic in ("p.a", "p.b", "p.c"):
        client.call("stream.publish", id=info["id"], topic=topic, count=50)
    # A publishing process hammers the topics while the subscriber joins and fetches the snapshot.
    script = (
        "import sys, zerobridge\n"
        "c = zerobridge.connect(sys.argv[1], timeout=60)\n"
        "for _ in range(60):\n"
        "    for t in ('p.a', 'p.b', 'p.c'):\n"
        "        c.call('stream.publish', id=int(sys.argv[2]), topic=t, count=20)\n"
        "print('done', flush=True)\n")
    env = dict(os.environ, PYTHONPATH=str(PYTHON_DIR))
    hammer = subprocess.Popen([sys.executable, "-c", script, client.endpoint, str(info["id"])],
                              env=env, stdout=subprocess.PIPE, text=True)
    try:
        events: List[zerobridge.StreamEvent] = []
        with zerobridge.subscribe(info["endpoint"], "p.", snapshot=info["snapshot"], hwm=0,
                                  on_event=events.append, timeout=RECV_TIMEOUT) as sub:
            seen: Dict[str, List[int]] = {"p.a": [], "p.b": [], "p.c": []}
            snap = []
            while min(len(v) and v[-1] for v in seen.values()) < 50 + 60 * 20:
                m = sub.receive(RECV_TIMEOUT)
                if m.snapshot:
                    snap.append(m)
                seen[m.topic].append(m.seq)
        assert hammer.wait(60) == 0
    finally:
        if hammer.poll() is None:
            hammer.kill()
            hammer.wait()
    assert sorted(m.topic for m in snap) == ["p.a", "p.b", "p.c"]
    for topic, seqs in seen.items():
        assert seqs == list(range(seqs[0], 50 + 60 * 20 + 1)), topic  # contiguous: no gap, no duplicate
        assert seqs[0] >= 50
    assert [e for e in events if e.kind == "gap"] == []


def test_conflating_keeps_the_newest_value_per_topic(client, publishers) -> None:
    info = publishers(snapshot="", hwm=100000)
    with zerobridge.subscribe(info["endpoint"], "c.", conflate=True, hwm=100000) as sub:
        _wait_subscribed(sub, client, info)
        sub.poll(0.3)
        last_a = client.call("stream.publish", id=info["id"], topic="c.a", count=500)
        last_b = client.call("stream.publish", id=info["id"], topic="c.b", count=500)
        values = {}
        deadline = time.monotonic() + RECV_TIMEOUT
        while (values.get("c.a", 0), values.get("c.b", 0)) != (last_a, last_b) and time.monotonic() < deadline:
            for m in sub.poll(0.2):
                values[m.topic] = m.seq
        assert values == {"c.a": last_a, "c.b": last_b}
        assert sub.stats.conflated > 0 and sub.stats.gaps == 0


def test_async_iterator(client, publishers) -> None:
    info = publishers()
    client.call("stream.publish", id=info["id"], topic="a.x", count=3)

    async def main() -> List[zerobridge.StreamMessage]:
        out = []
        async with zerobridge.asubscribe(info["endpoint"], "a.", snapshot=info["snapshot"],
                                         timeout=RECV_TIMEOUT) as sub:
            async for message in sub:
                out.append(message)
                if len(out) == 1:
                    client.call("stream.publish", id=info["id"], topic="a.x", count=2)
                if len(out) == 3:
                    break
        return out

    got = asyncio.run(main())
    assert [(m.seq, m.snapshot) for m in got] == [(3, True), (4, False), (5, False)]


def test_timeout_raises_and_rolling_frame_collects(client, publishers) -> None:
    info = publishers(snapshot="")
    with zerobridge.subscribe(info["endpoint"], "t.", timeout=0.3) as sub:
        with pytest.raises(zerobridge.TimeoutError):
            next(sub)
        _wait_subscribed(sub, client, info)
        client.call("stream.publish", id=info["id"], topic="t.v", count=30)
        # Frames until the last value is in (the duration only bounds the wait, it is not the assertion).
        for frame in sub.rolling(window=10, every=0.3, duration=RECV_TIMEOUT):
            if len(frame) and frame["i"].iloc[-1] == 29:
                break
    assert len(frame) == 10 and list(frame.columns[:3]) == ["time", "topic", "seq"]
    assert frame["i"].tolist() == list(range(20, 30))


def test_async_poll_and_rolling_match_the_sync_ones(client, publishers) -> None:
    info = publishers(snapshot="")

    async def main() -> Any:
        async with zerobridge.asubscribe(info["endpoint"], "r.") as sub:
            assert await sub.poll() == []   # nothing there yet: an empty list at once, never a timeout
            deadline = time.monotonic() + RECV_TIMEOUT
            while not await sub.poll(0.2):  # probes until the subscription is in place (bounded)
                assert time.monotonic() < deadline, "the subscription never received a probe"
                client.call("stream.publish", id=info["id"], topic="r.probe")
            client.call("stream.publish", id=info["id"], topic="r.v", count=30)
            # Frames until the last value is in (the duration only bounds the wait, it is not the assertion).
            async for frame in sub.rolling(window=10, every=0.3, duration=RECV_TIMEOUT):
                if len(frame) and frame["topic"].iloc[-1] == "r.v" and frame["i"].iloc[-1] == 29:
                    return frame
        return None

    frame = asyncio.run(main())
    assert frame is not None, "the rolling frame never held the last value"
    assert len(frame) == 10 and list(frame.columns[:3]) == ["time", "topic", "seq"]
    assert frame["i"].tolist() == list(range(20, 30))


def test_interrupt_closes_the_subscription_and_is_raised_again(client, publishers, tmp_path) -> None:
    # As in a notebook cell: the interrupt stops the loop *and* the rest of the cell.
    info = publishers(snapshot="", heartbeat_ms=100)
    script = (
        "import sys, zerobridge\n"
        "sub = zerobridge.subscribe(sys.argv[1], 'never.')\n"
        "print('waiting', flush=True)\n"
        "try:\n"
        "    for m in sub: pass\n"
        "    print('the rest of the cell ran', flush=True)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted, closed:', sub.closed, flush=True)\n")
    env = dict(os.environ, PYTHONPATH=str(PYTHON_DIR))
    process = subprocess.Popen([sys.executable, "-c", script, info["endpoint"]], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "waiting"
        _wait_until_blocked(process.pid)  # in the subscription's poll, where a notebook user interrupts
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=RECV_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "interrupted, closed: True" in out and "the rest of the cell ran" not in out


def _wait_until_blocked(pid: int) -> None:
    """Bounded polling of /proc until the main thread sleeps (state S) twice in a row."""
    deadline = time.monotonic() + RECV_TIMEOUT
    sleeping = 0
    while sleeping < 2 and time.monotonic() < deadline:
        stat = Path(f"/proc/{pid}/stat").read_text()
        sleeping = sleeping + 1 if stat.rsplit(")", 1)[1].split()[0] == "S" else 0
        time.sleep(0.05)  # polling interval of a bounded wait, not a synchronisation by itself


def test_cancelling_an_async_consumer_closes_its_socket_without_warnings(client, publishers) -> None:
    import gc
    import warnings

    info = publishers(snapshot="", heartbeat_ms=100)

    async def main() -> zerobridge.AsyncSubscription:
        sub = zerobridge.asubscribe(info["endpoint"], "cancel.")
        first = asyncio.Event()

        async def consume() -> None:
            async for _message in sub:
                first.set()

        task = asyncio.create_task(consume())
        deadline = time.monotonic() + RECV_TIMEOUT
        while not first.is_set():   # keep publishing until the consumer has one value (the join is async)
            assert time.monotonic() < deadline, "the consumer never got a value"
            client.call("stream.publish", id=info["id"], topic="cancel.x", count=1)
            try:
                await asyncio.wait_for(first.wait(), 0.2)
            except asyncio.TimeoutError:
                pass
        assert not sub.closed
        task.cancel()                       # the consumer is back in its poll, waiting for the next value
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, RECV_TIMEOUT)
        return sub

    gc.collect()   # earlier tests' garbage (their event loops) warns now, not inside the block below
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sub = asyncio.run(main())
        gc.collect()
    assert sub.closed and sub._socket.closed
    ours = [str(w.message) for w in caught
            if issubclass(w.category, zerobridge.StreamWarning) or "socket" in str(w.message).lower()]
    assert ours == []


def test_a_subscriber_that_is_not_waiting_sees_the_silence_when_it_looks(client, publishers) -> None:
    info = publishers(snapshot="", heartbeat_ms=100, name="idle")
    events: List[zerobridge.StreamEvent] = []
    # Silence is 30 heartbeats: no machine noise fakes it; the wait below stays well inside RECV_TIMEOUT.
    with zerobridge.Subscription(info["endpoint"], ["idle."], on_event=events.append, silence=3.0) as sub:
        _wait_subscribed(sub, client, info)
        sub.poll(0.3)
        assert not sub.silent
        client.call("stream.stop", id=info["id"])
        sub.poll(0.2)                       # reads what was in flight; the subscriber then stops waiting
        deadline = time.monotonic() + RECV_TIMEOUT
        while not sub.silent:               # only reads the property: no poll, no wait on the socket
            assert time.monotonic() < deadline, "the silence was never seen"
            time.sleep(0.05)
        assert [e.kind for e in events] == ["silent"] and sub.stats.silences == 1


def test_a_published_batch_arrives_value_by_value_with_its_own_sequences(client, publishers) -> None:
    """PublishBatch (protocol.md §11.7): one message, yielded as separate values numbered on; a snapshot holds the last."""
    info = publishers()
    events: List[zerobridge.StreamEvent] = []
    with zerobridge.Subscription(info["endpoint"], ["b."], timeout=RECV_TIMEOUT, on_event=events.append) as sub:
        _wait_subscribed(sub, client, info)
        last = client.call("stream.publish", id=info["id"], topic="b.x", count=3, batch=4, publish_batch=True)
        after = client.call("stream.publish", id=info["id"], topic="b.x")   # a single value after the batches
        got = []
        while len(got) < 13:
            message = sub.receive(RECV_TIMEOUT)
            if message.topic == "b.x":
                got.append(message)
    assert [m.seq for m in got] == list(range(1, 14)) and (last, after) == (12, 13)
    assert [m.value["i"] for m in got[:12]] == list(range(12))
    assert events == [] and sub.stats.gaps == 0 and sub.stats.received >= 13
    with zerobridge.Subscription(info["endpoint"], ["b.x"], snapshot=info["snapshot"], timeout=RECV_TIMEOUT) as late:
        first = late.receive(RECV_TIMEOUT)
    assert (first.seq, first.snapshot) == (13, True)
