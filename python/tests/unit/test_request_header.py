"""The packed request header: the per-command template gives the bytes msgpack gives for the whole map (no sockets)."""

from __future__ import annotations

from typing import Any, Dict, Optional

import msgpack
import pytest

from zerobridge._protocol import build_request, pack_request_header

# Lengths at msgpack's string-size boundaries (fixstr up to 31 bytes, str8 up to 255, str16 up to 65535, then str32).
ODD_COMMANDS = ["e", "echo", "orders.recent", "x" * 31, "x" * 32, "x" * 255, "x" * 256, "x" * 65536,
                "é" * 16, "命令.运行", "emoji.\U0001F600", "with space", "nul\x00inside", "id", "v", "cmd"]
# Integer widths: positive fixint, uint8, uint16, uint32, uint64.
ODD_TIMEOUTS = [None, 0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32]
ODD_IDS = [0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1, "", "a-string-id"]


def reference(request_id: Any, command: str, timeout_ms: Optional[int],
              trace: Optional[Dict[str, str]] = None) -> bytes:
    """The header as docs/protocol.md §2 lists it, packed whole by msgpack."""
    header: Dict[str, Any] = {"v": 1, "id": request_id, "cmd": command}
    if timeout_ms is not None:
        header["timeout"] = timeout_ms
    header["accept"] = ["dict"]
    header.update(trace or {})
    return msgpack.packb(header, use_bin_type=True)


@pytest.mark.parametrize("command", ODD_COMMANDS, ids=lambda command: f"{ascii(command[:12])}[{len(command)}]")
@pytest.mark.parametrize("timeout_ms", ODD_TIMEOUTS)
def test_the_template_packs_what_msgpack_packs_for_any_command_and_timeout(command, timeout_ms):
    for request_id in (1, 2**40, "x"):  # the same template, filled with other ids
        assert pack_request_header(request_id, command, timeout_ms) == reference(request_id, command, timeout_ms)


@pytest.mark.parametrize("request_id", ODD_IDS)
def test_the_template_packs_what_msgpack_packs_for_any_id(request_id):
    assert pack_request_header(request_id, "echo", 31000) == reference(request_id, "echo", 31000)


def test_a_trace_context_is_packed_after_the_other_entries():
    trace = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "tracestate": "a=b"}
    assert pack_request_header(9, "echo", 1500, trace) == reference(9, "echo", 1500, trace)
    assert pack_request_header(9, "echo", 1500) == reference(9, "echo", 1500)  # and the template is not changed


def test_the_request_frames_carry_the_packed_header():
    frames = build_request("svc", 42, "orders.recent", None, timeout_ms=2000)
    assert frames == [b"", b"MDPC01", b"svc", reference(42, "orders.recent", 2000)]
