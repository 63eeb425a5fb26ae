"""Packing plain values with msgpack, on reusable ``Packer`` objects (one of each kind per thread)."""

from __future__ import annotations

import threading
from typing import Any

import msgpack

__all__ = ["pack_exact", "pack_plain"]

_local = threading.local()


def pack_plain(value: Any) -> bytes:
    """``msgpack.packb(value, use_bin_type=True)`` for a value msgpack packs without a ``default``
    hook (no ext types), on this thread's ``Packer``: ``packb`` makes a new Packer, and allocates
    its buffer, for every value, which costs more than packing a small one (bench/README.md, "Issue
    14, the Python client"). A Packer is not thread-safe, hence one per thread; one that fails
    (a value out of msgpack's range) empties its buffer before it raises."""
    try:
        packer = _local.plain
    except AttributeError:
        packer = _local.plain = msgpack.Packer(use_bin_type=True)
    return packer.pack(value)


def pack_exact(value: Any) -> bytes:
    """:func:`pack_plain` for values made only of the exact types ``str``, ``bytes``, ``int``,
    ``float``, ``bool``, ``None``, ``list`` and ``dict``; anything else (a tuple, a subclass, a
    type with an ext encoding) raises ``TypeError`` (msgpack's ``strict_types``), so a caller can
    tell a value it may pack as it is from one that needs its encoder."""
    try:
        packer = _local.exact
    except AttributeError:
        packer = _local.exact = msgpack.Packer(use_bin_type=True, strict_types=True)
    return packer.pack(value)
