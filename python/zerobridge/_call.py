"""One call, shared by the sync and async paths: request frames in, result or error out."""

from __future__ import annotations

import math
from collections import abc
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence

from ._codec import Decoder, encode_arguments
from ._tables import TableAssembler, TablePart
from ._exceptions import SerializationError, TimeoutError, remote_error_from_map
from ._protocol import Reply, build_cancel, build_request
from ._tracing import trace_headers

__all__ = ["CALL_OPTIONS", "DECIMALS", "PreparedCall", "SERVER_GRACE_SECONDS", "TableCompletion",
           "Unset", "UNSET", "check_options"]

CALL_OPTIONS: FrozenSet[str] = frozenset({"timeout", "retries", "as_frame", "progress", "decimals"})
"""The per-call options every call accepts (``call_with`` keywords; on attribute-style calls,
keywords of these names that are not parameters of the command)."""

DECIMALS = ("decimal", "float")
"""How decimal values arrive: exact ``decimal.Decimal`` (the default) or ``float`` (decimal table
columns then become float64), as pandas ``read_sql(coerce_float=True)`` does."""

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
    as_frame: Optional[bool] = None
    """Tables as DataFrames (True), dicts of numpy arrays (False), or DataFrames when pandas is
    installed (None)."""
    progress: bool = True
    """Show a tqdm progress bar while a chunked table arrives (when tqdm is installed)."""
    raw_tables: bool = False
    """Return tables as :class:`TablePart` (``table.next`` replies)."""
    decimals: str = "decimal"
    """Decimal values as ``decimal.Decimal`` ("decimal") or ``float`` ("float")."""

    @classmethod
    def prepare(cls, *, endpoint: str, service: str, command: str, args: Sequence[Any],
                kwargs: Optional[Mapping[str, Any]], timeout: Optional[float],
                retries: int, as_frame: Optional[bool] = None, progress: bool = True,
                raw_tables: bool = False, decimals: str = "decimal") -> "PreparedCall":
        """Validate and encode once; raises :class:`SerializationError` or ``TypeError``."""
        if not isinstance(command, str) or not command:
            raise TypeError(f"command must be a non-empty str, not {command!r}")
        if kwargs is not None and type(kwargs) is not dict and not isinstance(kwargs, abc.Mapping):
            raise TypeError(f"kwargs must be a mapping, not {type(kwargs).__name__}")
        if kwargs and not all(isinstance(k, str) for k in kwargs):
            raise TypeError("keyword argument names must be str")
        arguments: Optional[bytes] = None
        attachments: List[Any] = []
        if args or kwargs:
            arguments, attachments = encode_arguments(args, kwargs or {})
        return cls(endpoint, service, command, timeout, retries, arguments, attachments,
                   as_frame, progress, raw_tables, decimals)

    @property
    def timeout_ms(self) -> Optional[int]:
        """The header ``timeout`` (ms) sent to the server, or ``None`` without a timeout."""
        if self.timeout is None:
            return None
        return int(math.ceil((self.timeout + SERVER_GRACE_SECONDS) * 1000))

    def frames(self, request_id: int) -> List[Any]:
        """The request frames for one attempt."""
        return build_request(self.service, request_id, self.command, self.arguments,
                             self.attachments, timeout_ms=self.timeout_ms, trace=trace_headers())

    def cancel_frames(self, request_id: int) -> List[Any]:
        """The cancel notification for an abandoned attempt."""
        return build_cancel(self.service, request_id)

    def result(self, reply: Reply) -> Any:
        """The command's result, or raise the matching :class:`RemoteError`.

        Tables the server sends in chunks are not complete yet: see :meth:`decode`.
        """
        return self.decode(reply).value

    def decode(self, reply: Reply) -> "TableCompletion":
        """The result with the chunked tables in it still to fetch (``table.next``)."""
        decoder = Decoder(reply.attachments, as_frame=self.as_frame, raw_tables=self.raw_tables,
                          decimals=self.decimals)
        try:
            value = decoder.unpack(reply.payload)
        except SerializationError as exc:
            raise SerializationError(f"reply to {self.command!r} from {self.endpoint}: {exc}") \
                from exc
        if reply.ok:
            return TableCompletion(self, value, decoder.pending, decoder.as_frame)
        raise remote_error_from_map(value)

    @staticmethod
    def error_code(reply: Reply) -> Optional[str]:
        """The ``code`` of an error reply; ``None`` for a success or an unreadable error."""
        if reply.ok:
            return None
        try:
            error = Decoder(reply.attachments).unpack(reply.payload)
        except SerializationError:
            return None
        code = error.get("code") if isinstance(error, Mapping) else None
        return code if isinstance(code, str) else None

    @staticmethod
    def never_ran(reply: Reply) -> bool:
        """Whether ``reply`` is a broker's ``service_unavailable``: the request never ran, so a
        retry is safe whatever the command."""
        return PreparedCall.error_code(reply) == "service_unavailable"

    def side_call(self, command: str, kwargs: Mapping[str, Any], *,
                  raw_tables: bool = False) -> "PreparedCall":
        """Another call on behalf of this one, with its endpoint, service and timeout, never
        retried (``table.next`` moves a cursor; a challenge is used once)."""
        return PreparedCall.prepare(endpoint=self.endpoint, service=self.service, command=command,
                                    args=(), kwargs=kwargs, timeout=self.timeout,
                                    retries=0, raw_tables=raw_tables, decimals=self.decimals)

    def follow_up(self, command: str, cursor: str, *, raw_tables: bool) -> "PreparedCall":
        """A ``table.next`` / ``table.close`` call on behalf of this one."""
        return self.side_call(command, {"cursor": cursor}, raw_tables=raw_tables)

    def timeout_error(self, attempts: int) -> TimeoutError:
        """The error for a call that got no reply in time."""
        tries = f" (tried {attempts} times)" if attempts > 1 else ""
        return TimeoutError(
            f"no reply from {self.endpoint} to {self.command!r} within {self.timeout:g} s{tries}",
            endpoint=self.endpoint, command=self.command, seconds=self.timeout)


