"""A request's arguments frame: plain values skip the encoder's walk and give the bytes it gives (no sockets)."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import types
from typing import Any, Mapping, Sequence

import pytest

from zerobridge import SerializationError
from zerobridge._codec import ATTACHMENT_THRESHOLD, Encoder, encode_arguments


class Color(enum.IntEnum):
    RED = 1


class Name(str):
    pass


def walked(args: Sequence[Any], kwargs: Mapping[str, Any]):
    """What the encoder's walk gives for the same arguments."""
    encoder = Encoder()
    return encoder.pack([list(args), dict(kwargs)]), encoder.attachments


@pytest.mark.parametrize("args, kwargs", [
    ((), {}),
    ((42,), {}),
    ((), {"value": 42}),
    ((1, "a", None, True, False, 1.5, -0.0, float("inf")), {"x": 2**64 - 1, "y": -2**63, "z": ""}),
    ([1, 2], {"text": "é" * 40, "long": "x" * 70_000}),
    (("日本", "🎉"), {"é": None}),
    ([[1, [2, {"b": None}]]], {"nested": {"a": [1.5, "x"], "raw": b"\x00\x01"}}),
    ((b"\x01" * (ATTACHMENT_THRESHOLD - 1),), {}),                # the largest binary that stays inline
], ids=["nothing", "one-positional", "one-keyword", "every-scalar-type", "list-args", "unicode", "nested",
        "inline-binary"])
def test_plain_values_give_the_bytes_the_encoder_gives(args, kwargs):
    assert encode_arguments(args, kwargs) == walked(args, kwargs)


@pytest.mark.parametrize("args, kwargs", [
    ((b"\x01" * ATTACHMENT_THRESHOLD,), {}),                      # an attachment frame
    ((), {"blob": bytearray(b"\x02" * ATTACHMENT_THRESHOLD)}),
    ((b"small",), {}),
    (((1, 2), {3}), {}),                                          # tuples and sets become lists
    ((), {"when": dt.datetime(2026, 11, 30, 12, 0), "amount": decimal.Decimal("1.10")}),
    ((Color.RED, Name("n")), {"nested": {"a": [1, (2, 3)]}}),     # subclasses of plain types
    (range(3), types.MappingProxyType({"k": 1})),                 # other sequences and mappings
], ids=["large-bytes", "large-bytearray", "small-bytes", "tuple-set", "ext-types", "subclasses", "other-containers"])
def test_anything_else_takes_the_encoders_walk(args, kwargs):
    assert encode_arguments(args, kwargs) == walked(args, kwargs)


def test_large_binaries_still_travel_as_attachments():
    blob = b"\x03" * ATTACHMENT_THRESHOLD
    _, attachments = encode_arguments((), {"blob": blob, "n": 1})
    assert attachments == [blob]


@pytest.mark.parametrize("args, kwargs", [((2**64,), {}), ((), {"x": -2**63 - 1}), (("\ud800",), {})],
                         ids=["too-large", "too-small", "lone-surrogate"])
def test_what_msgpack_cannot_pack_raises_the_encoders_error(args, kwargs):
    with pytest.raises(SerializationError) as fast:
        encode_arguments(args, kwargs)
    with pytest.raises(SerializationError) as slow:
        walked(args, kwargs)
    assert str(fast.value) == str(slow.value)
    assert encode_arguments((1,), {"a": "b"}) == walked((1,), {"a": "b"})  # nothing of the failed value is left
