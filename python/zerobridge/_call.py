"""One call, shared by the sync and async paths: request frames in, result or error out."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ._codec import Decoder, Encoder
from ._exceptions import SerializationError, TimeoutError, remote_error_from_map
from ._protocol import Reply, build_cancel, build_request

__all__ = ["PreparedCall", "SERVER_GRACE_SECONDS", "Unset", "UNSET"]

SERVER_GRACE_SECONDS = 1.0
"""The server's deadline (header ``timeout``) is the client's plus this, so the client always
gives up first and its cancel notification is what the server sees; the server deadline is the
backstop when that notification is lost."""


class Unset:
    """Type of :data:`UNSET`: "not passed", which differs from ``None`` ("no timeout")."""

    _instance: "Optional[Unset]" = None

    def __new__(cls) -> "Unset":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<not passed>"

    def __bool__(self) -> bool:
        return False


UNSET = Unset()


@dataclass
class PreparedCall:
    """A command with its arguments already encoded, ready to be sent (and re-sent)."""

    endpoint: str
    service: str
    command: str
    timeout: Optional[float]
    retries: int
    arguments: Optional[bytes] = None
    attachments: List[Any] = field(default_factory=list)

    @classmethod
    def prepare(cls, *, endpoint: str, service: str, command: str, args: Sequence[Any],
                kwargs: Optional[Mapping[str, Any]], timeout: Optional[float],
                retries: int) -> "PreparedCall":
        """Validate and encode once; raises :class:`SerializationError` or ``TypeError``."""
        if not isinstance(command, str) or not command:
            raise TypeError(f"command must be a non-empty str, not {command!r}")
        if kwargs is not None and not isinstance(kwargs, Mapping):
            raise TypeError(f"kwargs must be a mapping, not {type(kwargs).__name__}")
        if kwargs and not all(isinstance(k, str) for k in kwargs):
            raise TypeError("keyword argument names must be str")
        arguments: Optional[bytes] = None
        attachments: List[Any] = []
        if args or kwargs:
            encoder = Encoder()
            arguments = encoder.pack([list(args), dict(kwargs or {})])
            attachments = encoder.attachments
        return cls(endpoint, service, command, timeout, retries, arguments, attachments)

    @property
    def timeout_ms(self) -> Optional[int]:
        """The header ``timeout`` (ms) sent to the server, or ``None`` without a timeout."""
        if self.timeout is None:
            return None
        return int(math.ceil((self.timeout + SERVER_GRACE_SECONDS) * 1000))

    def frames(self, request_id: int) -> List[Any]:
        """The request frames for one attempt."""
        return build_request(self.service, request_id, self.command, self.arguments,
                             self.attachments, timeout_ms=self.timeout_ms)

    def cancel_frames(self, request_id: int) -> List[Any]:
        """The cancel notification for an abandoned attempt."""
        return build_cancel(self.service, request_id)

    def result(self, reply: Reply) -> Any:
        """The command's result, or raise the matching :class:`RemoteError`."""
        try:
            value = Decoder(reply.attachments).unpack(reply.payload)
        except SerializationError as exc:
            raise SerializationError(f"reply to {self.command!r} from {self.endpoint}: {exc}") \
                from exc
        if reply.ok:
            return value
        raise remote_error_from_map(value)

    @staticmethod
    def never_ran(reply: Reply) -> bool:
        """Whether ``reply`` is a broker's ``service_unavailable``: the request never ran, so a
        retry is safe whatever the command."""
        if reply.ok:
            return False
        try:
            error = Decoder(reply.attachments).unpack(reply.payload)
        except SerializationError:
            return False
        return isinstance(error, Mapping) and error.get("code") == "service_unavailable"

    def timeout_error(self, attempts: int) -> TimeoutError:
        """The error for a call that got no reply in time."""
        tries = f" (tried {attempts} times)" if attempts > 1 else ""
        return TimeoutError(
            f"no reply from {self.endpoint} to {self.command!r} within {self.timeout:g} s{tries}",
            endpoint=self.endpoint, command=self.command, seconds=self.timeout)


def check_options(timeout: Any, retries: Any) -> Dict[str, Any]:
    """Validate per-call or per-client options."""
    if timeout is not None and not isinstance(timeout, Unset):
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds or None, "
                             f"not {timeout!r}")
    if not isinstance(retries, Unset):
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"retries must be an int >= 0, not {retries!r}")
    return {"timeout": timeout, "retries": retries}
