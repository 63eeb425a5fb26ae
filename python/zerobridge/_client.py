"""The blocking client: sync calls on a DEALER socket (Lazy Pirate), and ``acall`` as a bridge to asyncio.

What to send, when to retry and how to complete chunked tables is :mod:`._exchange`'s; this module
only performs attempts on a blocking socket. The asyncio-native client is :class:`~zerobridge.AsyncClient`.
"""

from __future__ import annotations

import time
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

import zmq

from ._tracing import client_span
from ._base import DEFAULT_TIMEOUT, TimeoutArg
from ._call import UNSET, Unset
from ._commands import CommandTree
from ._exceptions import ZeroBridgeError, translate_zmq_errors
from ._exchange import Attempt, drive
from ._protocol import Reply, parse_reply
from ._security import CertificatePath, KeySource
from ._socket_client import SocketClient
from ._transport import RCVTIMEO, receive_frames, send_frames

__all__ = ["Client", "connect"]

CANCEL_LINGER_MS = 250
"""Linger of a socket abandoned after a timeout: long enough to flush its cancel notification
(linger 0 would drop it), short enough that closing the client never waits long."""

_POLL_SLICE_MS = 1000  # a blocking wait polls in slices, so Ctrl-C is seen promptly


class Client(SocketClient):
    """A connection to a ZeroBridge server (create it with :func:`zerobridge.connect`).

    Calls::

        client.call("orders.recent", n=5)          # by name
        client.orders.recent(n=5)                   # as attribute, with signature and docstring
        await client.acall("orders.recent", n=5)    # async, many calls in flight at once

    The ``a``-prefixed methods (:meth:`acall`, :meth:`aping`, ...) let a notebook that holds a
    sync client await calls too; code that is asyncio throughout should use
    :class:`~zerobridge.AsyncClient`, whose methods have the sync names.

    ``timeout`` and ``retries`` are keyword names reserved by :meth:`call` and :meth:`acall`; to pass
    a command parameter of that name use :meth:`call_with` / :meth:`acall_with`, which take the
    arguments as a sequence and a mapping. Attribute proxies (``client.orders.recent(3, timeout=5)``)
    take the per-call options ``timeout``, ``retries``, ``as_frame``, ``progress`` and ``decimals``
    as keywords too, except a name the command has a parameter of: that one goes to the command
    (the command's signature wins), and the option is then passed with :meth:`call_with`.

    Timeouts: ``timeout=`` not passed means the client's default; ``None`` waits forever. On a
    timeout the client sends the server a cancel notification for the request, and (sync path)
    replaces its socket, Lazy Pirate style; late replies are discarded by request id.
    ``retries=N`` re-sends a timed-out request up to N more times: only safe for idempotent
    commands, since the server may have run the first attempt anyway. Through a Majordomo broker
    (``service=``), a ``service_unavailable`` reply (no worker in time; the request never ran) is
    re-sent the same way, and raised as :class:`ServiceUnavailable` when the retries run out.

    Sockets and context: each client owns a private :class:`zmq.Context` (unless ``context=`` is
    given, which the client then does not terminate) with one blocking DEALER socket for sync
    calls and one asyncio DEALER socket per event loop for async calls. :meth:`close` closes them
    all with linger 0 and terminates an owned context. A closed client cannot be reopened.

    Security: with ``server_key=`` (and optionally ``cert=``) every socket speaks CurveZMQ and
    talks only to that server (``docs/security.md``). A handshake that fails (wrong server key, or
    one side without CURVE) raises :class:`~zerobridge.AuthenticationError` naming the likely
    cause, not a timeout.

    The sync path is thread-safe (calls are serialized by a lock); for concurrency use the async
    API or one client per thread.
    """

    def __init__(self, endpoint: Optional[str] = None, *, timeout: Optional[float] = DEFAULT_TIMEOUT,
                 retries: int = 0, service: Optional[str] = None,
                 context: Optional[zmq.Context] = None, as_frame: Optional[bool] = None,
                 progress: bool = True, server_key: Optional[KeySource] = None,
                 cert: Optional[CertificatePath] = None, decimals: str = "decimal") -> None:
        super().__init__(endpoint, timeout=timeout, retries=retries, service=service,
                         context=context, as_frame=as_frame, progress=progress,
                         server_key=server_key, cert=cert, decimals=decimals)
        self._socket: Optional[zmq.Socket] = None
        self._socket_timeout_ms = -1  # the RCVTIMEO last set on _socket
        try:
            self._open_socket()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ sync API

    def call(self, command: str, *args: Any, timeout: TimeoutArg = UNSET,
             retries: Union[int, Unset] = UNSET, **kwargs: Any) -> Any:
        """Run ``command`` on the server with these arguments and return its result.

        Args:
            command: the command name, e.g. ``"orders.recent"``.
            *args: positional arguments of the command.
            timeout: seconds to wait for the reply; not passed: the client's default; ``None``:
                forever. Reserved: see :meth:`call_with` for a command parameter of this name.
            retries: re-sends after a timeout (idempotent commands only); not passed: default.
            **kwargs: keyword arguments of the command.

        Raises:
            RemoteError: the server answered with an error (a subclass per code).
            TimeoutError: no reply in time.
            TransportError, ProtocolError, SerializationError: see the package docstring.
        """
        return self.call_with(command, args, kwargs, timeout=timeout, retries=retries)

    def call_with(self, command: str, args: Sequence[Any] = (),
                  kwargs: Optional[Mapping[str, Any]] = None, *, timeout: TimeoutArg = UNSET,
                  retries: Union[int, Unset] = UNSET,
                  as_frame: Union[Optional[bool], Unset] = UNSET,
                  progress: Union[bool, Unset] = UNSET,
                  decimals: Union[str, Unset] = UNSET) -> Any:
        """Like :meth:`call`, with the arguments as a sequence and a mapping, and per-call options.

        The escape hatch for a command with a parameter named like an option (``timeout``,
        ``retries``, ...): ``client.call_with("jobs.start", kwargs={"timeout": 30}, timeout=5)``.

        Args:
            as_frame: tables as ``pandas.DataFrame`` (True) or dicts of numpy arrays (False);
                not passed: the client's :attr:`as_frame`.
            progress: a tqdm bar for chunked tables; not passed: the client's :attr:`progress`.
            decimals: ``"float"``: decimal values as ``float`` and decimal table columns as
                float64; ``"decimal"``: exact ``decimal.Decimal``; not passed: the client's
                :attr:`decimals`.
        """
        steps = self._exchange(command, args, kwargs, timeout=timeout, retries=retries,
                               as_frame=as_frame, progress=progress, decimals=decimals)
        with self._lock, client_span(command):
            return drive(steps, self._perform)

    def ping(self, *, timeout: TimeoutArg = UNSET) -> str:
        """Run the built-in ``ping`` command; returns ``"pong"``."""
        return self.call("ping", timeout=timeout)

    def commands(self, *, timeout: TimeoutArg = UNSET) -> List[Dict[str, Any]]:
        """The server's command descriptions (the ``commands`` built-in), sorted by name.

        Also refreshes the cached attribute namespaces (``client.orders.recent``).
        """
        return self._remember_commands(self.call("commands", timeout=timeout), self.call_with,
                                       self.acall_with)

    def refresh(self) -> None:
        """Fetch the command descriptions again (after the server gained or lost commands)."""
        self.commands()

    # ------------------------------------------------------------------ C# scripts

    def run_csharp(self, code: str, *, timeout: TimeoutArg = UNSET, session: Optional[str] = None,
                   echo: bool = True) -> Any:
        """Compile and run C# inside the application; return the value of its last expression.

        The server must have been started with scripts enabled (``zbridge demo --allow-scripts``).
        Variables, functions and ``using``s persist between runs of the same session (by default
        this client's own, :attr:`csharp_session`), as in a REPL. What the script writes to the
        console is printed here (unless ``echo=False``) and kept in :attr:`last_csharp_output`.

        Args:
            code: C# script code; a final expression without a semicolon is the result.
            timeout: seconds before the server stops the script (at most its own limit); the
                client waits that long plus a margin for compiling. ``None``: the server's limit.
            session: run in another session than this client's own.
            echo: print the console output.

        Raises:
            RemoteError: code ``compile_error`` (``details["diagnostics"]`` has line and column of
                each error), ``script_error`` (the script threw; ``remote_type`` is its exception
                type), ``timeout``, or ``permission_denied`` when scripts are disabled.
        """
        return self._script_done(self.call_with("csharp.run", **self._script_call(code, timeout, session)),
                                 echo)

    async def arun_csharp(self, code: str, *, timeout: TimeoutArg = UNSET, session: Optional[str] = None,
                          echo: bool = True) -> Any:
        """Async :meth:`run_csharp`."""
        reply = await self.acall_with("csharp.run", **self._script_call(code, timeout, session))
        return self._script_done(reply, echo)

    def reset_csharp(self, session: Optional[str] = None) -> bool:
        """Forget a script session's variables (by default this client's); returns whether it existed."""
        return bool(self.call("csharp.reset", session=session or self.csharp_session))

    # ------------------------------------------------------------------ async API

    async def acall(self, command: str, *args: Any, timeout: TimeoutArg = UNSET,
                    retries: Union[int, Unset] = UNSET, **kwargs: Any) -> Any:
        """Async :meth:`call`; many calls may be in flight at once on one socket."""
        return await self.acall_with(command, args, kwargs, timeout=timeout, retries=retries)

    async def acall_with(self, command: str, args: Sequence[Any] = (),
                         kwargs: Optional[Mapping[str, Any]] = None, *,
                         timeout: TimeoutArg = UNSET,
                         retries: Union[int, Unset] = UNSET,
                         as_frame: Union[Optional[bool], Unset] = UNSET,
                         progress: Union[bool, Unset] = UNSET,
                         decimals: Union[str, Unset] = UNSET) -> Any:
        """Async :meth:`call_with`."""
        return await self._run_async(command, args, kwargs, timeout=timeout, retries=retries,
                                     as_frame=as_frame, progress=progress, decimals=decimals)

    async def aping(self, *, timeout: TimeoutArg = UNSET) -> str:
        """Async :meth:`ping`."""
        return await self.acall("ping", timeout=timeout)

    async def acommands(self, *, timeout: TimeoutArg = UNSET) -> List[Dict[str, Any]]:
        """Async :meth:`commands`."""
        return self._remember_commands(await self.acall("commands", timeout=timeout),
                                       self.call_with, self.acall_with)

    async def arefresh(self) -> None:
        """Async :meth:`refresh`."""
        await self.acommands()

    async def areset_csharp(self, session: Optional[str] = None) -> bool:
        """Async :meth:`reset_csharp`."""
        return bool(await self.acall("csharp.reset", session=session or self.csharp_session))

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ lifetime

    def _release_sockets(self) -> None:
        self._socket = None

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ commands as attributes

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails. Private and dunder names never reach the
        # server: IPython probes objects for _repr_html_ and friends.
        if name.startswith("_"):
            raise AttributeError(name)
        tree = self._command_tree()
        try:
            return getattr(tree.root, name)
        except AttributeError:
            raise self._attribute_error(name, tree) from None

    def __dir__(self) -> Iterable[str]:
        names = set(super().__dir__())
        if not self._closed:
            try:
                names.update(self._command_tree().names())
            except ZeroBridgeError:
                pass  # tab completion must not fail because the server is away
        return sorted(names)

    def _command_tree(self) -> CommandTree:
        if self._tree is None:
            self.commands()
        assert self._tree is not None
        return self._tree

    # ------------------------------------------------------------------ the blocking driver

    def _perform(self, attempt: Attempt) -> Optional[Reply]:
        """Send one attempt and wait for its reply; ``None`` at its timeout (Lazy Pirate: the server
        is told, and the socket replaced so a late reply can never be mistaken for another's)."""
        with self._lock:
            self._check_open()
            socket = self._socket
            if socket is None:
                socket = self._open_socket()
            call = attempt.call
            frames = call.frames(attempt.request_id)
            if not attempt.await_reply:
                self._send_without_waiting(socket, frames)
                return None
            deadline = None if call.timeout is None else time.monotonic() + call.timeout
            try:
                with translate_zmq_errors(self._endpoint):
                    reply = self._receive(socket, attempt.request_id, deadline) \
                        if self._send(socket, frames, deadline) else None
            except BaseException:  # KeyboardInterrupt included: leave a clean socket
                self._abandon(attempt)
                raise
            if reply is None:
                refused = self._sockets.handshake_error(socket)
                self._abandon(attempt)
                if refused is not None:
                    raise refused
            return reply

    def _open_socket(self) -> zmq.Socket:
        """A new socket for the sync calls (its ``RCVTIMEO`` is ZeroMQ's default, -1)."""
        self._socket = self._sockets.open()
        self._socket_timeout_ms = -1
        return self._socket

    def _send(self, socket: zmq.Socket, frames: List[Any], deadline: Optional[float]) -> bool:
        """Send without blocking past ``deadline``; ``False`` when the deadline passed."""
        while True:
            try:
                send_frames(socket, frames)
                return True
            except zmq.Again:
                remaining = _remaining_ms(deadline)
                if remaining == 0:
                    return False
                socket.poll(remaining, zmq.POLLOUT)

    def _send_without_waiting(self, socket: zmq.Socket, frames: List[Any]) -> None:
        """A one-way send: dropped when the socket cannot take it now (no peer, queue full)."""
        try:
            socket.send_multipart(frames, flags=zmq.NOBLOCK, copy=False)
        except zmq.ZMQError:
            pass

    def _receive(self, socket: zmq.Socket, request_id: int,
                 deadline: Optional[float]) -> Optional[Reply]:
        """The reply to ``request_id``, or ``None`` at the deadline. Other replies are dropped.

        A blocking receive with a timeout, not ``poll`` then receive: pyzmq builds a ``Poller`` on
        every ``Socket.poll``, which cost more than the rest of a small call's receive
        (bench/README.md, "where the time goes"). The socket's ``RCVTIMEO`` is remembered here, so
        it costs an option call only when it changes (reading it back costs one too)."""
        while True:
            remaining = _remaining_ms(deadline)
            if remaining == 0:
                return None
            if remaining != self._socket_timeout_ms:
                socket.setsockopt(RCVTIMEO, remaining)
                self._socket_timeout_ms = remaining
            try:
                frames = receive_frames(socket)
            except zmq.Again:
                refused = self._sockets.handshake_error(socket)
                if refused is not None:
                    raise refused  # no reply can come; the caller abandons the socket
                continue
            reply = parse_reply(frames)
            if reply.id == request_id or (reply.id is None and not reply.ok):
                # id nil: the server could not read our request's id; ours is the only one.
                return reply

    def _abandon(self, attempt: Attempt) -> None:
        """Lazy Pirate: tell the server we gave up, then replace the socket."""
        socket, self._socket = self._socket, None
        if socket is None:
            return
        try:
            socket.send_multipart(attempt.call.cancel_frames(attempt.request_id), flags=zmq.NOBLOCK)
        except zmq.ZMQError:
            pass
        self._sockets.close(socket, linger=CANCEL_LINGER_MS)


