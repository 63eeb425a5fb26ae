"""Headers from peers that msgpack decodes into something Python cannot hold: a map keyed by an array or a map
(unhashable). Each parser must turn it into its ProtocolError, never let msgpack's TypeError through (found by
running tests/fuzzing.py's task and bridge messages against a Python TaskProducer)."""

from __future__ import annotations

from typing import Callable, List

import msgpack
import pytest

from zerobridge._exceptions import ProtocolError
from zerobridge._protocol import SIGNATURE, parse_reply
from zerobridge._streams._wire import parse_header
from zerobridge._tasks import SIGNATURE as TASK_SIGNATURE, _parse as parse_task_header

# {[1]: 1} and {{}: 1}: msgpack map headers whose key is an array (0x91 0x01) or a map (0x80).
ARRAY_KEY = b"\x81\x91\x01\x01"
MAP_KEY = b"\x81\x80\x01"

PARSERS: List[Callable[[bytes], object]] = [
    lambda header: parse_task_header([TASK_SIGNATURE, header]),
    lambda header: parse_header(header),
    lambda header: parse_reply([b"", SIGNATURE, b"zerobridge", header, msgpack.packb(None)]),
]


@pytest.mark.parametrize("header", [ARRAY_KEY, MAP_KEY], ids=["array-key", "map-key"])
@pytest.mark.parametrize("parse", PARSERS, ids=["task", "stream", "reply"])
def test_a_header_map_with_an_unhashable_key_is_a_protocol_error(parse: Callable[[bytes], object],
                                                                 header: bytes) -> None:
    with pytest.raises(ProtocolError):
        parse(header)
