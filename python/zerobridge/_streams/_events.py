"""What a subscription hands out and reports: values, events, counters and the warning category."""

from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import Any, Optional

__all__ = ["StreamEvent", "StreamMessage", "StreamStats", "StreamWarning"]


class StreamWarning(UserWarning):
    """A gap, restart, silence or overflow on a stream, when no ``on_event`` callback is given."""


@dataclasses.dataclass(frozen=True)
class StreamMessage:
    """One value of a stream.

    Attributes:
        topic: the topic it was published on.
        seq: its number among the topic's messages in this run of the publisher (from 1).
        time: when it was published (aware, UTC).
        value: the value (tables as ``pandas.DataFrame``).
        publisher: the publisher's name.
        epoch: the publisher's start epoch (µs since 1970 UTC); a new one means a restart.
        snapshot: whether it came from the snapshot rather than the live stream.
    """

    topic: str
    seq: int
    time: _dt.datetime
    value: Any
    publisher: str = ""
    epoch: int = 0
    snapshot: bool = False


@dataclasses.dataclass(frozen=True)
class StreamEvent:
    """What a subscriber noticed: ``kind`` is ``"gap"``, ``"restart"``, ``"silent"``, ``"resumed"``,
    ``"overflow"`` or ``"key_denied"`` (an encrypted topic whose key this subscriber was not given)."""

    kind: str
    message: str
    topic: Optional[str] = None
    publisher: Optional[str] = None
    missed: int = 0


@dataclasses.dataclass
class StreamStats:
    """Counters of a subscription (see :attr:`Subscription.stats`)."""

    received: int = 0
    gaps: int = 0
    missed: int = 0
    restarts: int = 0
    duplicates: int = 0
    silences: int = 0
    conflated: int = 0
    heartbeats: int = 0
    undecodable: int = 0
