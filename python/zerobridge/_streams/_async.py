"""The asyncio subscription: the same core and snapshot handshake as :class:`Subscription`, awaited."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Callable, List, Optional, Sequence

import zmq
import zmq.asyncio

from .._exceptions import RemoteError, TimeoutError, translate_zmq_errors
from .._exchange import Attempt
from .._protocol import Reply, parse_reply
from .._proving import aprove, proof_steps
from .._security import CertificatePath, CurveClient, KeySource
from ._base import SubscriptionBase
from ._core import StreamCore
from ._deadline import SLICE, Deadline
from ._events import StreamEvent, StreamMessage
from ._rolling_frame import RollingFrame
from ._snapshot import SnapshotHandshake
from ._wire import DEFAULT_STREAM_ENDPOINT

__all__ = ["AsyncSubscription", "asubscribe"]


class AsyncSubscription(SubscriptionBase):
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
                 context: Optional[zmq.asyncio.Context] = None, server_key: Optional[KeySource] = None,
                 cert: Optional[CertificatePath] = None) -> None:
        self._context = context or zmq.asyncio.Context.instance()
        super().__init__(StreamCore(endpoint, topics, snapshot=snapshot, silence=silence,
                                    conflate=conflate, on_event=on_event), self._context, hwm,
                         CurveClient.configure(server_key, cert), proves=cert is not None)
        self.timeout = timeout
        self._duration = Deadline(duration)
        self._start_timeout = start_timeout
        self._started = snapshot is None

    def __aiter__(self) -> AsyncIterator[StreamMessage]:
        return self

    async def __anext__(self) -> StreamMessage:
        if self._closed:
            raise StopAsyncIteration
        try:
            message = await self._next(Deadline(self.timeout))
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
            message = await self._next(Deadline(timeout), stop_at_duration=False)
        except (asyncio.CancelledError, KeyboardInterrupt):
            self.close()
            raise
        if message is None:
            raise TimeoutError(f"no stream message from {self.endpoint} within {timeout} s",
                               endpoint=self.endpoint, seconds=timeout)
        return message

    async def poll(self, timeout: float = 0.0) -> List[StreamMessage]:
        """Every value that arrives within ``timeout`` s (at least what is already there); never raises on time.

        Cancelling the awaiting task closes the subscription (and re-raises ``CancelledError``).
        """
        deadline = Deadline(timeout)
        out: List[StreamMessage] = []
        try:
            while True:
                message = await self._next(deadline, stop_at_duration=False)
                if message is None:
                    return out
                out.append(message)
        except (asyncio.CancelledError, KeyboardInterrupt):
            self.close()
            raise

    async def rolling(self, window: int = 500, *, every: float = 0.5, duration: Optional[float] = None,
                      columns: Optional[Sequence[str]] = None) -> AsyncIterator[Any]:
        """Yield a rolling ``pandas.DataFrame`` of the last ``window`` values every ``every`` seconds.

        ``async for frame in sub.rolling(...)``. Ends after ``duration`` seconds (or the subscription's own), or
        when the subscription is closed; cancelling the consuming task closes it (``CancelledError`` propagates).
        """
        frame = RollingFrame(window, columns=columns)
        end = Deadline(duration)
        while not self._closed:
            frame.extend(await self.poll(every))
            yield frame.frame()
            if end.passed() or self._duration.passed():
                return

    async def _next(self, deadline: Deadline, stop_at_duration: bool = True) -> Optional[StreamMessage]:
        if not self._started:
            await self._fetch_snapshot()
        core = self._core
        while True:
            if core.keyring.wanted and not self._closed:
                await self._fetch_keys()
            message = core.take()
            if message is not None or self._closed:
                return message
            wait = SLICE
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
            self._check_handshake()
            core.check_silence()
            if any(limit.passed() for limit in limits):
                return core.take()

    async def _fetch_keys(self) -> None:
        """Ask for the topic keys the keyring wants and take the reply (§11.6), within ``start_timeout``."""
        deadline = Deadline(self._start_timeout)
        dealer = self._key_socket()
        with translate_zmq_errors(self.endpoint):
            if self._key_proof_due:
                self._key_proof_due = False
                if not await self._prove_key(dealer):
                    return
            await dealer.send_multipart(self._core.keyring.request())
            while True:
                if await dealer.poll(deadline.wait_ms(SLICE), zmq.POLLIN):
                    self._core.take_keys(await dealer.recv_multipart())
                    return
                if deadline.passed():
                    self._no_key_reply(self._start_timeout)
                    return

    async def _prove_key(self, dealer: zmq.asyncio.Socket) -> bool:
        """Async :meth:`Subscription._prove_key`: prove this subscription's key on the key DEALER."""
        async def perform(attempt: Attempt) -> Optional[Reply]:
            await dealer.send_multipart(attempt.call.frames(attempt.request_id))
            if not await dealer.poll(int(self._start_timeout * 1000), zmq.POLLIN):
                return None
            return parse_reply(await dealer.recv_multipart())
        try:
            await aprove(proof_steps(self._core.snapshot_endpoint, self._curve, self._start_timeout), perform)
        except RemoteError:
            pass  # refused: the key request that follows is answered with key_denied
        except TimeoutError:
            self._no_key_reply(self._start_timeout)
            return False
        return True

    async def _fetch_snapshot(self) -> None:
        """Start from the publisher's snapshot (see :mod:`._snapshot` for the steps)."""
        handshake = SnapshotHandshake(self._core, self._start_timeout)
        with translate_zmq_errors(self.endpoint):
            while not handshake.welcomed:
                if await self._socket.poll(handshake.deadline.wait_ms(SLICE), zmq.POLLIN):
                    handshake.live(await self._socket.recv_multipart(zmq.NOBLOCK))
                else:
                    self._check_handshake()
                    if handshake.deadline.passed():
                        raise handshake.no_publisher()
            dealer = self._snapshot_socket(self._context)
            try:
                dealer.connect(self._core.snapshot_endpoint)
                await dealer.send_multipart(handshake.request())
                while not handshake.done:
                    if await dealer.poll(handshake.deadline.wait_ms(SLICE), zmq.POLLIN):
                        handshake.snapshot(await dealer.recv_multipart())
                    elif handshake.deadline.passed():
                        raise handshake.no_snapshot()
            finally:
                dealer.close(linger=0)
        handshake.finish()
        self._started = True

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


