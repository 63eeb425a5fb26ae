"""Frames of the bridge protocol (protocol.md §1-§3): building and parsing, no sockets."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import msgpack

from ._exceptions import ProtocolError
from ._packing import pack_plain

UNPACK_ERRORS = (ValueError, TypeError, msgpack.UnpackException)
"""What ``msgpack.unpackb`` raises on bytes from a peer: malformed or truncated data, and TypeError for a map
keyed by an array or a map (unhashable in Python), which ``strict_map_key=False`` lets through."""

__all__ = [
    "UNPACK_ERRORS",
    "ATTACHMENT_THRESHOLD",
    "DEFAULT_ENDPOINT",
    "DEFAULT_SERVICE",
    "resolve_endpoint",
    "resolve_service",
    "ErrorCode",
    "PROTOCOL_VERSION",
    "Reply",
    "SIGNATURE",
    "build_cancel",
    "build_reply_header",
    "build_request",
    "error_map",
    "pack_request_header",
    "request_header",
    "parse_reply",
]

SIGNATURE = b"MDPC01"
"""Frame 1 of every bridge message: the MDP client signature, version 0.1."""

PROTOCOL_VERSION = 1
DEFAULT_ENDPOINT = "tcp://127.0.0.1:5555"
DEFAULT_SERVICE = "zerobridge"
ENDPOINT_VARIABLE = "ZEROBRIDGE_ENDPOINT"
"""The environment variable a client's endpoint defaults to (as the ``zbridge`` CLI reads it)."""
SERVICE_VARIABLE = "ZEROBRIDGE_SERVICE"
"""The environment variable a client's service defaults to."""


def resolve_endpoint(endpoint: Optional[str]) -> str:
    """``endpoint``, else ``$ZEROBRIDGE_ENDPOINT``, else :data:`DEFAULT_ENDPOINT`."""
    return endpoint or os.environ.get(ENDPOINT_VARIABLE) or DEFAULT_ENDPOINT


def resolve_service(service: Optional[str]) -> str:
    """``service``, else ``$ZEROBRIDGE_SERVICE``, else :data:`DEFAULT_SERVICE`."""
    return service or os.environ.get(SERVICE_VARIABLE) or DEFAULT_SERVICE
ATTACHMENT_THRESHOLD = 64 * 1024
"""Binary values at least this large travel as attachment frames (§4.3)."""

RequestId = Union[int, str]
Frame = Union[bytes, bytearray, memoryview]


def _pack_header(header: Mapping[str, Any]) -> bytes:
    return msgpack.packb(dict(header), use_bin_type=True)


# Optional encodings this client reads (protocol.md §2 "accept"): dictionary-encoded string columns (§10.4).
ACCEPT = ["dict"]


def build_request(service: str, request_id: RequestId, command: str, arguments: Optional[bytes],
                  attachments: Sequence[Frame] = (), *,
                  timeout_ms: Optional[int] = None,
                  trace: Optional[Mapping[str, str]] = None) -> List[Frame]:
    """The frames of a request as a DEALER sends them (empty delimiter first).

    ``arguments`` is the already packed ``[positional, keyword]`` array, or ``None`` for none;
    ``trace`` the W3C ``traceparent``/``tracestate`` header entries, if any.
    """
    frames: List[Frame] = [b"", SIGNATURE, service.encode("utf-8"),
                           pack_request_header(request_id, command, timeout_ms, trace)]
    if arguments is not None:
        frames.append(arguments)
        frames.extend(attachments)
    elif attachments:
        raise ValueError("attachments need an arguments frame")
    return frames


