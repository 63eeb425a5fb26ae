"""Live streams (protocol.md §11): subscribe to a ZeroBridge publisher, with gap, restart and silence
detection, optionally starting from its snapshot.

A stream message is ``topic | header | value | attachments...``; the header carries the publisher's
name and start epoch, the per-topic sequence number and the publication time.

Modules, from the wire up: ``_wire`` (format), ``_events`` (what subscribers hand out),
``_sequence`` (gaps and restarts), ``_core`` (a subscription without its socket), ``_snapshot``
(the start-from-snapshot handshake), then the drivers ``_sync`` and ``_async``, and
``_rolling_frame`` for notebooks.
"""

from ._async import AsyncSubscription, asubscribe
from ._events import StreamEvent, StreamMessage, StreamStats, StreamWarning
from ._rolling_frame import RollingFrame
from ._sync import Subscription, subscribe

__all__ = [
    "AsyncSubscription",
    "RollingFrame",
    "StreamEvent",
    "StreamMessage",
    "StreamStats",
    "StreamWarning",
    "Subscription",
    "asubscribe",
    "subscribe",
]
