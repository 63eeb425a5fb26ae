"""The asyncio driver: one DEALER socket per client and event loop, calls multiplexed by request id.

The socket is a plain (blocking-API) DEALER used only with non-blocking sends and receives; the event
loop watches its file descriptor (``ZMQ_FD``) and, when it signals, the channel receives every reply
already queued and resolves the future of the request whose ``id`` it carries; replies nobody waits
for (late replies to abandoned requests) are dropped. This is what ``zmq.asyncio`` does too, without
its futures, enum flags and re-scheduling per message, which cost more than the rest of a small call
(bench/README.md, "Issue 14, second pass"). The channel only performs attempts; what to send and when
to retry is :mod:`._exchange`'s.

``ZMQ_FD`` is edge-triggered in effect: it signals that the socket's events may have changed, and any
send or receive may consume that signal. So the channel reads ``ZMQ_EVENTS`` until no message is
left, and looks again after each of its own sends.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Callable, Dict, List, Optional

import zmq

from ._exceptions import ProtocolError, TransportError, translate_zmq_errors
from ._exchange import Attempt
from ._protocol import Reply, parse_reply
from ._transport import EVENTS, NOBLOCK, POLLIN, POLLOUT, Sockets, receive_frames, send_frames

__all__ = ["AsyncChannel", "Channels"]

_log = logging.getLogger("zerobridge")


def _expire(future: "asyncio.Future[Reply]") -> None:
    """A call's timeout: its wait ends with :class:`asyncio.TimeoutError` unless the reply came."""
    if not future.done():
        future.set_exception(asyncio.TimeoutError())


class AsyncChannel:
    """The socket of one client on one event loop.

    Args:
        socket: a connected DEALER, owned by the channel from now on.
        endpoint: for error messages.
        loop: the loop that watches the socket.
        release: closes the socket (the client's :class:`~._transport.Sockets` keeps count).
        handshake_error: why the socket's handshake failed, if it did: raised instead of a timeout.
    """

    def __init__(self, socket: zmq.Socket, endpoint: str, loop: asyncio.AbstractEventLoop,
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
        self._writable: List["asyncio.Future[None]"] = []  # sends waiting for room in the queue
        self._fd = socket.getsockopt(zmq.FD)
        loop.add_reader(self._fd, self._on_events)
        loop.call_soon(self._on_events)  # anything that happened before the loop watched

    async def perform(self, attempt: Attempt) -> Optional[Reply]:
        """Send one attempt and wait for its reply; ``None`` when the call's timeout passed (the
        server is then told the request is abandoned)."""
        request_id = attempt.request_id
        if not attempt.await_reply:
            self._send_without_waiting(attempt.call.frames(request_id))
            return None
        future: "asyncio.Future[Reply]" = self.loop.create_future()
        self.pending[request_id] = future
        timeout = attempt.call.timeout
        expiry = None if timeout is None else self.loop.call_later(timeout, _expire, future)
        try:
            self._check_open()
            await self._send(attempt.call.frames(request_id), future)
            reply = await future
        except asyncio.TimeoutError:
            self._abandon(attempt)
            refused = self._handshake_error(self.socket)
            if refused is not None:
                raise refused from None
            return None
        except BaseException:
            self._abandon(attempt)
            raise
        finally:
            if expiry is not None:
                expiry.cancel()
        self.pending.pop(request_id, None)
        return reply

    async def _send(self, frames: List[Any], reply: "asyncio.Future[Reply]") -> None:
        """Send now, or once the queue has room (until the call's ``reply`` future ends: its timeout)."""
        while True:
            with translate_zmq_errors(self.endpoint):
                try:
                    send_frames(self.socket, frames)
                    break
                except zmq.Again:
                    pass
            room: "asyncio.Future[None]" = self.loop.create_future()
            self._writable.append(room)
            try:
                await asyncio.wait([room, reply], return_when=asyncio.FIRST_COMPLETED)
            finally:
                if not room.done():  # the call ended first: nothing may keep waiting for it
                    self._writable.remove(room)
            if reply.done():
                reply.result()  # its timeout (or the channel closing): raised here
            self._check_open()
        self._on_events()  # the send may have consumed the descriptor's signal of a reply

    def _check_open(self) -> None:
        if self.closed:
            raise TransportError(f"the connection to {self.endpoint} is closed")

    def _send_without_waiting(self, frames: List[Any]) -> None:
        """A one-way send: dropped when the socket cannot take it now (no peer, queue full)."""
        if self.closed:
            return
        try:
            send_frames(self.socket, frames)
        except zmq.ZMQError:
            pass
        self._on_events()

    def _abandon(self, attempt: Attempt) -> None:
        """Forget the attempt and tell the server, best effort, that nobody waits for it."""
        self.pending.pop(attempt.request_id, None)
        self._send_without_waiting(attempt.call.cancel_frames(attempt.request_id))

    def _on_events(self) -> None:
        """The descriptor signalled (or a send may have hidden a signal): every queued reply to its
        waiter, and room in the queue to the sends that wait for it."""
        if self.closed:
            return
        try:
            events = self.socket.getsockopt(EVENTS)
            while events & POLLIN:
                self._dispatch(receive_frames(self.socket, NOBLOCK))
                events = self.socket.getsockopt(EVENTS)
        except zmq.Again:
            return
        except Exception as exc:  # noqa: BLE001 - the channel must fail its waiters, not vanish
            error = TransportError(f"receiving from {self.endpoint} failed: {exc}")
            error.__cause__ = exc
            self._stop_watching()
            self._fail_pending(error)
            return
        if events & POLLOUT and self._writable:
            waiting, self._writable = self._writable, []
            for room in waiting:
                if not room.done():
                    room.set_result(None)

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
        waiting, self._writable = self._writable, []
        for room in waiting:
            if not room.done():
                room.set_result(None)  # the sender finds the channel closed

    def _stop_watching(self) -> None:
        """Take the descriptor off the loop: at once on the loop's thread (or a stopped loop), else
        through the loop (asyncio's selector is not thread-safe)."""
        if self.loop.is_closed():
            return
        try:
            on_loop = asyncio.get_running_loop() is self.loop
        except RuntimeError:
            on_loop = False
        if on_loop or not self.loop.is_running():
            self.loop.remove_reader(self._fd)
        else:
            self.loop.call_soon_threadsafe(self.loop.remove_reader, self._fd)

    def close(self) -> None:
        """Stop watching the socket and close it (from the loop's thread, or after the loop)."""
        if self.closed:
            return
        self.closed = True
        self._stop_watching()
        self._release(self.socket)
        self._fail_pending(TransportError(f"the connection to {self.endpoint} is closed"))

    async def aclose(self) -> None:
        """Close (kept async for the callers that await it)."""
        self.close()


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
                    self._sockets.open(), self._sockets.endpoint, loop,
                    self._sockets.close, self._sockets.handshake_error)
            return channel

    async def aclose_current(self) -> None:
        """Close the running loop's channel."""
        with self._lock:
            channel = self._by_loop.pop(asyncio.get_running_loop(), None)
        if channel is not None:
            await channel.aclose()

    def close_all(self) -> None:
        """Close every channel (a running loop on another thread stops watching its socket when it next runs)."""
        with self._lock:
            channels, self._by_loop = list(self._by_loop.values()), {}
        for channel in channels:
            channel.close()
