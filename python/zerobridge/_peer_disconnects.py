"""Which connections of a ROUTER socket have gone, for a listener that must forget what a connection
proved before a newcomer can take its routing id (docs/security.md, "Task workers").

libzmq 4.3 has ``ZMQ_DISCONNECT_MSG`` (the C# side's way) only as a draft option, so this reads the
socket's monitor instead: ``EVENT_DISCONNECTED`` carries the file descriptor of the connection that
went, and every received message says which descriptor it came from (``ZMQ_SRCFD``). The event is
emitted before the socket releases the routing id, so draining the events before sending anything
means nothing goes to a newcomer under a proved connection's id.
"""

from __future__ import annotations

from typing import Dict, List, Optional

import zmq
from zmq.utils.monitor import recv_monitor_message

__all__ = ["PeerDisconnects"]


class PeerDisconnects:
    """The routing ids of ``socket`` whose connection has gone since the last :meth:`gone`."""

    def __init__(self, socket: zmq.Socket) -> None:
        self._socket = socket
        self._events: Optional[zmq.Socket] = socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        self._descriptors: Dict[bytes, int] = {}

    def heard(self, identity: bytes, frame: Optional[zmq.Frame]) -> None:
        """Note the connection a message (its first frame after the routing id) came from."""
        if frame is not None:
            self._descriptors[identity] = frame.get(zmq.SRCFD)

    def gone(self) -> List[bytes]:
        """The routing ids whose connection went (forgotten here as they are returned)."""
        events = self._events
        if events is None:
            return []
        closed = set()
        while events.poll(0):
            closed.add(recv_monitor_message(events)["value"])
        if not closed:
            return []
        gone = [identity for identity, descriptor in self._descriptors.items() if descriptor in closed]
        for identity in gone:
            del self._descriptors[identity]
        return gone

    def close(self) -> None:
        """Stop watching (before the socket is closed)."""
        if self._events is not None:
            self._socket.disable_monitor()
            self._events.close(linger=0)
            self._events = None
