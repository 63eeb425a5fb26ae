"""A point in time a wait must not pass (``None``: no limit)."""

from __future__ import annotations

import time
from typing import Optional

__all__ = ["Deadline", "SLICE"]

SLICE = 0.1
"""Seconds: how often a waiting subscriber looks at the clock (silence, interrupts)."""


class Deadline:
    """``seconds`` from now, or never when ``None``."""

    def __init__(self, seconds: Optional[float]) -> None:
        self.end = None if seconds is None else time.monotonic() + seconds

    def remaining(self) -> Optional[float]:
        """Seconds left (0 once passed), or ``None`` without a limit."""
        return None if self.end is None else max(0.0, self.end - time.monotonic())

    def passed(self) -> bool:
        """Whether the deadline has passed."""
        return self.end is not None and time.monotonic() >= self.end

    def wait_ms(self, slice_seconds: float) -> int:
        """Milliseconds to poll next: a slice, or less when the deadline is nearer (at least 1)."""
        remaining = self.remaining()
        wait = slice_seconds if remaining is None else min(slice_seconds, remaining)
        return max(1, int(wait * 1000))
