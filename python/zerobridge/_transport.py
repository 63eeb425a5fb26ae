"""The sockets of one client: a ZeroMQ context and the DEALER sockets opened on it, with CURVE
set and the handshake watched on each (``_security``); and how a call's frames go in and out of one."""

from __future__ import annotations

import threading
from typing import Any, Dict, List, Optional, Set

import zmq

from ._exceptions import AuthenticationError, translate_zmq_errors
from ._security import CurveClient, HandshakeWatch

__all__ = ["EVENTS", "NOBLOCK", "POLLIN", "POLLOUT", "RCVTIMEO", "Sockets", "receive_frames", "send_frames"]


class Sockets:
    """Opens DEALER sockets to one endpoint and closes them all at the end.

    Owns a private :class:`zmq.Context` unless one is given (which it then does not terminate).
    Every socket has linger 0 unless closed with another, so closing never waits for a peer.
    With ``curve`` every socket is a CURVE client of the server that holds the pinned key. Each
    socket's handshake is watched, so :meth:`handshake_error` can tell a failed handshake (wrong
    key, CURVE on one side only) from a server that is merely slow.
    """

    def __init__(self, endpoint: str, context: Optional[zmq.Context] = None,
                 curve: Optional[CurveClient] = None) -> None:
        self.endpoint = endpoint
        self._curve = curve
        self._handshakes: Dict[zmq.Socket, HandshakeWatch] = {}
        self._owns_context = context is None
        self._context: zmq.Context = context if context is not None else zmq.Context()
        self._open: Set[zmq.Socket] = set()
        self._lock = threading.Lock()

    def open(self) -> zmq.Socket:
        """A new DEALER connected to the endpoint (the asyncio channel drives it through its file
        descriptor: ``_async``)."""
        with translate_zmq_errors(self.endpoint):
            socket = self._context.socket(zmq.DEALER)
            with self._lock:
                self._open.add(socket)
            socket.setsockopt(zmq.LINGER, 0)
            if self._curve is not None:
                self._curve.apply(socket)
            watch = HandshakeWatch(socket, self.endpoint, encrypted=self._curve is not None)
            with self._lock:
                self._handshakes[socket] = watch
            socket.connect(self.endpoint)
        return socket

    def handshake_error(self, socket: zmq.Socket) -> Optional[AuthenticationError]:
        """Why ``socket``'s handshake with the server failed, as the error to raise; ``None`` when
        it succeeded or has not finished (no reply can come over a failed one)."""
        with self._lock:
            watch = self._handshakes.get(socket)
        failure = watch.failure() if watch is not None else None
        return None if failure is None else AuthenticationError(failure, endpoint=self.endpoint)

    def close(self, socket: zmq.Socket, linger: int = 0) -> None:
        """Close one socket; ``linger`` ms lets a last message (a cancel notification) leave."""
        with self._lock:
            self._open.discard(socket)
            watch = self._handshakes.pop(socket, None)
        if watch is not None:
            watch.close()
        try:
            socket.close(linger=linger)
        except (zmq.ZMQError, RuntimeError):  # pragma: no cover - closing anyway
            pass

    def close_all(self) -> None:
        """Close every socket still open (linger 0) and terminate an owned context."""
        with self._lock:
            sockets, self._open = list(self._open), set()
        for socket in sockets:
            self.close(socket)
        if self._owns_context:
            self._context.term()


_COPIED_FRAMES = 5
"""Frames of a reply received as ``bytes``: the delimiter, signature, service, header and payload,
which are small and read at once (a ``zmq.Frame`` costs more than copying them). Attachments,
where a table's columns travel, are received without a copy."""

# Socket options and flags as plain ints: pyzmq's attribute sugar (``socket.rcvmore``) and its enum
# arithmetic (``SNDMORE | flags``) cost more than the rest of a small call's send or receive
# (bench/README.md, "Issue 14, second pass").
RCVMORE = int(zmq.RCVMORE)
RCVTIMEO = int(zmq.RCVTIMEO)
NOBLOCK = int(zmq.NOBLOCK)
NOBLOCK_MORE = int(zmq.NOBLOCK | zmq.SNDMORE)
EVENTS = int(zmq.EVENTS)
POLLIN = int(zmq.POLLIN)
POLLOUT = int(zmq.POLLOUT)


_COPY_BELOW = zmq.COPY_THRESHOLD
"""Frames of ``bytes`` shorter than this are sent with ``copy=True``: pyzmq would copy them anyway
(its copy threshold), and its ``copy=False`` path first wraps each in a ``memoryview`` to find that
out, which doubles the cost of a small call's five sends (bench/README.md, "Issue 14, the Python
client"). Larger frames and other buffers (attachments: table columns) travel without a copy."""


_send = zmq.backend.Socket.send
"""The send of pyzmq's backend socket, which ``zmq.Socket`` extends: its own ``send`` only adds, in
Python, the ``routing_id`` and ``group`` of draft SERVER and RADIO sockets before calling this one
(``recv`` has no such layer), and that costs more than a small frame's send itself."""


def send_frames(socket: zmq.Socket, frames: List[Any]) -> None:
    """``send_multipart(frames, NOBLOCK)`` without its per-frame type checks and enum flags (the
    frames are the client's own: bytes, or attachment buffers), copying only small ``bytes``. Only
    the first frame can raise :class:`zmq.Again`: ZeroMQ queues a multipart message whole or not at
    all."""
    last = len(frames) - 1
    for index, frame in enumerate(frames):
        _send(socket, frame, NOBLOCK_MORE if index < last else NOBLOCK,
              type(frame) is bytes and len(frame) < _COPY_BELOW)


def receive_frames(socket: zmq.Socket, flags: int = 0) -> List[Any]:
    """One multipart message, its first frames copied and the rest as ``zmq.Frame`` (no copy);
    ``flags`` (``NOBLOCK``) apply to the first frame, the rest are there once it is."""
    receive, more = socket.recv, socket.getsockopt
    frames: List[Any] = [receive(flags)]
    while more(RCVMORE):
        frames.append(receive(0, len(frames) < _COPIED_FRAMES))  # (flags, copy): no keywords to parse
    return frames
