"""Packing plain values with msgpack, on one reusable ``Packer`` per thread."""

from __future__ import annotations

import threading
from typing import Any

import msgpack

__all__ = ["pack_plain"]

_local = threading.local()


def pack_plain(value: Any) -> bytes:
    """``msgpack.packb(value, use_bin_type=True)`` for a value msgpack packs without a ``default``
    hook (no ext types), on this thread's ``Packer``: ``packb`` makes a new Packer, and allocates
    its buffer, for every value, which costs more than packing a small one (bench/README.md, "Issue
    14, the Python client"). A Packer is not thread-safe, hence one per thread; one that fails
    (a value out of msgpack's range) empties its buffer before it raises."""
    try:
        packer = _local.packer
    except AttributeError:
        packer = _local.packer = msgpack.Packer(use_bin_type=True)
    return packer.pack(value)
