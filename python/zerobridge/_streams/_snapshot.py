"""The snapshot handshake (ZeroMQ guide's Clone pattern), sans I/O: the steps both subscriptions
drive, each with its own kind of socket.

1. Read the live (SUB) socket until the welcome heartbeat: the subscriptions are then in place, so
   nothing published from now on can be missed. Values that came earlier are kept aside.
2. Ask the snapshot endpoint (DEALER) for the last value of every topic and read it to its end
   marker, whose ``count`` is checked against the entries received.
3. Replay the values kept aside: older ones are duplicates of the snapshot and dropped by sequence,
   newer ones follow it. Later live values are read in order from the socket as usual.
"""

from __future__ import annotations

from typing import List, Optional

from .._exceptions import TimeoutError
from ._core import StreamCore
from ._deadline import Deadline
from ._events import StreamEvent
from ._wire import END_TOPIC, HEARTBEAT_TOPIC, Frames, frame_bytes, parse_header

__all__ = ["SnapshotHandshake"]


class SnapshotHandshake:
    """The state of one subscription's start from a snapshot; the drivers loop::

        while not handshake.welcomed: handshake.live(<SUB message>)     # or no_publisher()
        <DEALER>.send(handshake.request())
        while not handshake.done: handshake.snapshot(<DEALER message>)  # or no_snapshot()
        handshake.finish()
    """

    def __init__(self, core: StreamCore, timeout: float) -> None:
        self.core = core
        self.timeout = timeout
        self.deadline = Deadline(timeout)
        self.welcomed = False
        self.done = False
        self._early: List[Frames] = []
        self._entries = 0

    def live(self, frames: Frames) -> None:
        """A message of the live socket before the welcome heartbeat."""
        self.core.heard()
        if frames and frame_bytes(frames[0]) == HEARTBEAT_TOPIC:
            self.core.accept(frames)
            self.welcomed = True
        else:
            self._early.append(frames)

    def request(self) -> List[bytes]:
        """The snapshot request to send once welcomed."""
        return self.core.snapshot_request()

    def snapshot(self, frames: Frames) -> None:
        """A message of the snapshot socket: an entry, or the end marker."""
        frames = list(frames)
        if frames and frame_bytes(frames[0]) == b"":
            frames = frames[1:]
        if frames and frame_bytes(frames[0]) == END_TOPIC:
            announced = parse_header(frame_bytes(frames[1])).get("count") if len(frames) > 1 else None
            if announced != self._entries:
                missed = int(announced or 0) - self._entries
                self.core.report(StreamEvent(
                    "gap", f"the snapshot announced {announced} entries but {self._entries} arrived",
                    missed=missed))
            self.done = True
            return
        self._entries += 1
        self.core.accept(frames, snapshot=True)

    def finish(self) -> None:
        """Replay the live values that came before the welcome heartbeat."""
        early, self._early = self._early, []
        for frames in early:
            self.core.accept(frames)

    def no_publisher(self) -> TimeoutError:
        """The error when no heartbeat came before the deadline."""
        return TimeoutError(f"no publisher heard on {self.core.endpoint} within {self.timeout} s",
                            endpoint=self.core.endpoint, seconds=self.timeout)

    def no_snapshot(self) -> TimeoutError:
        """The error when the snapshot did not end before the deadline."""
        where: Optional[str] = self.core.snapshot_endpoint
        return TimeoutError(f"no snapshot from {where} within {self.timeout} s",
                            endpoint=where or "", seconds=self.timeout)
