"""The exception tree of ZeroBridge (drawn in the package docstring)."""

from __future__ import annotations

import builtins
from typing import Any, ContextManager, Dict, List, Mapping, Optional, Type

import zmq

__all__ = [
    "AuthenticationError",
    "CommandNotFound",
    "InvalidArgument",
    "NotFound",
    "PermissionDenied",
    "ProtocolError",
    "RemoteError",
    "RemoteTimeout",
    "RequestTooLarge",
    "SerializationError",
    "ServiceUnavailable",
    "TimeoutError",
    "TransportError",
    "Unauthenticated",
    "WorkerLost",
    "ZeroBridgeError",
    "remote_error_from_map",
    "translate_zmq_errors",
]


class ZeroBridgeError(Exception):
    """Base class of every error raised by ZeroBridge."""


class TransportError(ZeroBridgeError):
    """The message could not travel: a ZeroMQ failure, or no reply in time."""


class TimeoutError(TransportError, builtins.TimeoutError):  # noqa: A001 - deliberate shadowing
    """No reply arrived within the call's timeout.

    Also a builtin :class:`TimeoutError`, so ``except TimeoutError`` catches it either way.
    """

    def __init__(self, message: str, *, endpoint: str = "", command: str = "",
                 seconds: Optional[float] = None) -> None:
        # A single argument: OSError would give two positional arguments errno semantics.
        super().__init__(message)
        self.endpoint = endpoint
        self.command = command
        self.seconds = seconds

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class AuthenticationError(ZeroBridgeError):
    """The peers could not establish who they are: the CURVE handshake did not complete (a wrong
    server key, or one side uses CURVE and the other does not), or the server refused the client's
    key. The message names the likely cause (``docs/security.md``)."""

    def __init__(self, message: str, *, endpoint: str = "") -> None:
        super().__init__(message)
        self.endpoint = endpoint


class ProtocolError(ZeroBridgeError):
    """The peer sent something that does not follow the ZeroBridge protocol."""


class SerializationError(ZeroBridgeError):
    """A value cannot be encoded for the wire, or a received value cannot be decoded."""


class RemoteError(ZeroBridgeError):
    """The server answered the request with an error.

    Attributes:
        code: the machine-readable error code (``"command_failed"``, ``"not_found"``, ...).
        remote_type: the .NET exception type, e.g. ``"System.InvalidOperationException"``.
        message: the human-readable message.
        remote_stack: the remote (C#) stack trace, or ``None`` when the server omits it.
        details: extra facts, per code (e.g. ``{"parameter": "n", "expected": "int"}``).
    """

    def __init__(self, message: str, *, code: str = "", remote_type: str = "",
                 remote_stack: Optional[str] = None,
                 details: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.code = code
        self.remote_type = remote_type
        self.message = message
        self.remote_stack = remote_stack
        self.details: Dict[str, Any] = dict(details or {})
        if remote_stack and hasattr(self, "add_note"):  # Python 3.11+
            self.add_note("Remote stack trace (.NET):\n" + remote_stack.rstrip())

    def __str__(self) -> str:
        prefix = f"{self.remote_type}: " if self.remote_type else ""
        suffix = f" [{self.code}]" if self.code else ""
        return f"{prefix}{self.message}{suffix}"


class CommandNotFound(RemoteError):
    """No command of that name (code ``unknown_command``); see :attr:`suggestions`."""

    @property
    def command(self) -> Optional[str]:
        """The command name the server did not know."""
        return self.details.get("command")

    @property
    def suggestions(self) -> List[str]:
        """Close command names, best first."""
        return list(self.details.get("suggestions") or [])


class InvalidArgument(RemoteError):
    """A missing argument, an unknown keyword or a value of the wrong type (``invalid_argument``)."""

    @property
    def parameter(self) -> Optional[str]:
        """The parameter at fault."""
        return self.details.get("parameter")

    @property
    def expected(self) -> Optional[str]:
        """The type the parameter expects."""
        return self.details.get("expected")


class NotFound(RemoteError):
    """The command reported that what it was asked for does not exist (``not_found``)."""


class PermissionDenied(RemoteError):
    """The command refused the operation (``permission_denied``)."""


class Unauthenticated(RemoteError):
    """The server (or broker) serves only allowed client keys, and this connection has not proved
    one (``unauthenticated``): the client has no ``cert=``, or its key is not on the allow-list.
    The request did not run."""


class RemoteTimeout(RemoteError):
    """The server gave up on the request at its ``timeout`` deadline (code ``timeout``)."""


class RequestTooLarge(RemoteError):
    """The request exceeded the server's size limit (``too_large``)."""


class ServiceUnavailable(RemoteError):
    """A Majordomo broker found no worker for the service in time (``service_unavailable``).

    The request never ran, so sending it again is always safe (``retries=`` does so).
    """

    @property
    def service(self) -> Optional[str]:
        """The service that had no free worker."""
        return self.details.get("service")


class WorkerLost(RemoteError):
    """The broker lost the worker running the request (``worker_lost``); it may or may not have run."""


_BY_CODE: Mapping[str, Type[RemoteError]] = {
    "unknown_command": CommandNotFound,
    "invalid_argument": InvalidArgument,
    "not_found": NotFound,
    "permission_denied": PermissionDenied,
    "timeout": RemoteTimeout,
    "unauthenticated": Unauthenticated,
    "too_large": RequestTooLarge,
    "service_unavailable": ServiceUnavailable,
    "worker_lost": WorkerLost,
}


def remote_error_from_map(error: Any) -> RemoteError:
    """Build the :class:`RemoteError` subclass matching an error map of protocol.md §3."""
    if not isinstance(error, Mapping):
        return RemoteError(f"malformed error payload: {error!r}", code="internal")
    code = str(error.get("code") or "")
    message = str(error.get("message") or "")
    details = error.get("details")
    details = dict(details) if isinstance(details, Mapping) else {}
    if code == "unknown_command":
        suggestions = [str(s) for s in details.get("suggestions") or []]
        missing = [s for s in suggestions if s not in message]
        if missing:
            message = f"{message.rstrip()} Did you mean: {', '.join(missing)}?".lstrip()
    cls = _BY_CODE.get(code, RemoteError)
    stack = error.get("stack")
    return cls(message, code=code, remote_type=str(error.get("type") or ""),
               remote_stack=str(stack) if stack else None, details=details)


class _ZmqErrorTranslation:
    """The context manager of :func:`translate_zmq_errors`: a class, not a generator, because every
    call's send and receive enter one (a generator-based one costs several times more)."""

    __slots__ = ("endpoint",)

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Optional[Type[BaseException]], exc: Optional[BaseException],
                 traceback: Any) -> bool:
        if kind is not None and issubclass(kind, zmq.ZMQError):
            raise TransportError(f"ZeroMQ error on {self.endpoint}: {exc}") from exc
        return False


def translate_zmq_errors(endpoint: str) -> ContextManager[None]:
    """Turn :class:`zmq.ZMQError` into :class:`TransportError` (the one place this happens)."""
    return _ZmqErrorTranslation(endpoint)
