"""Live streams (protocol.md §11): subscribe to a ZeroBridge publisher, with gap, restart and silence detection.

A stream message is ``topic | header | value | attachments...``; the header carries the publisher's name and
start epoch, the per-topic sequence number and the publication time. The subscriber keeps, per publisher, its
epoch and per topic the last sequence delivered, and reports what it notices (:class:`StreamEvent`) to a callback
or as a :class:`StreamWarning`.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as _dt
import time
import uuid
import warnings
from typing import (Any, AsyncIterator, Callable, Deque, Dict, Iterator, List, Optional, Sequence,
                    Tuple, Union)

import msgpack
import zmq
import zmq.asyncio

from ._codec import decode
from ._exceptions import ProtocolError, SerializationError, TimeoutError, translate_zmq_errors

__all__ = [
    "AsyncSubscription",
    "RollingFrame",
    "StreamEvent",
    "StreamMessage",
    "StreamStats",
    "StreamWarning",
    "Subscription",
    "asubscribe",
    "subscribe",
]

HEARTBEAT_TOPIC = b"\x00hb"
"""Heartbeats travel on this topic; a subscriber subscribes to it after its own prefixes."""
END_TOPIC = b"\x00end"
SNAPSHOT_SIGNATURE = b"ZBSNAP01"
DEFAULT_STREAM_ENDPOINT = "tcp://127.0.0.1:5556"
_SILENCE_BEFORE_HEARD = 3.0
_SLICE = 0.1  # seconds: how often a waiting subscriber looks at the clock (silence, interrupts)
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)

Frames = Sequence[Union[bytes, zmq.Frame]]


class StreamWarning(UserWarning):
    """A gap, restart, silence or overflow on a stream, when no ``on_event`` callback is given."""


@dataclasses.dataclass(frozen=True)
class StreamMessage:
    """One value of a stream.

    Attributes:
        topic: the topic it was published on.
        seq: its number among the topic's messages in this run of the publisher (from 1).
        time: when it was published (aware, UTC).
        value: the value (tables as ``pandas.DataFrame``).
        publisher: the publisher's name.
        epoch: the publisher's start epoch (µs since 1970 UTC); a new one means a restart.
        snapshot: whether it came from the snapshot rather than the live stream.
    """

    topic: str
    seq: int
    time: _dt.datetime
    value: Any
    publisher: str = ""
    epoch: int = 0
    snapshot: bool = False


@dataclasses.dataclass(frozen=True)
class StreamEvent:
    """What a subscriber noticed: ``kind`` is ``"gap"``, ``"restart"``, ``"silent"``, ``"resumed"`` or ``"overflow"``."""

    kind: str
    message: str
    topic: Optional[str] = None
    publisher: Optional[str] = None
    missed: int = 0


@dataclasses.dataclass
class StreamStats:
    """Counters of a subscription (see :attr:`Subscription.stats`)."""

    received: int = 0
    gaps: int = 0
    missed: int = 0
    restarts: int = 0
    duplicates: int = 0
    silences: int = 0
    conflated: int = 0
    heartbeats: int = 0
    undecodable: int = 0


def parse_header(frame: bytes) -> Dict[str, Any]:
    """Decode and check a stream header (§11.2); raises :class:`ProtocolError`."""
    try:
        header = msgpack.unpackb(frame, raw=False, strict_map_key=False)
    except (ValueError, msgpack.UnpackException) as exc:
        raise ProtocolError(f"undecodable stream header: {exc}") from exc
    if not isinstance(header, dict) or header.get("v") != 1:
        raise ProtocolError(f"not a version 1 stream header: {header!r}")
    for key in ("kind", "pub", "epoch", "ts"):
        if key not in header:
            raise ProtocolError(f"stream header lacks {key!r}: {header!r}")
    if header["kind"] in ("data", "snap") and not isinstance(header.get("seq"), int):
        raise ProtocolError(f"stream header lacks 'seq': {header!r}")
    return header


def _time(microseconds: int) -> _dt.datetime:
    return _EPOCH + _dt.timedelta(microseconds=microseconds)


class _Tracker:
    """Per publisher its epoch, per topic the last sequence delivered (§11.4). No sockets."""

    def __init__(self) -> None:
        self._epochs: Dict[str, int] = {}
        self._last: Dict[Tuple[str, str], int] = {}

    def epoch(self, publisher: str, epoch: int) -> Tuple[Optional[StreamEvent], bool]:
        """(restart event or None, stale?) for a message of ``publisher`` at ``epoch``."""
        known = self._epochs.get(publisher)
        if known is None:
            self._epochs[publisher] = epoch
            return None, False
        if epoch == known:
            return None, False
        if epoch < known:
            return None, True
        self._epochs[publisher] = epoch
        for key in [k for k in self._last if k[0] == publisher]:
            del self._last[key]
        return StreamEvent("restart", f"publisher {publisher!r} restarted (epoch {known} -> {epoch}); "
                                      "its sequences start again", publisher=publisher), False

    def sequence(self, publisher: str, topic: str, seq: int) -> Tuple[bool, Optional[StreamEvent]]:
        """(deliver?, gap event or None). Call :meth:`epoch` first."""
        key = (publisher, topic)
        previous = self._last.get(key)
        if previous is None:
            self._last[key] = seq
            return True, None
        if seq <= previous:
            return False, None
        self._last[key] = seq
        if seq == previous + 1:
            return True, None
        missed = seq - previous - 1
        return True, StreamEvent("gap", f"gap on {topic!r}: {missed} message(s) missing between "
                                        f"sequence {previous} and {seq}", topic=topic,
                                 publisher=publisher, missed=missed)

    def seed(self, publisher: str, topic: str, seq: int) -> None:
        self._last[(publisher, topic)] = seq


class _StreamCore:
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
        self._tracker = _Tracker()
        self._last_heard = time.monotonic()
        self._heard = False
        self._heartbeat_ms = 0

    # -- events

    def report(self, event: StreamEvent) -> None:
        if self.on_event is not None:
            self.on_event(event)
        else:
            warnings.warn(event.message, StreamWarning, stacklevel=4)

    def _restart(self, event: Optional[StreamEvent]) -> None:
        if event is not None:
            self.stats.restarts += 1
            self.report(event)

    def heard(self) -> None:
        self._last_heard = time.monotonic()
        self._heard = True
        if self.silent:
            self.silent = False
            self.report(StreamEvent("resumed", f"the publisher on {self.endpoint} is heard again"))

    def check_silence(self) -> None:
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
        for topic in self.topics:
            socket.setsockopt(zmq.SUBSCRIBE, topic.encode("utf-8"))
        socket.setsockopt(zmq.SUBSCRIBE, HEARTBEAT_TOPIC)  # last: its heartbeat proves the others

    def snapshot_request(self) -> List[bytes]:
        query = {"v": 1, "prefixes": self.topics, "id": uuid.uuid4().hex}
        return [b"", SNAPSHOT_SIGNATURE, msgpack.packb(query, use_bin_type=True)]

    def accept(self, frames: Frames, snapshot: bool = False) -> Optional[Dict[str, Any]]:
        """Process one message; values go to :attr:`ready` / :attr:`pending`. Returns the header."""
        if len(frames) < 2:
            return None
        try:
            header = parse_header(_bytes(frames[1]))
        except ProtocolError as exc:
            self.stats.undecodable += 1
            warnings.warn(f"ignored a stream message: {exc}", StreamWarning, stacklevel=3)
            return None
        if isinstance(header.get("hbi"), int) and header["hbi"] > 0:
            self._heartbeat_ms = header["hbi"]
        kind, publisher, epoch = header["kind"], str(header["pub"]), int(header["epoch"])
        restart, stale = self._tracker.epoch(publisher, epoch)
        self._restart(restart)
        if kind == "hb":
            self.stats.heartbeats += 1
            return header
        if kind not in ("data", "snap"):
            return header
        topic = _bytes(frames[0]).decode("utf-8", errors="replace")
        seq = int(header["seq"])
        if snapshot:
            self._tracker.seed(publisher, topic, seq)
        else:
            if stale:
                self.stats.duplicates += 1
                return header
            deliver, gap = self._tracker.sequence(publisher, topic, seq)
            if not deliver:
                self.stats.duplicates += 1
                return header
            if gap is not None:
                self.stats.gaps += 1
                self.stats.missed += gap.missed
                self.report(gap)
        try:
            value = decode(_bytes(frames[2]), [_bytes(f) for f in frames[3:]]) if len(frames) > 2 \
                else None
        except SerializationError as exc:
            self.stats.undecodable += 1
            warnings.warn(f"a value on {topic!r} (#{seq}) could not be decoded: {exc}",
                          StreamWarning, stacklevel=3)
            return header
        message = StreamMessage(topic, seq, _time(int(header["ts"])), value, publisher, epoch,
                                snapshot)
        self.stats.received += 1
        if self.conflate and not snapshot:
            if topic in self.pending:
                self.stats.conflated += 1
                del self.pending[topic]
            self.pending[topic] = message
        else:
            self.ready.append(message)
        return header

    def take(self) -> Optional[StreamMessage]:
        if self.ready:
            return self.ready.popleft()
        if self.pending:
            return self.pending.popitem(last=False)[1]
        return None


def _bytes(frame: Union[bytes, zmq.Frame]) -> bytes:
    return frame.bytes if isinstance(frame, zmq.Frame) else frame


class _Deadline:
    def __init__(self, seconds: Optional[float]) -> None:
        self.end = None if seconds is None else time.monotonic() + seconds

    def remaining(self) -> Optional[float]:
        return None if self.end is None else max(0.0, self.end - time.monotonic())

    def passed(self) -> bool:
        return self.end is not None and time.monotonic() >= self.end


class Subscription:
    """A subscription to a ZeroBridge stream; iterate it for :class:`StreamMessage` values.

    Made by :func:`subscribe`. Blocking, on a plain ZeroMQ socket polled in short slices, so it works in a
    notebook: ``timeout`` bounds the wait for each value (:class:`zerobridge.TimeoutError`), ``duration``
    ends the iteration after so many seconds, and an interrupt (Ctrl+C, the kernel's stop button) ends it
    cleanly. Gaps, restarts and silences are counted in :attr:`stats` and reported to ``on_event`` (or
    as :class:`StreamWarning`).
    """

    def __init__(self, endpoint: str = DEFAULT_STREAM_ENDPOINT, topics: Sequence[str] = ("",), *,
                 snapshot: Optional[str] = None, timeout: Optional[float] = None,
                 duration: Optional[float] = None, silence: Optional[float] = None,
                 conflate: bool = False, on_event: Optional[Callable[[StreamEvent], None]] = None,
                 hwm: int = 1000, start_timeout: float = 10.0,
                 context: Optional[zmq.Context] = None) -> None:
        self._core = _StreamCore(endpoint, topics, snapshot=snapshot, silence=silence,
                                 conflate=conflate, on_event=on_event)
        self.timeout = timeout
        self._duration = _Deadline(duration)
        self._closed = False
        self._context = context or zmq.Context.instance()
        with translate_zmq_errors(endpoint):
            self._socket = self._context.socket(zmq.SUB)
            self._socket.setsockopt(zmq.LINGER, 0)
            self._socket.setsockopt(zmq.RCVHWM, hwm)
            self._core.subscribe_all(self._socket)
            self._socket.connect(endpoint)
        if snapshot is not None:
            try:
                self._fetch_snapshot(start_timeout)
            except BaseException:
                self.close()
                raise

    # -- public

    @property
    def endpoint(self) -> str:
        return self._core.endpoint

    @property
    def topics(self) -> List[str]:
        return list(self._core.topics)

    @property
    def stats(self) -> StreamStats:
        """Counters: received, gaps, missed, restarts, duplicates, silences, conflated, heartbeats."""
        return self._core.stats

    @property
    def silent(self) -> bool:
        """Whether the publisher is silent now.

        Checked while waiting for values, and on reading this property when nothing is unread: a
        subscriber that is not waiting (busy elsewhere, between polls) still sees a silence here, and
        ``on_event`` hears of it then. Unread messages count as the publisher being alive; they are
        read, and silence checked again, on the next call.
        """
        _check_idle_silence(self._core, self._socket, self._closed)
        return self._core.silent

    @property
    def closed(self) -> bool:
        return self._closed

    def receive(self, timeout: Optional[float] = None) -> StreamMessage:
        """The next value; raises :class:`zerobridge.TimeoutError` when none comes within ``timeout`` s."""
        message = self._next(_Deadline(timeout))
        if message is None:
            raise TimeoutError(f"no stream message from {self.endpoint} within {timeout} s",
                               endpoint=self.endpoint, seconds=timeout)
        return message

    def poll(self, timeout: float = 0.0) -> List[StreamMessage]:
        """Every value that arrives within ``timeout`` s (at least what is already there); never raises on time."""
        deadline = _Deadline(timeout)
        out: List[StreamMessage] = []
        while True:
            message = self._next(deadline)
            if message is None:
                return out
            out.append(message)

    def __iter__(self) -> Iterator[StreamMessage]:
        return self

    def __next__(self) -> StreamMessage:
        if self._closed:
            raise StopIteration
        deadline = _Deadline(self.timeout)
        try:
            message = self._next(deadline, self._duration)
        except KeyboardInterrupt:
            self.close()  # a clean stop: the loop ends, the kernel stays usable
            raise StopIteration from None
        if message is not None:
            return message
        if self._duration.passed():
            raise StopIteration
        raise TimeoutError(f"no stream message from {self.endpoint} within {self.timeout} s",
                           endpoint=self.endpoint, seconds=self.timeout)

    def rolling(self, window: int = 500, *, every: float = 0.5, duration: Optional[float] = None,
                columns: Optional[Sequence[str]] = None) -> Iterator[Any]:
        """Yield a rolling ``pandas.DataFrame`` of the last ``window`` values every ``every`` seconds.

        Ends after ``duration`` seconds (or the subscription's own), or cleanly on interrupt.
        """
        frame = RollingFrame(window, columns=columns)
        end = _Deadline(duration)
        try:
            while not self._closed:
                frame.extend(self.poll(every))
                yield frame.frame()
                if end.passed() or self._duration.passed():
                    return
        except KeyboardInterrupt:
            self.close()

    def close(self) -> None:
        """Close the socket (idempotent)."""
        if not self._closed:
            self._closed = True
            self._socket.close(linger=0)

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Subscription {self.endpoint} {self._core.topics} {state} {self.stats}>"

    # -- internals

    def _next(self, deadline: _Deadline, duration: Optional[_Deadline] = None) -> Optional[StreamMessage]:
        core = self._core
        while True:
            message = core.take()
            if message is not None:
                return message
            if self._closed:
                return None
            if self._drain():
                continue  # a message was already queued: no poll (pyzmq builds a Poller per poll call)
            wait = _SLICE
            for limit in (deadline, duration):
                if limit is not None and limit.end is not None:
                    wait = min(wait, limit.remaining())
            with translate_zmq_errors(self.endpoint):
                if self._socket.poll(int(wait * 1000), zmq.POLLIN):
                    self._drain()
                    continue
            core.check_silence()
            if deadline.passed() or (duration is not None and duration.passed()):
                return core.take()

    def _drain(self) -> bool:
        """Take what is there; one message unless conflating (then everything, keeping the newest per topic).

        Whether anything was received."""
        core = self._core
        received = False
        while True:
            try:
                frames = self._socket.recv_multipart(zmq.NOBLOCK, copy=True)
            except zmq.Again:
                return received
            received = True
            core.heard()
            core.accept(frames)
            if not core.conflate:
                return True

    def _fetch_snapshot(self, start_timeout: float) -> None:
        """Clone pattern: wait for the welcome heartbeat (our subscriptions are in place), then ask the snapshot."""
        core = self._core
        deadline = _Deadline(start_timeout)
        early: List[List[bytes]] = []
        welcomed = False
        while not welcomed:
            if not self._socket.poll(int(min(_SLICE, deadline.remaining() or 0) * 1000) or 1, zmq.POLLIN):
                if deadline.passed():
                    raise TimeoutError(f"no publisher heard on {self.endpoint} within {start_timeout} s",
                                       endpoint=self.endpoint, seconds=start_timeout)
                continue
            frames = self._socket.recv_multipart(zmq.NOBLOCK)
            core.heard()
            if frames[0] == HEARTBEAT_TOPIC:
                core.accept(frames)
                welcomed = True
            else:
                early.append(frames)
        dealer = self._context.socket(zmq.DEALER)
        dealer.setsockopt(zmq.LINGER, 0)
        try:
            dealer.connect(core.snapshot_endpoint)
            dealer.send_multipart(core.snapshot_request())
            entries = 0
            while True:
                if not dealer.poll(int((deadline.remaining() or 0) * 1000), zmq.POLLIN):
                    raise TimeoutError(f"no snapshot from {core.snapshot_endpoint} within {start_timeout} s",
                                       endpoint=core.snapshot_endpoint or "", seconds=start_timeout)
                frames = dealer.recv_multipart()
                if frames and frames[0] == b"":
                    frames = frames[1:]
                if frames and frames[0] == END_TOPIC:
                    end = parse_header(frames[1])
                    if end.get("count") != entries:
                        core.report(StreamEvent("gap", f"the snapshot announced {end.get('count')} entries "
                                                       f"but {entries} arrived",
                                                missed=int(end.get("count") or 0) - entries))
                    break
                entries += 1
                core.accept(frames, snapshot=True)
        finally:
            dealer.close(linger=0)
        # Updates that came while the snapshot was fetched: older ones are duplicates, newer ones follow it.
        # The socket may hold more; they arrive in order after these.
        while self._socket.poll(0, zmq.POLLIN) and len(early) < 1_000_000:
            early.append(self._socket.recv_multipart(zmq.NOBLOCK))
        for frames in early:
            core.accept(frames)


def _check_idle_silence(core: _StreamCore, socket: zmq.Socket, closed: bool) -> None:
    """Silence for a subscriber that is not waiting: only when nothing unread is queued (EVENTS never blocks)."""
    if closed or core.ready or core.pending:
        return
    if not socket.getsockopt(zmq.EVENTS) & zmq.POLLIN:
        core.check_silence()


def subscribe(endpoint: str = DEFAULT_STREAM_ENDPOINT, *topics: str, **options: Any) -> Subscription:
    """Subscribe to topic prefixes of a ZeroBridge stream (every topic when none is given).

    Options (keywords): ``snapshot`` (the publisher's snapshot endpoint: start from the last value of every
    topic, then continue live with no gap and no duplicate), ``timeout`` (seconds to wait for each value,
    else :class:`zerobridge.TimeoutError`; default: wait forever, but interruptible), ``duration`` (seconds
    after which iteration ends), ``silence`` (seconds without any message, heartbeats included, before the
    publisher counts as silent; default three of its heartbeat intervals; checked while waiting and whenever
    :attr:`Subscription.silent` is read with nothing unread), ``conflate`` (keep only the
    newest unread value per topic), ``on_event`` (callback for :class:`StreamEvent`; default: warnings),
    ``hwm`` (the socket's receive high-water mark), ``start_timeout``, ``context``.

    Example::

        for message in zerobridge.subscribe("tcp://127.0.0.1:5556", "orders.", timeout=10):
            print(message.topic, message.seq, message.value)
    """
    return Subscription(endpoint, topics or ("",), **options)


class AsyncSubscription:
    """The asyncio twin of :class:`Subscription` (``async for message in sub``), made by :func:`asubscribe`.

    Cancelling the task that awaits it (``task.cancel()``, a timeout from ``asyncio.wait_for``, Ctrl+C under
    ``asyncio.run``) closes its socket and lets ``CancelledError`` propagate, as asyncio expects; leaving an
    ``async with`` block closes it too.
    """

    def __init__(self, endpoint: str = DEFAULT_STREAM_ENDPOINT, topics: Sequence[str] = ("",), *,
                 snapshot: Optional[str] = None, timeout: Optional[float] = None,
                 duration: Optional[float] = None, silence: Optional[float] = None,
                 conflate: bool = False, on_event: Optional[Callable[[StreamEvent], None]] = None,
                 hwm: int = 1000, start_timeout: float = 10.0,
                 context: Optional[zmq.asyncio.Context] = None) -> None:
        self._core = _StreamCore(endpoint, topics, snapshot=snapshot, silence=silence,
                                 conflate=conflate, on_event=on_event)
        self.timeout = timeout
        self._duration = _Deadline(duration)
        self._start_timeout = start_timeout
        self._context = context or zmq.asyncio.Context.instance()
        self._socket = self._context.socket(zmq.SUB)
        self._socket.setsockopt(zmq.LINGER, 0)
        self._socket.setsockopt(zmq.RCVHWM, hwm)
        self._core.subscribe_all(self._socket)
        self._socket.connect(endpoint)
        self._started = snapshot is None
        self._closed = False

    @property
    def endpoint(self) -> str:
        return self._core.endpoint

    @property
    def stats(self) -> StreamStats:
        return self._core.stats

    @property
    def silent(self) -> bool:
        """Whether the publisher is silent now (as :attr:`Subscription.silent`)."""
        _check_idle_silence(self._core, self._socket, self._closed)
        return self._core.silent

    @property
    def closed(self) -> bool:
        return self._closed

    def __aiter__(self) -> AsyncIterator[StreamMessage]:
        return self

    async def __anext__(self) -> StreamMessage:
        if self._closed:
            raise StopAsyncIteration
        try:
            message = await self._next(_Deadline(self.timeout))
        except (asyncio.CancelledError, KeyboardInterrupt):
            self.close()  # the consuming task was cancelled (or interrupted): no socket left behind
            raise
        if message is not None:
            return message
        if self._duration.passed() or self._closed:
            raise StopAsyncIteration
        raise TimeoutError(f"no stream message from {self.endpoint} within {self.timeout} s",
                           endpoint=self.endpoint, seconds=self.timeout)

    async def receive(self, timeout: Optional[float] = None) -> StreamMessage:
        """The next value; raises :class:`zerobridge.TimeoutError` when none comes within ``timeout`` s.

        Cancelling the awaiting task closes the subscription (and re-raises ``CancelledError``).
        """
        try:
            message = await self._next(_Deadline(timeout), stop_at_duration=False)
        except (asyncio.CancelledError, KeyboardInterrupt):
            self.close()
            raise
        if message is None:
            raise TimeoutError(f"no stream message from {self.endpoint} within {timeout} s",
                               endpoint=self.endpoint, seconds=timeout)
        return message

    async def _next(self, deadline: _Deadline, stop_at_duration: bool = True) -> Optional[StreamMessage]:
        if not self._started:
            await self._fetch_snapshot()
        core = self._core
        while True:
            message = core.take()
            if message is not None or self._closed:
                return message
            wait = _SLICE
            limits = [deadline] + ([self._duration] if stop_at_duration else [])
            for limit in limits:
                if limit.end is not None:
                    wait = min(wait, limit.remaining())
            if await self._socket.poll(int(wait * 1000), zmq.POLLIN):
                while True:
                    try:
                        frames = await self._socket.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    core.heard()
                    core.accept(frames)
                    if not core.conflate:
                        break
                continue
            core.check_silence()
            if any(limit.passed() for limit in limits):
                return core.take()

    async def _fetch_snapshot(self) -> None:
        # The same steps as Subscription._fetch_snapshot, awaiting instead of blocking.
        core = self._core
        deadline = _Deadline(self._start_timeout)
        early: List[List[bytes]] = []
        while True:
            if not await self._socket.poll(int(max(1, (deadline.remaining() or 0) * 1000)), zmq.POLLIN):
                raise TimeoutError(f"no publisher heard on {self.endpoint} within {self._start_timeout} s",
                                   endpoint=self.endpoint, seconds=self._start_timeout)
            frames = await self._socket.recv_multipart()
            core.heard()
            if frames[0] == HEARTBEAT_TOPIC:
                core.accept(frames)
                break
            early.append(frames)
        dealer = self._context.socket(zmq.DEALER)
        dealer.setsockopt(zmq.LINGER, 0)
        try:
            dealer.connect(core.snapshot_endpoint)
            await dealer.send_multipart(core.snapshot_request())
            entries = 0
            while True:
                if not await dealer.poll(int(max(1, (deadline.remaining() or 0) * 1000)), zmq.POLLIN):
                    raise TimeoutError(f"no snapshot from {core.snapshot_endpoint} within "
                                       f"{self._start_timeout} s", endpoint=core.snapshot_endpoint or "",
                                       seconds=self._start_timeout)
                frames = await dealer.recv_multipart()
                if frames and frames[0] == b"":
                    frames = frames[1:]
                if frames and frames[0] == END_TOPIC:
                    end = parse_header(frames[1])
                    if end.get("count") != entries:
                        core.report(StreamEvent("gap", f"the snapshot announced {end.get('count')} entries "
                                                       f"but {entries} arrived"))
                    break
                entries += 1
                core.accept(frames, snapshot=True)
        finally:
            dealer.close(linger=0)
        for frames in early:
            core.accept(frames)
        self._started = True

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._socket.close(linger=0)

    async def __aenter__(self) -> "AsyncSubscription":
        if not self._started:
            try:
                await self._fetch_snapshot()
            except BaseException:
                self.close()
                raise
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self.close()


def asubscribe(endpoint: str = DEFAULT_STREAM_ENDPOINT, *topics: str, **options: Any) -> AsyncSubscription:
    """The asyncio form of :func:`subscribe`: ``async for message in zerobridge.asubscribe(endpoint, "prices.")``."""
    return AsyncSubscription(endpoint, topics or ("",), **options)


class RollingFrame:
    """The last ``window`` stream values as a ``pandas.DataFrame``, one row per value.

    Columns: ``time``, ``topic``, ``seq``, then the value's fields when values are dicts (records), else
    ``value``. ``columns`` keeps only those value fields.
    """

    def __init__(self, window: int = 500, *, columns: Optional[Sequence[str]] = None) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self.window = window
        self.columns = list(columns) if columns is not None else None
        self._rows: Deque[Dict[str, Any]] = collections.deque(maxlen=window)

    def append(self, message: StreamMessage) -> None:
        row: Dict[str, Any] = {"time": message.time, "topic": message.topic, "seq": message.seq}
        value = message.value
        if isinstance(value, dict):
            for key, item in value.items():
                if self.columns is None or key in self.columns:
                    row[str(key)] = item
        else:
            row["value"] = value
        self._rows.append(row)

    def extend(self, messages: Sequence[StreamMessage]) -> None:
        for message in messages:
            self.append(message)

    def __len__(self) -> int:
        return len(self._rows)

    def frame(self) -> Any:
        """The rows as a DataFrame (``time`` as ``datetime64[ns, UTC]``)."""
        import pandas as pd  # noqa: PLC0415 - optional dependency, lazy

        frame = pd.DataFrame(list(self._rows), columns=None if self._rows else ["time", "topic", "seq"])
        if len(frame):
            frame["time"] = pd.to_datetime(frame["time"], utc=True)
        return frame
