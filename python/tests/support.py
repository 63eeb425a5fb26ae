"""Helpers shared by the tests (imported as a plain module: tests/ is on sys.path)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import msgpack
import pytest
import zmq

RECV_TIMEOUT = 10.0
SIGNATURE = b"MDPC01"


def recv_multipart(socket: zmq.Socket, timeout: float = RECV_TIMEOUT) -> List[bytes]:
    """Receive one message or fail the test after ``timeout`` seconds."""
    if not socket.poll(int(timeout * 1000), zmq.POLLIN):
        pytest.fail(f"no message within {timeout} s")
    return socket.recv_multipart(flags=zmq.NOBLOCK)


def free_endpoint() -> str:
    """An endpoint where nothing listens (bound, then released, by a throwaway socket)."""
    context = zmq.Context()
    socket = context.socket(zmq.ROUTER)
    socket.setsockopt(zmq.LINGER, 0)
    port = socket.bind_to_random_port("tcp://127.0.0.1")
    socket.close(linger=0)
    context.term()
    return f"tcp://127.0.0.1:{port}"



def mdp_request(header: Dict[str, Any], args: Any = None, *, attachments: Tuple[bytes, ...] = (),
                service: bytes = b"zerobridge", delimiter: bool = True) -> List[bytes]:
    """Frames of a bridge request built by hand (independent of the client's code)."""
    frames = [b""] if delimiter else []
    frames += [SIGNATURE, service, msgpack.packb(header, use_bin_type=True)]
    if args is not None:
        frames.append(msgpack.packb(args, use_bin_type=True))
    frames += list(attachments)
    return frames


def mdp_reply(frames: List[bytes]) -> Tuple[Dict[str, Any], Any]:
    """(header, payload) of a bridge reply received by a DEALER that sent the delimiter."""
    assert frames[0] == b"", frames[:2]
    assert frames[1] == SIGNATURE, frames[:2]
    header = msgpack.unpackb(frames[3], raw=False, strict_map_key=False)
    payload = msgpack.unpackb(frames[4], raw=False, strict_map_key=False) if len(frames) > 4 \
        else None
    return header, payload


def expected_blob(size: int) -> bytes:
    """What test.blob(size) returns: byte i is i % 251."""
    return (bytes(range(251)) * (size // 251 + 1))[:size]


def raw_ping(socket: zmq.Socket, request_id: Optional[int] = 4242) -> None:
    """The server still answers: a hand-built ping on ``socket`` gets "pong"."""
    socket.send_multipart(mdp_request({"v": 1, "id": request_id, "cmd": "ping"}))
    header, payload = mdp_reply(recv_multipart(socket))
    assert header["id"] == request_id and header["ok"] is True and payload == "pong"