def request_header(request_id: RequestId, command: str, timeout_ms: Optional[int] = None,
                   trace: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """The header map of a request (§2), its keys in the order they are sent."""
    header: Dict[str, Any] = {"v": PROTOCOL_VERSION, "id": request_id, "cmd": command}
    if timeout_ms is not None:
        header["timeout"] = int(timeout_ms)
    header["accept"] = ACCEPT
    if trace:
        header.update(trace)
    return header


def pack_request_header(request_id: RequestId, command: str, timeout_ms: Optional[int] = None,
                        trace: Optional[Mapping[str, str]] = None) -> bytes:
    """:func:`request_header` packed: the same bytes as ``msgpack.packb`` of that map.

    Without a trace context (the common case) only the id is packed per request: the rest comes
    from a template kept per command and timeout, which spares a map's worth of msgpack work on
    every call (bench/README.md, "Issue 14, the Python client")."""
    if trace:
        return _pack_header(request_header(request_id, command, timeout_ms, trace))
    before_id, after_id = _request_header_template(command, timeout_ms)
    return before_id + pack_plain(request_id) + after_id


@functools.lru_cache(maxsize=512)
def _request_header_template(command: str, timeout_ms: Optional[int]) -> Tuple[bytes, bytes]:
    """The packed header of a request for ``command`` in two parts: up to the ``id`` key, and
    after its value. msgpack packs a map as its entry count and then each key and value in turn,
    so packing the entries one by one around the id gives what packing the whole map does."""
    header = request_header(0, command, timeout_ms)
    pack = msgpack.Packer(use_bin_type=True).pack
    before_id = [msgpack.Packer().pack_map_header(len(header))]
    after_id: List[bytes] = []
    part = before_id
    for key, value in header.items():
        part.append(pack(key))
        if key == "id":
            part = after_id
        else:
            part.append(pack(value))
    return b"".join(before_id), b"".join(after_id)


class ErrorCode:
    """The error codes of protocol.md §3, as the C# server spells them (``ErrorCodes.cs``)."""

    BAD_REQUEST = "bad_request"
    UNKNOWN_COMMAND = "unknown_command"
    INVALID_ARGUMENT = "invalid_argument"
    TOO_LARGE = "too_large"
    COMMAND_FAILED = "command_failed"
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    UNAUTHENTICATED = "unauthenticated"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    INTERNAL = "internal"
    SERVICE_UNAVAILABLE = "service_unavailable"
    WORKER_LOST = "worker_lost"


def error_map(code: str, message: str, *, type_name: str = "", stack: Optional[str] = None,
              details: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The error map of an error reply (§3): ``type`` names the exception (fully qualified, as
    the server's .NET type names are), ``stack`` and ``details`` may be ``None``."""
    return {"code": code, "type": type_name, "message": message, "stack": stack,
            "details": dict(details) if details else None}


def build_reply_header(request_id: Optional[RequestId], ok: bool) -> bytes:
    """The packed header frame of a reply to ``request_id`` (``None``: the request had no id)."""
    return _pack_header({"v": PROTOCOL_VERSION, "id": request_id, "ok": ok})


def build_cancel(service: str, request_id: RequestId) -> List[Frame]:
    """The frames of a cancel notification for ``request_id`` (no reply comes back)."""
    header = {"v": PROTOCOL_VERSION, "id": request_id, "cancel": True}
    return [b"", SIGNATURE, service.encode("utf-8"), _pack_header(header)]


@dataclass
class Reply:
    """A parsed reply envelope; the payload is decoded separately (it may reference attachments)."""

    id: Optional[RequestId]
    ok: bool
    payload: bytes
    attachments: List[bytes] = field(default_factory=list)
    service: str = ""


def parse_reply(frames: Sequence[bytes]) -> Reply:
    """Parse the frames a DEALER receives for a bridge reply (§3).

    Accepts the reply with or without the leading empty delimiter. Raises :class:`ProtocolError`
    when the frames are not a bridge reply.
    """
    start = 1 if frames and len(frames[0]) == 0 else 0
    count = len(frames) - start
    if count < 3:
        raise ProtocolError(f"reply has {count} body frames; expected at least 3")
    signature, service_frame, header_frame = \
        _bytes(frames[start]), _bytes(frames[start + 1]), _bytes(frames[start + 2])
    if signature != SIGNATURE:
        raise ProtocolError(f"reply does not start with {SIGNATURE!r}: {signature[:16]!r}")
    try:
        service = service_frame.decode("utf-8")
        header = msgpack.unpackb(header_frame, raw=False, strict_map_key=False)
    except UNPACK_ERRORS as exc:
        raise ProtocolError(f"undecodable reply header: {exc}") from exc
    if not isinstance(header, dict):
        raise ProtocolError(f"reply header is not a map: {header!r}")
    version = header.get("v")
    if version != PROTOCOL_VERSION:
        raise ProtocolError(f"reply has protocol version {version!r}; expected {PROTOCOL_VERSION}")
    ok = header.get("ok")
    if not isinstance(ok, bool):
        raise ProtocolError(f"reply header has no boolean 'ok': {header!r}")
    payload = _bytes(frames[start + 3]) if count > 3 else _NIL
    attachments = [_view(f) for f in frames[start + 4:]] if count > 4 else []
    return Reply(header.get("id"), ok, payload, attachments, service)


_NIL = msgpack.packb(None)


def _bytes(frame: Any) -> bytes:
    """A small frame's bytes (a ``zmq.Frame`` received with ``copy=False``, or bytes)."""
    if type(frame) is bytes:
        return frame
    return frame.bytes if hasattr(frame, "bytes") else bytes(frame)


def _view(frame: Any) -> Any:
    """An attachment frame without copying it: the ``zmq.Frame``'s buffer, or the bytes."""
    return frame.buffer if hasattr(frame, "buffer") else frame
