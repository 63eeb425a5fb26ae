"""Hostile msgpack values and frames, built byte by byte (independent of any msgpack library's encoder).

Shared by the regression tests (tests/test_hostile_input.py) and the adversarial suite (tests/test_fuzz.py,
bench/fuzz.py): each value here once stopped a ZeroBridge process or got a wrong answer (issue 12).
"""

from __future__ import annotations

import struct
from typing import Dict

import msgpack


def pack(value: object) -> bytes:
    """A value encoded by the msgpack package (strings as str, bytes as bin)."""
    return msgpack.packb(value, use_bin_type=True)


def raw_map(*entries: bytes) -> bytes:
    """A msgpack map whose keys and values are given already encoded, in pairs (fewer than 16 entries)."""
    assert len(entries) % 2 == 0 and len(entries) < 32
    return bytes([0x80 | len(entries) // 2]) + b"".join(entries)


def float64(value: float) -> bytes:
    """A float64, also NaN and the infinities."""
    return b"\xcb" + struct.pack(">d", value)


#: Values that declare more bytes or elements than follow, or nest deeper than any reader should recurse.
#: Each is one msgpack value as a peer could send it; none is what it claims to be.
LYING_VALUES: Dict[str, bytes] = {
    "str32-2^31": b"\xdb\x80\x00\x00\x00abc",
    "str32-max": b"\xdb\xff\xff\xff\xffabc",
    "bin32-2^31": b"\xc6\x80\x00\x00\x00abc",
    "ext32-2^31": b"\xc9\x80\x00\x00\x00\x06abc",
    "array32-max": b"\xdd\xff\xff\xff\xff\xc0",
    "map32-max": b"\xdf\xff\xff\xff\xff\xc0\xc0",
    "str16-short": b"\xda\x01\x00abc",
    "nested-100k": b"\x91" * 100_000 + b"\xc0",
    "never-used-c1": b"\xc1",
    "truncated-float": b"\xcb\x00\x00",
}

#: Values that are well-formed msgpack but no timeout a client can mean.
BAD_TIMEOUTS: Dict[str, bytes] = {
    "nan": float64(float("nan")),
    "inf": float64(float("inf")),
    "1e300": float64(1e300),
    "uint64-max": pack(2**64 - 1),
    "int64-max": pack(2**63 - 1),
}

#: Values of every msgpack type that are not a small integer (a field that must be an int gets each).
NOT_INTEGERS: Dict[str, bytes] = {
    "str": pack("x"),
    "float": float64(1.5e300),
    "array": pack([1]),
    "map": pack({}),
    "bin": pack(b""),
    "uint64-max": pack(2**64 - 1),
    "timestamp-ext": b"\xd6\xff\x00\x00\x00\x00",
    "nil": b"\xc0",
    "bool": b"\xc3",
}


def bridge_header(*extra: bytes, request_id: int = 7, command: str = "ping") -> bytes:
    """A bridge-protocol header map {"v": 1, "id", "cmd", ...extra} with extra entries given encoded."""
    return raw_map(pack("v"), pack(1), pack("id"), pack(request_id), pack("cmd"), pack(command), *extra)
