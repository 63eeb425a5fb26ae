"""The blocking subscription: a SUB socket polled in short slices, so a notebook stays interruptible."""

from __future__ import annotations

from typing import Any, Callable, Iterator, List, Optional, Sequence

import zmq

from .._exceptions import RemoteError, TimeoutError, translate_zmq_errors
from .._proving import prove_on
from .._security import CertificatePath, CurveClient, KeySource
from .._transport import receive_frames
from ._base import SubscriptionBase
from ._core import StreamCore
from ._deadline import SLICE, Deadline
from ._events import StreamEvent, StreamMessage
from ._rolling_frame import RollingFrame
from ._snapshot import SnapshotHandshake
from ._wire import DEFAULT_STREAM_ENDPOINT

__all__ = ["Subscription", "subscribe"]

# Plain ints: pyzmq's enum arithmetic costs more than a small receive.
_EVENTS = int(zmq.EVENTS)
_POLLIN = int(zmq.POLLIN)
_NOBLOCK = int(zmq.NOBLOCK)

class Subscription(SubscriptionBase):
    """A subscription to a ZeroBridge stream; iterate it for :class:`StreamMessage` values.

    Made by :func:`subscribe`. Blocking, on a plain ZeroMQ socket polled in short slices, so it works in a
    notebook: ``timeout`` bounds the wait for each value (:class:`zerobridge.TimeoutError`), ``duration``
    ends the iteration after so many seconds, and an interrupt (Ctrl+C, the kernel's stop button) closes the
    socket and is raised again, so the rest of the cell does not run (as with any interrupted loop). Gaps, restarts and silences are counted in :attr:`stats` and reported to ``on_event`` (or
    as :class:`StreamWarning`).
    """

    def __init__(self, endpoint: str = DEFAULT_STREAM_ENDPOINT, topics: Sequence[str] = ("",), *,
                 snapshot: Optional[str] = None, timeout: Optional[float] = None,
                 duration: Optional[float] = None, silence: Optional[float] = None,
                 conflate: bool = False, on_event: Optional[Callable[[StreamEvent], None]] = None,
                 hwm: int = 1000, start_timeout: float = 10.0,
                 context: Optional[zmq.Context] = None, server_key: Optional[KeySource] = None,
                 cert: Optional[CertificatePath] = None) -> None:
        self._context = context or zmq.Context.instance()
        super().__init__(StreamCore(endpoint, topics, snapshot=snapshot, silence=silence,
                                    conflate=conflate, on_event=on_event), self._context, hwm,
                         CurveClient.configure(server_key, cert), proves=cert is not None)
        self.timeout = timeout
        self._poller = zmq.Poller()  # kept: Socket.poll builds a Poller on every call
        self._poller.register(self._socket, zmq.POLLIN)
        self._duration = Deadline(duration)
        self._start_timeout = start_timeout
        if snapshot is not None:
            try:
                self._fetch_snapshot(start_timeout)
            except BaseException:
                self.close()
                raise

    def receive(self, timeout: Optional[float] = None) -> StreamMessage:
        """The next value; raises :class:`zerobridge.TimeoutError` when none comes within ``timeout`` s."""
        message = self._next(Deadline(timeout))
        if message is None:
            raise TimeoutError(f"no stream message from {self.endpoint} within {timeout} s",
                               endpoint=self.endpoint, seconds=timeout)
        return message

    def poll(self, timeout: float = 0.0) -> List[StreamMessage]:
        """Every value that arrives within ``timeout`` s (at least what is already there); never raises on time."""
        deadline = Deadline(timeout)
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
        deadline = Deadline(self.timeout)
        try:
            message = self._next(deadline, self._duration)
        except KeyboardInterrupt:
            self.close()  # no socket left behind; the interrupt still stops the cell
            raise
        if message is not None:
            return message
        if self._duration.passed():
            raise StopIteration
        raise TimeoutError(f"no stream message from {self.endpoint} within {self.timeout} s",
                           endpoint=self.endpoint, seconds=self.timeout)

    def rolling(self, window: int = 500, *, every: float = 0.5, duration: Optional[float] = None,
                columns: Optional[Sequence[str]] = None) -> Iterator[Any]:
        """Yield a rolling ``pandas.DataFrame`` of the last ``window`` values every ``every`` seconds.

        Ends after ``duration`` seconds (or the subscription's own); an interrupt closes the
        subscription and is raised again.
        """
        frame = RollingFrame(window, columns=columns)
        end = Deadline(duration)
        try:
            while not self._closed:
                frame.extend(self.poll(every))
                yield frame.frame()
                if end.passed() or self._duration.passed():
                    return
        except KeyboardInterrupt:
            self.close()
            raise

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Subscription {self.endpoint} {self._core.topics} {state} {self.stats}>"

    # -- internals

    def _next(self, deadline: Deadline, duration: Optional[Deadline] = None) -> Optional[StreamMessage]:
        core = self._core
        while True:
            if core.keyring.wanted and not self._closed:
                self._fetch_keys()
            message = core.take()
            if message is not None:
                return message
            if self._closed:
                return None
            if self._drain():
                continue  # a message was already queued: no poll (pyzmq builds a Poller per poll call)
            wait = SLICE
            for limit in (deadline, duration):
                if limit is not None and limit.end is not None:
                    wait = min(wait, limit.remaining())
            with translate_zmq_errors(self.endpoint):
                if self._poller.poll(int(wait * 1000)):
                    self._drain(readable=True)
                    continue
            self._check_handshake()
            core.check_silence()
            if deadline.passed() or (duration is not None and duration.passed()):
                return core.take()

    def _drain(self, readable: bool = False) -> bool:
        """Take what is there; one message unless conflating (then everything, keeping the newest per topic).
        ``readable``: a poll just said a message is queued, so the first receive needs no check.

        Whether anything was received."""
        core = self._core
        socket = self._socket
        received = False
        # Whether a message is queued, asked without the exception an empty receive raises (it costs more).
        while readable or socket.getsockopt(_EVENTS) & _POLLIN:
            readable = False
            try:
                frames = receive_frames(socket, _NOBLOCK)
            except zmq.Again:  # a poll's readiness can be spurious
                return received
            received = True
            core.heard()
            core.accept(frames)
            if not core.conflate:
                return True
        return received

    def _fetch_keys(self) -> None:
        """Ask for the topic keys the keyring wants and take the reply (§11.6), within ``start_timeout``."""
        deadline = Deadline(self._start_timeout)
        dealer = self._key_socket()
        with translate_zmq_errors(self.endpoint):
            if self._key_proof_due:
                self._key_proof_due = False
                if not self._prove_key(dealer):
                    return
            dealer.send_multipart(self._core.keyring.request())
            while True:
                if dealer.poll(deadline.wait_ms(SLICE), zmq.POLLIN):
                    self._core.take_keys(dealer.recv_multipart())
                    return
                if deadline.passed():
                    self._no_key_reply(self._start_timeout)
                    return

    def _prove_key(self, dealer: zmq.Socket) -> bool:
        """Prove this subscription's key on the key DEALER; false when the publisher did not answer.

        A refused proof is no error here: the publisher then refuses the keys, and the values are
        dropped and reported as ``key_denied``."""
        try:
            prove_on(dealer, self._core.snapshot_endpoint, self._curve, self._start_timeout)
        except RemoteError:
            pass  # refused: the key request that follows is answered with key_denied
        except TimeoutError:
            self._no_key_reply(self._start_timeout)
            return False
        return True

    def _fetch_snapshot(self, start_timeout: float) -> None:
        """Start from the publisher's snapshot (see :mod:`._snapshot` for the steps)."""
        handshake = SnapshotHandshake(self._core, start_timeout)
        with translate_zmq_errors(self.endpoint):
            while not handshake.welcomed:
                if self._socket.poll(handshake.deadline.wait_ms(SLICE), zmq.POLLIN):
                    handshake.live(self._socket.recv_multipart(zmq.NOBLOCK))
                else:
                    self._check_handshake()
                    if handshake.deadline.passed():
                        raise handshake.no_publisher()
            dealer = self._snapshot_socket(self._context)
            try:
                dealer.connect(self._core.snapshot_endpoint)
                dealer.send_multipart(handshake.request())
                while not handshake.done:
                    if dealer.poll(handshake.deadline.wait_ms(SLICE), zmq.POLLIN):
                        handshake.snapshot(dealer.recv_multipart())
                    elif handshake.deadline.passed():
                        raise handshake.no_snapshot()
            finally:
                dealer.close(linger=0)
        handshake.finish()


