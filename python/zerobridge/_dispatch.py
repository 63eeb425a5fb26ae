"""Running a registered Python function for a remote caller: the one place where a worker decodes
the arguments, calls the function and turns the outcome into a reply body or an error map.

:class:`~zerobridge.Worker` (Majordomo) and :class:`~zerobridge.TaskWorker` (task pools) add only
their envelopes. Error codes and ``type`` names are those of the C# server: a protocol fault is
``bad_request`` (type ``zerobridge.ProtocolError``), an unknown name ``unknown_command``, arguments
that do not fit the signature ``invalid_argument``, an exception of the function
``command_failed`` (or the code of a :class:`~zerobridge.RemoteError` it raised), a result that
cannot be encoded ``internal``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import inspect
import logging
import traceback
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import msgpack

from ._codec import Decoder, Encoder
from ._exceptions import RemoteError, SerializationError
from ._protocol import PROTOCOL_VERSION, ErrorCode, error_map

__all__ = ["Dispatcher", "Failure", "HeaderFailure", "Outcome", "arguments_of", "decode_arguments",
           "parse_request_header", "type_name"]

_log = logging.getLogger("zerobridge.worker")

PROTOCOL_ERROR_TYPE = "zerobridge.ProtocolError"


class Failure(Exception):
    """An error reply decided by the worker itself (not raised by the function): a code from
    :class:`~._protocol.ErrorCode`, a message and optional details."""

    def __init__(self, code: str, message: str, details: Optional[Mapping[str, Any]] = None,
                 type_name: str = PROTOCOL_ERROR_TYPE) -> None:
        super().__init__(message)
        self.code = code
        self.details = dict(details) if details else None
        self.type_name = type_name


class HeaderFailure(Failure):
    """A request header at fault, with the request id when it could be read."""

    def __init__(self, message: str, request_id: Any = None, code: str = ErrorCode.BAD_REQUEST) -> None:
        super().__init__(code, message)
        self.request_id = request_id


def parse_request_header(body: Sequence[bytes]) -> Tuple[Any, str]:
    """``(request id, command)`` of a request body (header, arguments, ...; protocol.md §2).

    Raises:
        HeaderFailure: the header is not a version 1 request header (``bad_request``), or is a
            cancel notification (``cancelled``).
    """
    if not body:
        raise HeaderFailure("the request has no header frame")
    try:
        header = msgpack.unpackb(body[0], raw=False, strict_map_key=False)
    except Exception as exc:  # noqa: BLE001 - msgpack raises many kinds
        raise HeaderFailure(f"the header frame is not valid msgpack: {exc}") from exc
    if not isinstance(header, dict):
        raise HeaderFailure("the header frame must be a msgpack map")
    request_id = header.get("id")
    if not isinstance(request_id, (int, str)) or isinstance(request_id, bool):
        request_id = None
    if header.get("v") != PROTOCOL_VERSION:
        raise HeaderFailure(f"protocol version {header.get('v')!r} is not supported", request_id)
    if request_id is None:
        raise HeaderFailure("the header has no request 'id' (an int or a str)")
    if header.get("cancel") is True:
        raise HeaderFailure("a cancel notification reached a worker", request_id, ErrorCode.CANCELLED)
    command = header.get("cmd")
    if not isinstance(command, str) or not command:
        raise HeaderFailure("the header has no command name 'cmd'", request_id)
    return request_id, command


@dataclasses.dataclass(frozen=True)
class Outcome:
    """A reply body: ``ok`` with ``[value, *attachments]``, else ``[error map]``."""

    ok: bool
    body: List[bytes]


def type_name(exc: BaseException) -> str:
    """The exception's type as the error map's ``type``: qualified by its module, builtins bare."""
    kind = type(exc)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def decode_arguments(frames: Sequence[Any]) -> Tuple[List[Any], Dict[str, Any]]:
    """``[arguments, *attachments]`` as ``(positional, keyword)``; no frame means no arguments.

    Raises:
        Failure: ``bad_request`` when the frame is not a ``[positional, keyword]`` array.
    """
    if not frames:
        return [], {}
    try:
        value = Decoder(list(frames[1:])).unpack(frames[0])
    except SerializationError as exc:
        raise Failure(ErrorCode.BAD_REQUEST, f"the arguments frame cannot be decoded: {exc}") from exc
    return arguments_of(value)


def arguments_of(value: Any) -> Tuple[List[Any], Dict[str, Any]]:
    """A decoded ``[positional, keyword]`` value as ``(positional, keyword)``.

    Raises:
        Failure: ``bad_request`` when it is not such an array.
    """
    if not (isinstance(value, (list, tuple)) and len(value) == 2
            and isinstance(value[0] or [], (list, tuple)) and isinstance(value[1] or {}, dict)):
        raise Failure(ErrorCode.BAD_REQUEST,
                      "the arguments must be a msgpack array [positional, keyword]")
    return list(value[0] or []), dict(value[1] or {})


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


class Dispatcher:
    """Functions by name, run for remote callers.

    Args:
        include_stack: whether error maps carry the Python traceback.
    """

    def __init__(self, *, include_stack: bool = True) -> None:
        self.include_stack = include_stack
        self.functions: Dict[str, Callable[..., Any]] = {}
        self._signatures: Dict[str, Optional[inspect.Signature]] = {}  # computed once: it costs more than a tiny call

    def add(self, name: str, function: Callable[..., Any]) -> None:
        """Register ``function`` under ``name`` (replacing an earlier one)."""
        self.functions[name] = function
        self._signatures.pop(name, None)

    def run(self, name: str, arguments: Sequence[Any],
            loop: Optional[asyncio.AbstractEventLoop] = None) -> Outcome:
        """Decode ``arguments`` (``[frame, *attachments]``), run ``name`` and encode the outcome.

        A coroutine function runs on ``loop`` (the application's, for the async workers; this
        thread must not be the loop's) or, without one, on a private loop of this thread. Never
        raises an ``Exception``: every failure becomes an error outcome.
        """
        try:
            value = self._call(name, decode_arguments(arguments), loop)
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the caller
            return self.failure(name, exc)
        return self.success(name, value)

    def run_decoded(self, name: str, arguments: Any,
                    loop: Optional[asyncio.AbstractEventLoop] = None) -> Tuple[bool, Any]:
        """Run ``name`` with an already decoded ``[positional, keyword]`` value: ``(True, value)``,
        or ``(False, error map)`` (see :meth:`run`; the value is not encoded yet)."""
        try:
            return True, self._call(name, arguments_of(arguments), loop)
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the caller
            return False, self.error(name, exc)

    def _call(self, name: str, arguments: Tuple[List[Any], Dict[str, Any]],
              loop: Optional[asyncio.AbstractEventLoop]) -> Any:
        function = self._function(name)
        args, kwargs = arguments
        try:
            value = function(*args, **kwargs)
        except TypeError as exc:
            # Arguments that do not fit fail before the function's body runs; binding them only now spares
            # every call that fits the cost of a bind (more than a tiny task's own work).
            self._check_binding(name, function, args, kwargs, exc)
            raise
        if inspect.isawaitable(value):
            value = asyncio.run_coroutine_threadsafe(_awaited(value), loop).result() \
                if loop is not None else asyncio.run(_awaited(value))
        return value

    def success(self, name: str, value: Any) -> Outcome:
        """The ``ok`` body of ``value``, or an ``internal`` error when it cannot be encoded."""
        encoder = Encoder()
        try:
            payload = encoder.pack(value)
        except SerializationError as exc:
            return self.failure(name, Failure(
                ErrorCode.INTERNAL, f"the result of {name} cannot be serialized: {exc}"))
        return Outcome(True, [payload, *encoder.attachments])

    def failure(self, name: str, exc: BaseException) -> Outcome:
        """The error body for ``exc`` (see the module docstring for the codes)."""
        return Outcome(False, [msgpack.packb(self.error(name, exc), use_bin_type=True)])

    def error(self, name: str, exc: BaseException) -> Dict[str, Any]:
        """The error map for ``exc`` (see the module docstring for the codes)."""
        if isinstance(exc, Failure):
            return error_map(exc.code, str(exc), type_name=exc.type_name, details=exc.details)
        if isinstance(exc, RemoteError):  # a function may raise NotFound, PermissionDenied, ...
            code, details = exc.code or ErrorCode.COMMAND_FAILED, exc.details
        else:
            _log.warning("%s failed", name, exc_info=exc)
            code, details = ErrorCode.COMMAND_FAILED, None
        stack = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)) \
            if self.include_stack else None
        return error_map(code, str(exc), type_name=type_name(exc), stack=stack, details=details)

    def _function(self, name: str) -> Callable[..., Any]:
        function = self.functions.get(name)
        if function is None:
            close = difflib.get_close_matches(name, list(self.functions), n=3)
            raise Failure(ErrorCode.UNKNOWN_COMMAND, f"Unknown command '{name}'.",
                          {"command": name, "suggestions": close})
        return function

    def _check_binding(self, name: str, function: Callable[..., Any], args: List[Any], kwargs: Dict[str, Any],
                       error: TypeError) -> None:
        """Raise ``invalid_argument`` when the arguments do not fit the function's signature."""
        signature = self._signature(name, function)
        if signature is None:  # some builtins have none: the call's own TypeError stands
            return
        try:
            signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise Failure(ErrorCode.INVALID_ARGUMENT, f"{name}: {exc}") from error

    def _signature(self, name: str, function: Callable[..., Any]) -> Optional[inspect.Signature]:
        if name not in self._signatures:
            try:
                self._signatures[name] = inspect.signature(function)
            except (TypeError, ValueError):
                self._signatures[name] = None
        return self._signatures[name]
