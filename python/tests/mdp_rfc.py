"""A Majordomo client and worker written from RFC 7/MDP alone, on plain pyzmq (no zerobridge code).

They are the "any MDP peer in any language" of the interoperability tests: every frame below is
spelled out as the RFC's section "MDP/Client" and "MDP/Worker" gives it.
"""

from __future__ import annotations

from typing import List, Optional

import zmq

C_CLIENT = b"MDPC01"
W_WORKER = b"MDPW01"
W_READY, W_REQUEST, W_REPLY, W_HEARTBEAT, W_DISCONNECT = b"\x01", b"\x02", b"\x03", b"\x04", b"\x05"


class RfcClient:
    """MDP/Client on a REQ socket: the socket adds and strips frame 0 (the empty frame)."""

    def __init__(self, context: zmq.Context, endpoint: str) -> None:
        self.socket = context.socket(zmq.REQ)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(endpoint)

    def request(self, service: bytes, *body: bytes, timeout: float = 10.0) -> Optional[List[bytes]]:
        """Send REQUEST; return the REPLY frames [MDPC01, service, body...] or None on timeout."""
        self.socket.send_multipart([C_CLIENT, service, *body])
        if not self.socket.poll(int(timeout * 1000), zmq.POLLIN):
            return None
        return self.socket.recv_multipart()

    def close(self) -> None:
        self.socket.close(linger=0)


class RfcWorker:
    """MDP/Worker on a DEALER socket, driven step by step by the test."""

    def __init__(self, context: zmq.Context, endpoint: str) -> None:
        self.socket = context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(endpoint)

    def send(self, *frames: bytes) -> None:
        self.socket.send_multipart(list(frames))

    def ready(self, service: bytes) -> None:
        self.send(b"", W_WORKER, W_READY, service)

    def heartbeat(self) -> None:
        self.send(b"", W_WORKER, W_HEARTBEAT)

    def disconnect(self) -> None:
        self.send(b"", W_WORKER, W_DISCONNECT)

    def reply(self, client: bytes, *body: bytes) -> None:
        self.send(b"", W_WORKER, W_REPLY, client, b"", *body)

    def receive(self, timeout: float = 10.0, skip_heartbeats: bool = True) -> Optional[List[bytes]]:
        """The next message from the broker (heartbeats skipped unless asked), or None on timeout."""
        import time
        end = time.monotonic() + timeout
        while True:
            remaining = end - time.monotonic()
            if remaining <= 0 or not self.socket.poll(max(1, int(remaining * 1000)), zmq.POLLIN):
                return None
            frames = self.socket.recv_multipart()
            if skip_heartbeats and frames[:3] == [b"", W_WORKER, W_HEARTBEAT]:
                continue
            return frames

    def serve_echo(self, count: int, timeout: float = 10.0) -> int:
        """Answer up to ``count`` requests with their own body; returns how many were served."""
        served = 0
        while served < count:
            frames = self.receive(timeout)
            if frames is None:
                break
            assert frames[:3] == [b"", W_WORKER, W_REQUEST] and frames[4] == b"", frames[:5]
            self.reply(frames[3], *frames[5:])
            served += 1
        return served

    def close(self) -> None:
        self.socket.close(linger=0)