def subscribe(endpoint: str = DEFAULT_STREAM_ENDPOINT, *topics: str, **options: Any) -> Subscription:
    """Subscribe to topic prefixes of a ZeroBridge stream (every topic when none is given).

    Options (keywords): ``snapshot`` (the publisher's snapshot endpoint: start from the last value of every
    topic, then continue live with no gap and no duplicate), ``timeout`` (seconds to wait for each value,
    else :class:`zerobridge.TimeoutError`; default: wait forever, but interruptible), ``duration`` (seconds
    after which iteration ends), ``silence`` (seconds without any message, heartbeats included, before the
    publisher counts as silent; default three of its heartbeat intervals; checked while waiting and whenever
    :attr:`Subscription.silent` is read with nothing unread), ``conflate`` (keep only the
    newest unread value per topic), ``on_event`` (callback for :class:`StreamEvent`; default: warnings),
    ``hwm`` (the socket's receive high-water mark), ``start_timeout``, ``context``, and for a publisher
    that uses CURVE ``server_key`` (its ``NAME.key`` file, or the Z85 key) and optionally ``cert`` (this
    subscriber's ``NAME.key_secret``; with it the key is proved on the snapshot socket before topic keys
    are asked for, so a publisher with an allow-list hands out the keys its ``topics`` permit). A failed handshake (a wrong key, CURVE on one side only) raises
    :class:`zerobridge.AuthenticationError` while waiting.

    Example::

        for message in zerobridge.subscribe("tcp://127.0.0.1:5556", "orders.", timeout=10):
            print(message.topic, message.seq, message.value)
    """
    return Subscription(endpoint, topics or ("",), **options)