def _remaining_ms(deadline: Optional[float]) -> int:
    """Milliseconds to poll: a slice when there is no deadline, 0 once it has passed."""
    if deadline is None:
        return _POLL_SLICE_MS
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return 0
    return max(1, min(_POLL_SLICE_MS, int(remaining * 1000 + 0.999)))


def connect(endpoint: Optional[str] = None, *, timeout: Optional[float] = DEFAULT_TIMEOUT,
            retries: int = 0, service: Optional[str] = None, as_frame: Optional[bool] = None,
            progress: bool = True, server_key: Optional[KeySource] = None,
            cert: Optional[CertificatePath] = None, decimals: str = "decimal") -> Client:
    """Connect to a ZeroBridge server and return a :class:`Client`.

    ZeroMQ connects in the background, so this returns at once; a server that is not there
    shows as a :class:`zerobridge.TimeoutError` on the first call.

    Args:
        endpoint: the server's ZeroMQ endpoint (default: ``$ZEROBRIDGE_ENDPOINT``, else
            ``tcp://127.0.0.1:5555``).
        timeout: default seconds to wait for each reply (``None``: forever).
        retries: default re-sends after a timeout (only for idempotent commands).
        service: the service name sent with each request (matters behind a Majordomo broker;
            default: ``$ZEROBRIDGE_SERVICE``, else ``zerobridge``).
        server_key: CurveZMQ: the server's public key, its ``NAME.key`` file (or the Z85 key).
            The client then talks only to that server, encrypted; a wrong key raises
            :class:`~zerobridge.AuthenticationError` saying the handshake did not complete.
        cert: CurveZMQ: this client's key pair, a ``NAME.key_secret`` file (default: a throwaway
            pair). Needs ``server_key``.
        as_frame: tables as ``pandas.DataFrame`` (True) or dicts of numpy arrays (False);
            default: DataFrames when pandas is installed.
        progress: a tqdm bar while a large (chunked) table arrives.
        decimals: ``"float"``: decimal values as ``float`` and decimal table columns as float64
            (as pandas ``read_sql(coerce_float=True)``); default ``"decimal"``: exact
            ``decimal.Decimal``. Per call: ``decimals=`` on :meth:`Client.call_with` or an
            attribute-style call.
    """
    return Client(endpoint, timeout=timeout, retries=retries, service=service, as_frame=as_frame,
                  progress=progress, server_key=server_key, cert=cert, decimals=decimals)
