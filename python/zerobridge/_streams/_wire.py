"""The stream wire format (protocol.md §11): topics, header, snapshot request. No sockets."""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Any, Dict, List, Sequence, Union

import msgpack
import zmq

from .._exceptions import ProtocolError
from .._protocol import UNPACK_ERRORS

__all__ = ["DEFAULT_STREAM_ENDPOINT", "END_TOPIC", "HEARTBEAT_TOPIC", "SNAPSHOT_SIGNATURE", "Frames",
           "frame_bytes", "parse_header", "publication_time", "snapshot_request"]

HEARTBEAT_TOPIC = b"\x00hb"
"""Heartbeats travel on this topic; a subscriber subscribes to it after its own prefixes."""
END_TOPIC = b"\x00end"
"""The last message of a snapshot; its header's ``count`` says how many entries came before."""
SNAPSHOT_SIGNATURE = b"ZBSNAP01"
DEFAULT_STREAM_ENDPOINT = "tcp://127.0.0.1:5556"
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)

Frames = Sequence[Union[bytes, zmq.Frame]]


def parse_header(frame: bytes) -> Dict[str, Any]:
    """Decode and check a stream header (§11.2); raises :class:`ProtocolError`."""
    try:
        header = msgpack.unpackb(frame, raw=False, strict_map_key=False)
    except UNPACK_ERRORS as exc:
        raise ProtocolError(f"undecodable stream header: {exc}") from exc
    if not isinstance(header, dict) or header.get("v") != 1:
        raise ProtocolError(f"not a version 1 stream header: {header!r}")
    for key in ("kind", "pub", "epoch", "ts"):
        if key not in header:
            raise ProtocolError(f"stream header lacks {key!r}: {header!r}")
    if header["kind"] in ("data", "snap", "batch") and not isinstance(header.get("seq"), int):
        raise ProtocolError(f"stream header lacks 'seq': {header!r}")
    if header["kind"] == "batch" and not (isinstance(header.get("count"), int) and header["count"] > 0):
        raise ProtocolError(f"a batch's stream header lacks a positive 'count': {header!r}")
    return header


def publication_time(microseconds: int) -> _dt.datetime:
    """A header's ``ts`` (µs since 1970 UTC) as an aware datetime."""
    return _EPOCH + _dt.timedelta(microseconds=microseconds)


def snapshot_request(prefixes: List[str]) -> List[bytes]:
    """The frames a DEALER sends to ask a publisher's snapshot of these topic prefixes."""
    query = {"v": 1, "prefixes": prefixes, "id": uuid.uuid4().hex}
    return [b"", SNAPSHOT_SIGNATURE, msgpack.packb(query, use_bin_type=True)]


def frame_bytes(frame: Union[bytes, zmq.Frame]) -> bytes:
    """A frame's bytes, whether received with ``copy=True`` or not."""
    return frame.bytes if isinstance(frame, zmq.Frame) else frame