class TableCompletion:
    """Fetches the remaining chunks of the tables in one result; the sync and async clients drive
    it (``while (call := c.next_call()) is not None: c.add(send(call))``)."""

    def __init__(self, call: PreparedCall, value: Any, pending: List[TableAssembler],
                 as_frame: bool) -> None:
        self.call = call
        self.value = value
        self.pending = list(pending)
        self.as_frame = as_frame
        self._bar: Any = None
        self._done: Dict[int, Any] = {}

    def next_call(self) -> Optional[PreparedCall]:
        """The ``table.next`` call to make next, or ``None`` when every table is complete."""
        while self.pending:
            assembler = self.pending[0]
            if assembler.more is not None:
                if self._bar is None:
                    self._bar = _progress_bar(self.call, assembler)
                return self.call.follow_up("table.next", assembler.more, raw_tables=True)
            self._close_bar()
            self._done[id(assembler)] = assembler.finish(self.as_frame)
            self.pending.pop(0)
        return None

    def add(self, part: Any) -> None:
        """The reply to the last :meth:`next_call`."""
        if not isinstance(part, TablePart):
            raise SerializationError(f"table.next returned {type(part).__name__}, not a table")
        self.pending[0].add(part)

    def close_calls(self) -> List[PreparedCall]:
        """``table.close`` for the tables still open (after a failure or an interrupt)."""
        self._close_bar()
        calls = [self.call.follow_up("table.close", a.more, raw_tables=True)
                 for a in self.pending if a.more is not None]
        self.pending = []
        return calls

    def result(self) -> Any:
        """The value with every table complete."""
        if not self._done:
            return self.value
        return _replace(self.value, self._done)

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _progress_bar(call: PreparedCall, assembler: TableAssembler) -> Any:
    """A tqdm bar counting rows (shown only after a second), or ``None``."""
    if not call.progress:
        return None
    tqdm = progress_bar_class()
    if tqdm is None:
        return None
    bar = tqdm(total=assembler.total, initial=assembler.rows, unit="rows", unit_scale=True,
               delay=1.0, desc=call.command, leave=False)
    assembler.progress = bar.update
    return bar


def progress_bar_class() -> Any:
    """tqdm's widget bar in a Jupyter kernel that has ipywidgets, plain tqdm anywhere else, or
    ``None`` without tqdm.

    What ``tqdm.auto`` picks, but quiet: in a kernel without ipywidgets ``tqdm.auto`` warns
    ("IProgress not found") on every import, and a missing optional widget library is not
    something a user of this package should be told about on each call.
    """
    try:
        from tqdm import std  # noqa: PLC0415 - optional
    except ImportError:
        return None
    if _in_jupyter_kernel():
        try:
            from tqdm import notebook  # noqa: PLC0415 - only in a kernel
        except ImportError:
            return std.tqdm
        if getattr(notebook, "IProgress", None) is not None:
            return notebook.tqdm
    return std.tqdm


def _in_jupyter_kernel() -> bool:
    """Whether this runs in an IPython kernel (a notebook front-end), not a terminal IPython."""
    import sys  # noqa: PLC0415

    ipython_module = sys.modules.get("IPython")
    if ipython_module is None:
        return False
    try:
        shell = ipython_module.get_ipython()
        return shell is not None and "IPKernelApp" in shell.config
    except Exception:  # noqa: BLE001 - any odd IPython state: not a kernel
        return False


def _replace(value: Any, done: Dict[int, Any]) -> Any:
    if id(value) in done:
        return done[id(value)]
    if isinstance(value, dict):
        return {k: _replace(v, done) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, done) for v in value]
    return value


def check_options(timeout: Any, retries: Any, decimals: Any = UNSET) -> Dict[str, Any]:
    """Validate per-call or per-client options."""
    if timeout is not None and not isinstance(timeout, Unset):
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds or None, "
                             f"not {timeout!r}")
    if not isinstance(retries, Unset):
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"retries must be an int >= 0, not {retries!r}")
    if not isinstance(decimals, Unset) and decimals not in DECIMALS:
        raise ValueError(f"decimals must be 'decimal' or 'float', not {decimals!r}")
    return {"timeout": timeout, "retries": retries, "decimals": decimals}
