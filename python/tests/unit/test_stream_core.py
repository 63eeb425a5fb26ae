"""The stream core and the snapshot handshake, fed frames by hand (no sockets)."""

from __future__ import annotations

from typing import Any, List

import msgpack
import pytest

from zerobridge import StreamEvent, StreamWarning
from zerobridge._streams._core import StreamCore
from zerobridge._streams._snapshot import SnapshotHandshake
from zerobridge._streams._wire import END_TOPIC, HEARTBEAT_TOPIC


def _header(kind: str, **fields: Any) -> bytes:
    return msgpack.packb({"v": 1, "kind": kind, "pub": "p", "epoch": 1, "ts": 0, **fields})


def data(topic: str, seq: int, value: Any, kind: str = "data") -> List[bytes]:
    return [topic.encode(), _header(kind, seq=seq), msgpack.packb(value)]


def heartbeat() -> List[bytes]:
    return [HEARTBEAT_TOPIC, _header("hb", hbi=1000)]


def end(count: int) -> List[bytes]:
    return [b"", END_TOPIC, _header("end", count=count)]


def _core(events: List[StreamEvent]) -> StreamCore:
    return StreamCore("tcp://pub", ["a."], snapshot="tcp://snap", silence=None, conflate=False,
                      on_event=events.append)


def _drain(core: StreamCore) -> List[Any]:
    out = []
    while (message := core.take()) is not None:
        out.append((message.topic, message.seq, message.value, message.snapshot))
    return out


def test_the_handshake_waits_for_the_welcome_then_joins_snapshot_and_live_without_gap_or_duplicate() -> None:
    events: List[StreamEvent] = []
    core = _core(events)
    handshake = SnapshotHandshake(core, timeout=5)
    handshake.live(data("a.x", 4, "early-old"))   # before the welcome: kept aside
    handshake.live(data("a.x", 6, "early-new"))
    assert not handshake.welcomed and _drain(core) == []
    handshake.live(heartbeat())
    assert handshake.welcomed
    assert handshake.request()[1] == b"ZBSNAP01"
    handshake.snapshot([b""] + data("a.x", 5, "snap", kind="snap"))
    handshake.snapshot(end(1))
    assert handshake.done
    handshake.finish()
    assert _drain(core) == [("a.x", 5, "snap", True), ("a.x", 6, "early-new", False)]
    assert core.stats.duplicates == 1 and events == []


def test_a_short_snapshot_is_reported_as_a_gap_with_the_missed_count() -> None:
    events: List[StreamEvent] = []
    handshake = SnapshotHandshake(_core(events), timeout=5)
    handshake.live(heartbeat())
    handshake.snapshot(data("a.x", 1, 1, kind="snap"))
    handshake.snapshot(end(3))
    assert handshake.done
    assert [(e.kind, e.missed) for e in events] == [("gap", 2)]


def test_live_gaps_and_restarts_are_reported() -> None:
    events: List[StreamEvent] = []
    core = _core(events)
    for seq in (1, 2, 5):
        core.accept(data("a.x", seq, seq))
    restarted = [b"a.x", msgpack.packb({"v": 1, "kind": "data", "pub": "p", "epoch": 2, "ts": 0,
                                        "seq": 1}), msgpack.packb("again")]
    core.accept(restarted)
    assert [(e.kind, e.missed) for e in events] == [("gap", 2), ("restart", 0)]
    assert [m[1] for m in _drain(core)] == [1, 2, 5, 1]
    assert (core.stats.gaps, core.stats.missed, core.stats.restarts) == (1, 2, 1)


def test_the_timeout_errors_name_the_endpoints() -> None:
    handshake = SnapshotHandshake(_core([]), timeout=2)
    assert "tcp://pub" in str(handshake.no_publisher())
    assert "tcp://snap" in str(handshake.no_snapshot())


def batch(topic: str, seq: int, values: List[Any]) -> List[bytes]:
    return [topic.encode(), _header("batch", seq=seq, count=len(values)), msgpack.packb(values)]


def test_a_batch_is_sequenced_value_by_value_gaps_and_overlaps_exactly() -> None:
    events: List[StreamEvent] = []
    core = _core(events)
    core.accept(batch("a.x", 1, ["v1", "v2", "v3"]))
    core.accept(batch("a.x", 6, ["v6", "v7"]))              # 4 and 5 never came: one gap of 2
    core.accept(batch("a.x", 7, ["v7 again", "v8", "v9"]))  # 7 was delivered: only 8 and 9
    core.accept(batch("a.x", 2, ["old", "old"]))            # all delivered already
    core.accept(data("a.x", 10, "v10"))
    assert [(seq, value) for _, seq, value, _ in _drain(core)] == [
        (1, "v1"), (2, "v2"), (3, "v3"), (6, "v6"), (7, "v7"), (8, "v8"), (9, "v9"), (10, "v10")]
    assert [(e.kind, e.missed) for e in events] == [("gap", 2)]
    assert (core.stats.gaps, core.stats.missed, core.stats.duplicates) == (1, 2, 3)
    with pytest.warns(StreamWarning, match="batch of 1"):
        core.accept(batch("a.x", 11, ["one value short"])[:2] + [msgpack.packb([])])  # count 1, no value
    assert core.stats.undecodable == 1 and _drain(core) == []
