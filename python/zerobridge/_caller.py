"""The caller of the request a worker command is serving (``zerobridge.current_caller()``)."""

from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator, Optional

from ._allow_list import Caller

__all__ = ["current_caller", "serving"]

_current: "contextvars.ContextVar[Optional[Caller]]" = contextvars.ContextVar(
    "zerobridge_caller", default=None)


def current_caller() -> Optional[Caller]:
    """The client whose request this worker command is serving, as the broker proved it (its key
    and certificate name, ``docs/security.md``); ``None`` when the broker does not authenticate
    clients, or outside a command."""
    return _current.get()


@contextlib.contextmanager
def serving(caller: Optional[Caller]) -> Iterator[None]:
    """Make ``caller`` current while a command runs for it on this thread."""
    token = _current.set(caller)
    try:
        yield
    finally:
        _current.reset(token)
