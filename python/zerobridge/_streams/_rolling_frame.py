"""The last values of a stream as a ``pandas.DataFrame`` (for live plots in a notebook)."""

from __future__ import annotations

import collections
from typing import Any, Deque, Dict, Optional, Sequence

from ._events import StreamMessage

__all__ = ["RollingFrame"]


class RollingFrame:
    """The last ``window`` stream values as a ``pandas.DataFrame``, one row per value.

    Columns: ``time``, ``topic``, ``seq``, then the value's fields when values are dicts (records), else
    ``value``. ``columns`` keeps only those value fields.
    """

    def __init__(self, window: int = 500, *, columns: Optional[Sequence[str]] = None) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self.window = window
        self.columns = list(columns) if columns is not None else None
        self._rows: Deque[Dict[str, Any]] = collections.deque(maxlen=window)

    def append(self, message: StreamMessage) -> None:
        """Add one value as a row (the oldest row leaves when the window is full)."""
        row: Dict[str, Any] = {"time": message.time, "topic": message.topic, "seq": message.seq}
        value = message.value
        if isinstance(value, dict):
            for key, item in value.items():
                if self.columns is None or key in self.columns:
                    row[str(key)] = item
        else:
            row["value"] = value
        self._rows.append(row)

    def extend(self, messages: Sequence[StreamMessage]) -> None:
        """Add several values."""
        for message in messages:
            self.append(message)

    def __len__(self) -> int:
        return len(self._rows)

    def frame(self) -> Any:
        """The rows as a DataFrame (``time`` as ``datetime64[ns, UTC]``)."""
        import pandas as pd  # noqa: PLC0415 - optional dependency, lazy

        frame = pd.DataFrame(list(self._rows), columns=None if self._rows else ["time", "topic", "seq"])
        if len(frame):
            frame["time"] = pd.to_datetime(frame["time"], utc=True)
        return frame
