"""The asyncio driver: one DEALER socket per client and event loop, calls multiplexed by request id.

A single reader task receives every reply of the socket and resolves the future of the request
whose ``id`` it carries; replies nobody waits for (late replies to abandoned requests) are dropped.
The channel only performs attempts; what to send and when to retry is :mod:`._exchange`'s.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Callable, Dict, List, Optional

import zmq
import zmq.asyncio

from ._exceptions import ProtocolError, TransportError, translate_zmq_errors
from ._exchange import Attempt
from ._protocol import Reply, parse_reply
from ._transport import Sockets

__all__ = ["AsyncChannel", "Channels"]

_log = logging.getLogger("zerobridge")


def _consume(future: "asyncio.Future[Any]") -> None:
    """Done-callback for fire-and-forget sends: retrieve the outcome so nothing is logged."""
    if not future.cancelled():
        future.exception()


class AsyncChannel:
    """The asyncio socket of one client on one event loop.

    Args:
        socket: a connected asyncio DEALER, owned by the channel from now on.
        endpoint: for error messages.
        loop: the loop the socket belongs to.
        release: closes the socket (the client's :class:`~._transport.Sockets` keeps count).
        handshake_error: why the socket's handshake failed, if it did: raised instead of a timeout.
    """

    def __init__(self, socket: zmq.asyncio.Socket, endpoint: str, loop: asyncio.AbstractEventLoop,
                 release: Callable[[zmq.Socket], None],
                 handshake_error: Callable[[zmq.Socket], Optional[BaseException]] = lambda socket: None
                 ) -> None:
        self.endpoint = endpoint
        self.loop = loop
        self.socket = socket
        self._release = release
        self._handshake_error = handshake_error
        self.pending: Dict[int, "asyncio.Future[Reply]"] = {}
        self.closed = False
        self.reader = loop.create_task(self._read(), name=f"zerobridge reader {endpoint}")

    async def perform(self, attempt: Attempt) -> Optional[Reply]:
        """Send one attempt and wait for its reply; ``None`` when the call's timeout passed (the
        server is then told the request is abandoned)."""
        request_id = attempt.request_id
        if not attempt.await_reply:
            self._send_without_waiting(attempt.call.frames(request_id))
            return None
        future: "asyncio.Future[Reply]" = self.loop.create_future()
        self.pending[request_id] = future
        try:
            self._check_open()
            with translate_zmq_errors(self.endpoint):
                await self.socket.send_multipart(attempt.call.frames(request_id), copy=False)
            reply = await asyncio.wait_for(future, attempt.call.timeout)
        except asyncio.TimeoutError:
            self._abandon(attempt)
            refused = self._handshake_error(self.socket)
            if refused is not None:
                raise refused from None
            return None
        except BaseException:
            self._abandon(attempt)
            raise
        self.pending.pop(request_id, None)
        return reply

    def _check_open(self) -> None:
        if self.closed:
            raise TransportError(f"the connection to {self.endpoint} is closed")

    def _send_without_waiting(self, frames: List[Any]) -> None:
        """A one-way send: dropped when the socket cannot take it now (no peer, queue full)."""
        if self.closed:
            return
        try:
            self.socket.send_multipart(frames, flags=zmq.NOBLOCK, copy=False).add_done_callback(
                _consume)
        except (zmq.ZMQError, RuntimeError):
            pass

    def _abandon(self, attempt: Attempt) -> None:
        """Forget the attempt and tell the server, best effort, that nobody waits for it."""
        self.pending.pop(attempt.request_id, None)
        if self.closed:
            return
        try:
            sent = self.socket.send_multipart(attempt.call.cancel_frames(attempt.request_id),
                                              flags=zmq.NOBLOCK)
            sent.add_done_callback(_consume)
        except (zmq.ZMQError, RuntimeError):
            pass

    async def _read(self) -> None:
        try:
            while True:
                frames = await self.socket.recv_multipart(copy=False)
                self._dispatch(frames)
        except asyncio.CancelledError:
            self._fail_pending(TransportError(f"the connection to {self.endpoint} was closed"))
            raise
        except Exception as exc:  # noqa: BLE001 - the reader must fail its waiters, not vanish
            error = TransportError(f"receiving from {self.endpoint} failed: {exc}")
            error.__cause__ = exc
            self._fail_pending(error)

    def _dispatch(self, frames: Any) -> None:
        try:
            reply: Optional[Reply] = parse_reply(frames)
            error: Optional[BaseException] = None
        except ProtocolError as exc:
            reply, error = None, exc
        request_id = reply.id if reply is not None else None
        future = self.pending.pop(request_id, None) if request_id is not None else None
        if future is None and (request_id is None) and len(self.pending) == 1:
            # A reply to a request too broken to carry its id: only one candidate.
            future = self.pending.pop(next(iter(self.pending)))
        if future is None:
            _log.debug("dropping a reply nobody waits for (id %r)", request_id)
            return
        if not future.done():
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(reply)

    def _fail_pending(self, error: BaseException) -> None:
        pending, self.pending = self.pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(error)

    def close(self) -> None:
        """Stop the reader and close the socket (from the loop's thread, or after the loop)."""
        if self.closed:
            return
        self.closed = True
        if not self.loop.is_closed():
            self.reader.cancel()
        self._release(self.socket)
        self._fail_pending(TransportError(f"the connection to {self.endpoint} is closed"))

    async def aclose(self) -> None:
        """Close, and wait for the reader task to finish."""
        self.close()
        try:
            await self.reader
        except (asyncio.CancelledError, Exception):  # noqa: BLE001 - closing
            pass


class Channels:
    """One :class:`AsyncChannel` per event loop, opened on first use in that loop."""

    def __init__(self, sockets: Sockets, lock: Optional[threading.RLock] = None) -> None:
        self._sockets = sockets
        self._lock = lock or threading.RLock()
        self._by_loop: Dict[asyncio.AbstractEventLoop, AsyncChannel] = {}

    def __len__(self) -> int:
        return len(self._by_loop)

    def current(self) -> AsyncChannel:
        """The running loop's channel (a closed loop's channel is dropped on the way)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            for other in [l for l in self._by_loop if l.is_closed()]:
                self._by_loop.pop(other).close()
            channel = self._by_loop.get(loop)
            if channel is None or channel.closed:
                channel = self._by_loop[loop] = AsyncChannel(
                    self._sockets.open(asynchronous=True), self._sockets.endpoint, loop,
                    self._sockets.close, self._sockets.handshake_error)
            return channel

    async def aclose_current(self) -> None:
        """Close the running loop's channel and wait for its reader task."""
        with self._lock:
            channel = self._by_loop.pop(asyncio.get_running_loop(), None)
        if channel is not None:
            await channel.aclose()

    def close_all(self) -> None:
        """Close every channel (their readers stop when their loops next run)."""
        with self._lock:
            channels, self._by_loop = list(self._by_loop.values()), {}
        for channel in channels:
            channel.close()
