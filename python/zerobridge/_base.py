"""What the sync and the async client share, sans I/O: options, request ids, preparing calls,
command descriptions and script sessions.

The model is httpx's ``BaseClient``: :class:`~zerobridge.Client` and :class:`~zerobridge.AsyncClient`
add only the way an :class:`~._exchange.Attempt` travels (a blocking socket, an asyncio channel).
"""

from __future__ import annotations

import difflib
import itertools
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import _scripting
from ._call import UNSET, PreparedCall, Unset, check_options
from ._commands import CallWith, CommandTree
from ._exceptions import TransportError
from ._exchange import Exchange, Prover, exchange
from ._protocol import resolve_endpoint, resolve_service

__all__ = ["BaseClient", "DEFAULT_TIMEOUT", "TimeoutArg"]

DEFAULT_TIMEOUT = 30.0
"""Seconds a call waits for its reply unless told otherwise: the C# client's default too."""

TimeoutArg = Union[float, None, Unset]


class BaseClient:
    """Options and state of a ZeroBridge client; no sockets (see :class:`~zerobridge.Client`).

    Args:
        endpoint: the server's (or broker's) ZeroMQ endpoint (default: ``$ZEROBRIDGE_ENDPOINT``, else
            ``tcp://127.0.0.1:5555``).
        timeout: default seconds to wait for each reply (``None``: forever).
        retries: default re-sends after a timeout (only for idempotent commands).
        service: the service name sent with each request (matters behind a Majordomo broker;
            default: ``$ZEROBRIDGE_SERVICE``, else ``zerobridge``).
        as_frame: tables as ``pandas.DataFrame`` (True) or dicts of numpy arrays (False).
        progress: a tqdm bar while a large (chunked) table arrives.
        decimals: ``"decimal"`` (exact ``decimal.Decimal``) or ``"float"`` (decimal values as
            ``float``, decimal table columns as float64, like pandas ``read_sql(coerce_float=True)``).
    """

    def __init__(self, endpoint: Optional[str] = None, *, timeout: Optional[float] = DEFAULT_TIMEOUT,
                 retries: int = 0, service: Optional[str] = None, as_frame: Optional[bool] = None,
                 progress: bool = True, decimals: str = "decimal") -> None:
        check_options(timeout, retries, decimals)
        self.as_frame: Optional[bool] = as_frame
        """Tables as ``pandas.DataFrame`` (True) or dicts of numpy arrays (False); ``None``:
        DataFrames when pandas is installed."""
        self.progress: bool = progress
        """Show a tqdm progress bar while a large (chunked) table arrives, when tqdm is installed."""
        self.decimals: str = decimals
        """Default of every call: decimals as ``decimal.Decimal`` ("decimal") or ``float`` ("float")."""
        self.timeout: Optional[float] = timeout
        """Default timeout in seconds of every call (``None``: wait forever)."""
        self.retries: int = retries
        """Default number of re-sends after a timeout (0: none)."""
        self.csharp_session: str = _scripting.new_session_name()
        """The script session ``run_csharp`` uses unless told otherwise: this client's own."""
        self.last_csharp_output: str = ""
        """The console output of the last ``run_csharp``."""
        self._endpoint = resolve_endpoint(endpoint)
        self._service = resolve_service(service)
        self._ids = itertools.count(1)
        self._tree: Optional[CommandTree] = None
        self._prover: Optional[Prover] = None  # set when the client has a certificate to prove
        self._closed = False

    @property
    def endpoint(self) -> str:
        """The ZeroMQ endpoint the client connects to."""
        return self._endpoint

    @property
    def service(self) -> str:
        """The service name sent in frame 2 of every request."""
        return self._service

    @property
    def closed(self) -> bool:
        """Whether the client was closed."""
        return self._closed

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<zerobridge.{type(self).__name__} {self._endpoint!r} {state}>"

    # ------------------------------------------------------------------ calls

    def _check_open(self) -> None:
        if self._closed:
            raise TransportError(f"this client of {self._endpoint} is closed")

    def _next_id(self) -> int:
        return next(self._ids)

    def _exchange(self, command: str, args: Sequence[Any], kwargs: Optional[Mapping[str, Any]],
                  timeout: TimeoutArg = UNSET, retries: Union[int, Unset] = UNSET,
                  as_frame: Union[Optional[bool], Unset] = UNSET,
                  progress: Union[bool, Unset] = UNSET,
                  decimals: Union[str, Unset] = UNSET) -> Exchange:
        """Validate and encode a call with the client's defaults filled in; its exchange."""
        self._check_open()
        check_options(timeout, retries, decimals)
        call = PreparedCall.prepare(
            endpoint=self._endpoint, service=self._service, command=command, args=args,
            kwargs=kwargs,
            timeout=self.timeout if isinstance(timeout, Unset) else timeout,
            retries=self.retries if isinstance(retries, Unset) else int(retries),
            as_frame=self.as_frame if isinstance(as_frame, Unset) else as_frame,
            progress=self.progress if isinstance(progress, Unset) else bool(progress),
            decimals=self.decimals if isinstance(decimals, Unset) else decimals)
        return exchange(call, self._next_id, self._prover)

    # ------------------------------------------------------------------ commands as attributes

    def _remember_commands(self, descriptions: Any, call_with: CallWith,
                           acall_with: Optional[CallWith] = None) -> List[Dict[str, Any]]:
        """Keep the ``commands`` reply as the attribute namespaces; returns the descriptions."""
        self._tree = CommandTree(call_with, list(descriptions or []), acall_with)
        return descriptions

    def _attribute_error(self, name: str, tree: CommandTree) -> AttributeError:
        close = difflib.get_close_matches(name, tree.names(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}, and "
                              f"{self._endpoint} has no command or namespace of that name{hint}")

    # ------------------------------------------------------------------ C# scripts

    def _script_call(self, code: str, timeout: TimeoutArg, session: Optional[str]
                     ) -> Dict[str, Any]:
        """The ``call_with`` keywords of a ``csharp.run`` call."""
        kwargs = _scripting.script_arguments(code, session or self.csharp_session, timeout)
        return {"kwargs": kwargs, "timeout": _scripting.client_wait(timeout)}

    def _script_done(self, reply: Mapping[str, Any], echo: bool) -> Any:
        """The run's value; its output is kept in :attr:`last_csharp_output` (and printed)."""
        value, self.last_csharp_output = _scripting.script_result(reply, echo)
        return value
