"""A subscription without its socket: frames in, values and events out (gaps, restarts, silence,
conflation). The sync and async subscriptions only move frames between their sockets and this."""

from __future__ import annotations

import collections
import time
import warnings
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence

import zmq

from .._codec import Decoder
from .._exceptions import ProtocolError, SerializationError
from ._events import StreamEvent, StreamMessage, StreamStats, StreamWarning
from ._keys import TopicKeyring
from ._sequence import SequenceTracker
from ._wire import (HEARTBEAT_TOPIC, Frames, frame_bytes, parse_header, publication_time,
                    snapshot_request)

__all__ = ["StreamCore"]

_SILENCE_BEFORE_HEARD = 3.0
"""Seconds of silence that count before the publisher's heartbeat interval is known."""


class StreamCore:
    """Frames in, values and events out: everything a subscription does that is not socket I/O."""

    def __init__(self, endpoint: str, topics: Sequence[str], *, snapshot: Optional[str],
                 silence: Optional[float], conflate: bool,
                 on_event: Optional[Callable[[StreamEvent], None]]) -> None:
        if isinstance(topics, (str, bytes)):
            topics = [topics]
        self.endpoint = endpoint
        self.topics = [t.decode() if isinstance(t, bytes) else str(t) for t in topics] or [""]
        self.snapshot_endpoint = snapshot
        self.silence = silence
        self.conflate = conflate
        self.on_event = on_event
        self.stats = StreamStats()
        self.silent = False
        self.ready: Deque[StreamMessage] = collections.deque()
        self.pending: "collections.OrderedDict[str, StreamMessage]" = collections.OrderedDict()
        self._tracker = SequenceTracker()
        self.keyring = TopicKeyring(snapshot is not None, self.report)
        """Encrypted payloads (§11.6): the drivers ask for :attr:`TopicKeyring.wanted` keys and hand
        the reply to :meth:`take_keys`."""
        self._last_heard = time.monotonic()
        self._heard = False
        self._heartbeat_ms = 0
        self._plain = Decoder()

    # -- events

    def report(self, event: StreamEvent) -> None:
        """Hand ``event`` to ``on_event``, or warn with it."""
        if self.on_event is not None:
            self.on_event(event)
        else:
            warnings.warn(event.message, StreamWarning, stacklevel=4)

    def _restart(self, event: Optional[StreamEvent]) -> None:
        if event is not None:
            self.stats.restarts += 1
            self.report(event)

    def heard(self) -> None:
        """Anything arrived: the publisher is alive (reports ``resumed`` after a silence)."""
        self._last_heard = time.monotonic()
        self._heard = True
        if self.silent:
            self.silent = False
            self.report(StreamEvent("resumed", f"the publisher on {self.endpoint} is heard again"))

    def check_silence(self) -> None:
        """Report ``silent`` once nothing was heard for the silence limit."""
        limit = self.silence
        if limit is None:
            limit = 3 * self._heartbeat_ms / 1000 if self._heard and self._heartbeat_ms else \
                _SILENCE_BEFORE_HEARD
        if not self.silent and time.monotonic() - self._last_heard >= limit:
            self.silent = True
            self.stats.silences += 1
            self.report(StreamEvent("silent", f"nothing heard from {self.endpoint} for {limit:g} s "
                                              "(no data, no heartbeat): the publisher is silent"))

    # -- messages

    def subscribe_all(self, socket: zmq.Socket) -> None:
        """Subscribe ``socket`` to the topics, and to heartbeats last."""
        for topic in self.topics:
            socket.setsockopt(zmq.SUBSCRIBE, topic.encode("utf-8"))
        socket.setsockopt(zmq.SUBSCRIBE, HEARTBEAT_TOPIC)  # last: its heartbeat proves the others

    def snapshot_request(self) -> List[bytes]:
        """The snapshot request for this subscription's topics."""
        return snapshot_request(self.topics)

    def take_keys(self, reply: Frames) -> None:
        """A topic-key reply: the values that waited for its keys are processed now, in order."""
        for frames, snapshot in self.keyring.reply(reply):
            self.accept(frames, snapshot, replaying=True)

    def accept(self, frames: Frames, snapshot: bool = False, replaying: bool = False) -> Optional[Dict[str, Any]]:
        """Process one message; values go to :attr:`ready` / :attr:`pending`. Returns the header.

        A sealed value whose key is missing waits in :attr:`keyring` (``replaying``: it is coming
        back after a key reply, so a key still missing drops it)."""
        if len(frames) < 2:
            return None
        try:
            header = parse_header(frames[1] if type(frames[1]) is bytes else frame_bytes(frames[1]))
        except ProtocolError as exc:
            self.stats.undecodable += 1
            warnings.warn(f"ignored a stream message: {exc}", StreamWarning, stacklevel=3)
            return None
        interval = header.get("hbi")
        if type(interval) is int and interval > 0:
            self._heartbeat_ms = interval
        kind, publisher, epoch = header["kind"], str(header["pub"]), int(header["epoch"])
        restart, stale = self._tracker.epoch(publisher, epoch)
        self._restart(restart)
        if kind == "hb":
            self.stats.heartbeats += 1
            return header
        if kind not in ("data", "snap", "batch"):
            return header
        topic = frame_bytes(frames[0]).decode("utf-8", errors="replace")
        if isinstance(header.get("kid"), int):
            # Before sequencing: a value held for its key is sequenced when it comes back, in its topic's order.
            opened = self.keyring.open(frames, header["kid"], topic, snapshot, replaying)
            if opened is None:
                return header
            frames = opened
        seq = int(header["seq"])
        count = header["count"] if kind == "batch" else 1  # a batch: values seq .. seq + count - 1 (§11.7)
        skip = 0
        if snapshot:
            self._tracker.seed(publisher, topic, seq)
        else:
            if stale:
                self.stats.duplicates += count
                return header
            skip, gap = self._tracker.sequence_run(publisher, topic, seq, count)
            if skip:
                self.stats.duplicates += skip
                if skip == count:
                    return header
            if gap is not None:
                self.stats.gaps += 1
                self.stats.missed += gap.missed
                self.report(gap)
        try:
            value = self._decode(frames)
            if kind == "batch" and not (isinstance(value, list) and len(value) == count):
                raise SerializationError(f"a batch of {count} must be an array of {count} values")
        except SerializationError as exc:
            self.stats.undecodable += 1
            warnings.warn(f"a value on {topic!r} (#{seq}) could not be decoded: {exc}",
                          StreamWarning, stacklevel=3)
            return header
        published = publication_time(int(header["ts"]))
        if kind != "batch":
            self._deliver(StreamMessage(topic, seq, published, value, publisher, epoch, snapshot))
            return header
        for offset in range(skip, count):
            self._deliver(StreamMessage(topic, seq + offset, published, value[offset], publisher, epoch, False))
        return header

    def _deliver(self, message: StreamMessage) -> None:
        """Queue a value to hand out; conflating, it replaces the topic's unread one."""
        self.stats.received += 1
        if self.conflate and not message.snapshot:
            if message.topic in self.pending:
                self.stats.conflated += 1
                del self.pending[message.topic]
            self.pending[message.topic] = message
        else:
            self.ready.append(message)

    def _decode(self, frames: Frames) -> Any:
        """The value frame (and its attachments) decoded; ``None`` when there is none."""
        if len(frames) < 3:
            return None
        body = frames[2] if type(frames[2]) is bytes else frame_bytes(frames[2])
        if len(frames) == 3:
            return self._plain.unpack(body)  # one decoder for every message without attachments
        return Decoder([frame_bytes(f) for f in frames[3:]]).unpack(body)

    def take(self) -> Optional[StreamMessage]:
        """The next value to hand out, or ``None``."""
        if self.ready:
            return self.ready.popleft()
        if self.pending:
            return self.pending.popitem(last=False)[1]
        return None

    def check_idle_silence(self, unread: bool) -> None:
        """Silence for a subscriber that is not waiting: only when nothing unread is queued,
        neither here nor in the socket (``unread``)."""
        if not (unread or self.ready or self.pending):
            self.check_silence()
