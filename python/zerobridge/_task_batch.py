"""Batched tasks (protocol.md §12.5): many items of one kind in one task message, run one by one.

A batch is a ``task`` whose header carries ``"batch": N`` and whose body is the map
``{"items": [[positional, keyword], ...]}`` of N argument arrays (attachments shared by all items).
The worker answers one ``result`` with ``"batch": N`` whose body is the array of N outcomes
``[ok, value or error map]``, in the items' order. The body is a map, not an array, so that a worker
that does not know batches refuses it with ``bad_request`` instead of running it as one task; a
result without ``batch`` for a batch therefore fails every item with that result's error.
"""

from __future__ import annotations

import asyncio
from typing import Any, Iterable, List, Optional, Sequence, Tuple

import msgpack

from ._codec import Decoder, Encoder
from ._dispatch import Dispatcher, Failure, Outcome
from ._exceptions import SerializationError
from ._protocol import ErrorCode, error_map

__all__ = ["BATCH", "ITEMS", "encode_batch", "item_outcomes", "run_batch"]

BATCH = "batch"
"""The header key of a batch: how many items the message holds."""
ITEMS = "items"
"""The key of the task body's item list."""


def encode_batch(items: Iterable[Any]) -> List[Any]:
    """The body frames ``[body, *attachments]`` of a batch whose items are each one positional argument."""
    encoder = Encoder()
    body = encoder.pack({ITEMS: [[[item], {}] for item in items]})
    return [body, *encoder.attachments]


def run_batch(dispatcher: Dispatcher, kind: str, count: Any, frames: Sequence[Any],
              loop: Optional[asyncio.AbstractEventLoop] = None) -> Outcome:
    """Run every item of a batch task in order; the result body of protocol.md §12.5.

    A body that is not a batch of ``count`` items gets one ``bad_request`` for the whole message (the
    producer fails every item with it); otherwise every item has its own outcome. Never raises.
    """
    try:
        items = _items(count, frames)
    except Failure as failure:
        return dispatcher.failure(kind, failure)
    outcomes = [dispatcher.run_decoded(kind, item, loop) for item in items]
    encoder = Encoder()
    parts = [_pack_outcome(encoder, kind, ok, value) for ok, value in outcomes]
    return Outcome(True, [msgpack.Packer().pack_array_header(len(parts)) + b"".join(parts), *encoder.attachments])


def item_outcomes(count: int, ok: bool, payload: Sequence[Any], batched: Any) -> List[Tuple[bool, Any]]:
    """The ``count`` outcomes ``(ok, value or error map)`` of a batch's result message.

    ``batched`` is the result header's ``batch`` value: without it the worker answered the batch as
    one task (it does not know batches, or the batch was malformed), and every item gets its error.
    Raises :class:`SerializationError` when the body cannot be decoded.
    """
    value = Decoder(list(payload[1:])).unpack(payload[0]) if payload else None
    if batched is None:
        if ok or not isinstance(value, dict):
            value = error_map(ErrorCode.BAD_REQUEST, "the worker answered a batch of tasks with one value")
        value = dict(value)
        if value.get("code") == ErrorCode.BAD_REQUEST:
            value["message"] = (f"{value.get('message', '')} (the worker answered the batch as one task: it may "
                                "not support batched tasks, protocol.md §12.5; use chunksize=1 with it)")
        return [(False, value)] * count
    if not (isinstance(value, list) and len(value) == count
            and all(isinstance(entry, list) and len(entry) == 2 for entry in value)):
        raise SerializationError(f"a batch result must be an array of {count} [ok, value] pairs")
    return [(entry[0] is True, entry[1]) for entry in value]


def _items(count: Any, frames: Sequence[Any]) -> List[Any]:
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise Failure(ErrorCode.BAD_REQUEST, f"a batch's size must be a positive integer, not {count!r}")
    try:
        body = Decoder(list(frames[1:])).unpack(frames[0]) if frames else None
    except SerializationError as exc:
        raise Failure(ErrorCode.BAD_REQUEST, f"the batch cannot be decoded: {exc}") from exc
    items = body.get(ITEMS) if isinstance(body, dict) else None
    if not isinstance(items, list) or len(items) != count:
        raise Failure(ErrorCode.BAD_REQUEST,
                      f"a batch of {count} must be a map {{\"items\": [...]}} of {count} [positional, keyword] arrays")
    return items


def _pack_outcome(encoder: Encoder, kind: str, ok: bool, value: Any) -> bytes:
    """One item's ``[ok, value]``; a value that cannot be encoded becomes that item's ``internal`` error."""
    attached = len(encoder.attachments)
    try:
        return encoder.pack([ok, value])
    except SerializationError as exc:
        del encoder.attachments[attached:]  # what the failed value attached is not sent
        error = error_map(ErrorCode.INTERNAL, f"the result of {kind} cannot be serialized: {exc}")
        return msgpack.packb([False, error], use_bin_type=True)

