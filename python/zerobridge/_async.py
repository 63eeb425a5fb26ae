"""Async support: one DEALER socket per client and event loop, calls multiplexed by request id.

A single reader task receives every reply of the socket and resolves the future of the request
whose ``id`` it carries; replies nobody waits for (late replies to abandoned requests) are dropped.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Dict, Optional

import zmq
import zmq.asyncio

from ._call import PreparedCall
from ._exceptions import ProtocolError, TransportError, translate_zmq_errors
from ._protocol import Reply, parse_reply

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["AsyncChannel"]

_log = logging.getLogger("zerobridge")


def _consume(future: "asyncio.Future[Any]") -> None:
    """Done-callback for fire-and-forget sends: retrieve the outcome so nothing is logged."""
    if not future.cancelled():
        future.exception()


class AsyncChannel:
    """The asyncio socket of one client on one event loop."""

    def __init__(self, client: "Client", loop: asyncio.AbstractEventLoop) -> None:
        self.client = client
        self.loop = loop
        self.socket: zmq.asyncio.Socket = client._open_socket(asynchronous=True)
        self.pending: Dict[int, "asyncio.Future[Reply]"] = {}
        self.closed = False
        self.reader = loop.create_task(self._read(), name=f"zerobridge reader {client.endpoint}")

    async def request(self, call: PreparedCall) -> Any:
        """Send ``call`` (retrying on timeout as configured) and return its result."""
        attempts = call.retries + 1
        for attempt in range(1, attempts + 1):
            request_id = self.client._next_id()
            future: "asyncio.Future[Reply]" = self.loop.create_future()
            self.pending[request_id] = future
            try:
                self._check_open()
                with translate_zmq_errors(self.client.endpoint):
                    await self.socket.send_multipart(call.frames(request_id), copy=False)
                reply = await asyncio.wait_for(future, call.timeout)
            except asyncio.TimeoutError:
                self._abandon(call, request_id)
                continue
            except BaseException:
                self._abandon(call, request_id)
                raise
            self.pending.pop(request_id, None)
            if attempt < attempts and call.never_ran(reply):
                continue  # a broker had no worker in time; the request never ran
            return call.decode(reply)
        raise self.client._handshake_error(self.socket) or call.timeout_error(attempts)

    def _check_open(self) -> None:
        if self.closed:
            raise TransportError(f"the connection to {self.client.endpoint} is closed")

    def _abandon(self, call: PreparedCall, request_id: int) -> None:
        """Forget ``request_id`` and tell the server, best effort, that nobody waits for it."""
        self.pending.pop(request_id, None)
        if self.closed:
            return
        try:
            sent = self.socket.send_multipart(call.cancel_frames(request_id), flags=zmq.NOBLOCK)
            sent.add_done_callback(_consume)
        except (zmq.ZMQError, RuntimeError):
            pass

    async def _read(self) -> None:
        try:
            while True:
                frames = await self.socket.recv_multipart(copy=False)
                self._dispatch(frames)
        except asyncio.CancelledError:
            self._fail_pending(TransportError(f"the connection to {self.client.endpoint} "
                                              "was closed"))
            raise
        except Exception as exc:  # noqa: BLE001 - the reader must fail its waiters, not vanish
            error = TransportError(f"receiving from {self.client.endpoint} failed: {exc}")
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
        self.client._close_socket(self.socket)
        self._fail_pending(TransportError(f"the connection to {self.client.endpoint} is closed"))

    async def aclose(self) -> None:
        """Close, and wait for the reader task to finish."""
        self.close()
        try:
            await self.reader
        except (asyncio.CancelledError, Exception):  # noqa: BLE001 - closing
            pass
