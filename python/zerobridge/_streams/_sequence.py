"""Gap, duplicate and restart detection (protocol.md §11.4): per publisher its epoch, per topic the
last sequence delivered. No sockets, no clock."""

from __future__ import annotations

from typing import Dict, Optional, Tuple

from ._events import StreamEvent

__all__ = ["SequenceTracker"]


class SequenceTracker:
    """Per publisher its epoch, per topic the last sequence delivered (§11.4). No sockets."""

    def __init__(self) -> None:
        self._epochs: Dict[str, int] = {}
        self._last: Dict[Tuple[str, str], int] = {}

    def epoch(self, publisher: str, epoch: int) -> Tuple[Optional[StreamEvent], bool]:
        """(restart event or None, stale?) for a message of ``publisher`` at ``epoch``."""
        known = self._epochs.get(publisher)
        if known is None:
            self._epochs[publisher] = epoch
            return None, False
        if epoch == known:
            return None, False
        if epoch < known:
            return None, True
        self._epochs[publisher] = epoch
        for key in [k for k in self._last if k[0] == publisher]:
            del self._last[key]
        return StreamEvent("restart", f"publisher {publisher!r} restarted (epoch {known} -> {epoch}); "
                                      "its sequences start again", publisher=publisher), False

    def sequence(self, publisher: str, topic: str, seq: int) -> Tuple[bool, Optional[StreamEvent]]:
        """(deliver?, gap event or None). Call :meth:`epoch` first."""
        skip, gap = self.sequence_run(publisher, topic, seq, 1)
        return skip == 0, gap

    def sequence_run(self, publisher: str, topic: str, first: int, count: int) -> Tuple[int, Optional[StreamEvent]]:
        """For the values ``first`` .. ``first + count - 1`` of a batch (§11.7): how many of them, from the
        start, were delivered already (``count``: all, a duplicate), and the gap before them or None."""
        key = (publisher, topic)
        previous = self._last.get(key)
        last = first + count - 1
        if previous is None:
            self._last[key] = last
            return 0, None
        if last <= previous:
            return count, None
        self._last[key] = last
        if first <= previous + 1:
            return previous + 1 - first, None
        missed = first - previous - 1
        return 0, StreamEvent("gap", f"gap on {topic!r}: {missed} message(s) missing between "
                                     f"sequence {previous} and {first}", topic=topic,
                              publisher=publisher, missed=missed)

    def seed(self, publisher: str, topic: str, seq: int) -> None:
        """Start ``topic`` at ``seq`` (a snapshot entry): the live stream continues after it."""
        self._last[(publisher, topic)] = seq
