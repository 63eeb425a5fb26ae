"""The ZeroBridge client: sync calls on a blocking DEALER socket, async calls via ``_async``."""

from __future__ import annotations

import asyncio
import difflib
import itertools
import os
import threading
import time
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Union

import zmq
import zmq.asyncio

from . import _scripting
from ._async import AsyncChannel
from ._call import UNSET, PreparedCall, TableCompletion, Unset, check_options
from ._commands import CommandTree
from ._exceptions import AuthenticationError, TransportError, ZeroBridgeError, translate_zmq_errors
from ._protocol import DEFAULT_ENDPOINT, DEFAULT_SERVICE, Reply, parse_reply
from ._security import CurveClient, HandshakeWatch, KeySource

__all__ = ["Client", "connect"]

CANCEL_LINGER_MS = 250
"""Linger of a socket abandoned after a timeout: long enough to flush its cancel notification
(linger 0 would drop it), short enough that closing the client never waits long."""

_POLL_SLICE_MS = 1000  # a blocking wait polls in slices, so Ctrl-C is seen promptly

TimeoutArg = Union[float, None, Unset]


class Client:
    """A connection to a ZeroBridge server (create it with :func:`zerobridge.connect`).

    Calls::

        client.call("orders.recent", n=5)          # by name
        client.orders.recent(n=5)                   # as attribute, with signature and docstring
        await client.acall("orders.recent", n=5)    # async, many calls in flight at once

    ``timeout`` and ``retries`` are keyword names reserved by :meth:`call` and :meth:`acall`; to pass
    a command parameter of that name use :meth:`call_with` / :meth:`acall_with`, which take the
    arguments as a sequence and a mapping. Attribute proxies (``client.x.y(...)``) pass every
    argument to the command and use the client's defaults.

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
    one side without CURVE) raises :class:`AuthenticationError` naming the likely cause, not a
    timeout.

    The sync path is thread-safe (calls are serialized by a lock); for concurrency use the async
    API or one client per thread.
    """

    def __init__(self, endpoint: str = DEFAULT_ENDPOINT, *, timeout: Optional[float] = 10.0,
                 retries: int = 0, service: str = DEFAULT_SERVICE,
                 context: Optional[zmq.Context] = None, as_frame: Optional[bool] = None,
                 progress: bool = True, server_key: Optional[KeySource] = None,
                 cert: "Optional[Union[str, os.PathLike[str]]]" = None) -> None:
        check_options(timeout, retries)
        self._curve = CurveClient.configure(server_key, cert)
        self.as_frame: Optional[bool] = as_frame
        """Tables as ``pandas.DataFrame`` (True) or dicts of numpy arrays (False); ``None``:
        DataFrames when pandas is installed."""
        self.progress: bool = progress
        """Show a tqdm progress bar while a large (chunked) table arrives, when tqdm is installed."""
        self._endpoint = endpoint
        self._service = service
        self.timeout: Optional[float] = timeout
        """Default timeout in seconds of every call (``None``: wait forever)."""
        self.retries: int = retries
        """Default number of re-sends after a timeout (0: none)."""
        self._owns_context = context is None
        self._context: zmq.Context = context if context is not None else zmq.Context()
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._sockets: Set[zmq.Socket] = set()
        self._handshakes: Dict[zmq.Socket, HandshakeWatch] = {}
        self._socket: Optional[zmq.Socket] = None
        self._channels: Dict[asyncio.AbstractEventLoop, AsyncChannel] = {}
        self._tree: Optional[CommandTree] = None
        self._closed = False
        self.csharp_session: str = _scripting.new_session_name()
        """The script session :meth:`run_csharp` uses unless told otherwise: this client's own."""
        self.last_csharp_output: str = ""
        """The console output of the last :meth:`run_csharp`."""
        try:
            self._socket = self._open_socket()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ properties

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
        """Whether :meth:`close` was called."""
        return self._closed

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<zerobridge.Client {self._endpoint!r} {state}>"

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
                  progress: Union[bool, Unset] = UNSET) -> Any:
        """Like :meth:`call`, with the arguments as a sequence and a mapping, and per-call options.

        The escape hatch for a command with a parameter named ``timeout`` or ``retries``:
        ``client.call_with("jobs.start", kwargs={"timeout": 30}, timeout=5)``.

        Args:
            as_frame: tables as ``pandas.DataFrame`` (True) or dicts of numpy arrays (False);
                not passed: the client's :attr:`as_frame`.
            progress: a tqdm bar for chunked tables; not passed: the client's :attr:`progress`.
        """
        call = self._prepare(command, args, kwargs, timeout, retries, as_frame, progress)
        return self._complete(call, self._request(call))

    def ping(self, *, timeout: TimeoutArg = UNSET) -> str:
        """Run the built-in ``ping`` command; returns ``"pong"``."""
        return self.call("ping", timeout=timeout)

    def commands(self, *, timeout: TimeoutArg = UNSET) -> List[Dict[str, Any]]:
        """The server's command descriptions (the ``commands`` built-in), sorted by name.

        Also refreshes the cached attribute namespaces (``client.orders.recent``).
        """
        descriptions = self.call("commands", timeout=timeout)
        self._tree = CommandTree(self, list(descriptions or []))
        return descriptions

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
        return _scripting.run(self, code, timeout=timeout, session=session, echo=echo)

    async def arun_csharp(self, code: str, *, timeout: TimeoutArg = UNSET, session: Optional[str] = None,
                          echo: bool = True) -> Any:
        """Async :meth:`run_csharp`."""
        return await _scripting.arun(self, code, timeout=timeout, session=session, echo=echo)

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
                         progress: Union[bool, Unset] = UNSET) -> Any:
        """Async :meth:`call_with`."""
        call = self._prepare(command, args, kwargs, timeout, retries, as_frame, progress)
        channel = self._channel()
        completion = await channel.request(call)
        try:
            while (follow := completion.next_call()) is not None:
                completion.add((await channel.request(follow)).value)
        except BaseException:
            for close in completion.close_calls():
                try:
                    await channel.request(close)
                except Exception:  # noqa: BLE001 - best effort; the server also expires it
                    pass
            raise
        return completion.result()

    async def aping(self, *, timeout: TimeoutArg = UNSET) -> str:
        """Async :meth:`ping`."""
        return await self.acall("ping", timeout=timeout)

    async def acommands(self, *, timeout: TimeoutArg = UNSET) -> List[Dict[str, Any]]:
        """Async :meth:`commands`."""
        descriptions = await self.acall("commands", timeout=timeout)
        self._tree = CommandTree(self, list(descriptions or []))
        return descriptions

    async def aclose(self) -> None:
        """Close the client, waiting for this loop's reader task to finish."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - aclose is awaited, so a loop runs
            loop = None
        channel = self._channels.pop(loop, None) if loop is not None else None
        if channel is not None:
            await channel.aclose()
        self.close()

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Close every socket (linger 0) and terminate the client's own context. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            channels, self._channels = list(self._channels.values()), {}
            for channel in channels:
                channel.close()
            for socket in list(self._sockets):
                self._close_socket(socket)
            self._socket = None
            if self._owns_context:
                self._context.term()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - best effort at interpreter exit
        try:
            if not self._closed:
                self.close()
        except Exception:  # noqa: BLE001
            pass

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
            close = difflib.get_close_matches(name, tree.names(), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}, "
                                 f"and {self._endpoint} has no command or namespace of that "
                                 f"name{hint}") from None

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

    # ------------------------------------------------------------------ internals

    def _check_open(self) -> None:
        if self._closed:
            raise TransportError(f"this client of {self._endpoint} is closed")

    def _next_id(self) -> int:
        return next(self._ids)

    def _prepare(self, command: str, args: Sequence[Any], kwargs: Optional[Mapping[str, Any]],
                 timeout: TimeoutArg, retries: Union[int, Unset],
                 as_frame: Union[Optional[bool], Unset] = UNSET,
                 progress: Union[bool, Unset] = UNSET) -> PreparedCall:
        self._check_open()
        check_options(timeout, retries)
        return PreparedCall.prepare(
            endpoint=self._endpoint, service=self._service, command=command, args=args,
            kwargs=kwargs,
            timeout=self.timeout if isinstance(timeout, Unset) else timeout,
            retries=self.retries if isinstance(retries, Unset) else int(retries),
            as_frame=self.as_frame if isinstance(as_frame, Unset) else as_frame,
            progress=self.progress if isinstance(progress, Unset) else bool(progress))

    def _complete(self, call: PreparedCall, completion: TableCompletion) -> Any:
        """Fetches the remaining chunks of chunked tables (``table.next``) into the result."""
        try:
            while (follow := completion.next_call()) is not None:
                completion.add(self._request(follow).value)
        except BaseException:
            for close in completion.close_calls():  # free the server's cursors, best effort
                try:
                    self._request(close)
                except Exception:  # noqa: BLE001 - the server also expires idle cursors
                    pass
            raise
        return completion.result()

    def _open_socket(self, asynchronous: bool = False) -> zmq.Socket:
        with translate_zmq_errors(self._endpoint):
            if asynchronous:
                socket: zmq.Socket = zmq.asyncio.Socket(self._context, zmq.DEALER)
            else:
                socket = self._context.socket(zmq.DEALER)
            self._sockets.add(socket)
            socket.setsockopt(zmq.LINGER, 0)
            if self._curve is not None:
                self._curve.apply(socket)
            self._handshakes[socket] = HandshakeWatch(socket, self._endpoint, self._curve is not None)
            socket.connect(self._endpoint)
        return socket

    def _handshake_error(self, socket: zmq.Socket) -> Optional[AuthenticationError]:
        """Why ``socket``'s handshake with the server failed, as the error to raise; ``None`` if it did not."""
        watch = self._handshakes.get(socket)
        failure = watch.failure() if watch is not None else None
        return None if failure is None else AuthenticationError(failure, endpoint=self._endpoint)

    def _close_socket(self, socket: zmq.Socket, linger: int = 0) -> None:
        watch = self._handshakes.pop(socket, None)
        if watch is not None:
            watch.close()
        self._sockets.discard(socket)
        try:
            socket.close(linger=linger)
        except (zmq.ZMQError, RuntimeError):  # pragma: no cover - closing anyway
            pass

    def _request(self, call: PreparedCall) -> TableCompletion:
        """The sync request loop: send, wait with poll, Lazy Pirate on timeout."""
        attempts = call.retries + 1
        with self._lock:
            for attempt in range(1, attempts + 1):
                self._check_open()
                if self._socket is None:
                    self._socket = self._open_socket()
                socket = self._socket
                request_id = self._next_id()
                deadline = None if call.timeout is None else time.monotonic() + call.timeout
                try:
                    reply = None
                    if self._send(socket, call.frames(request_id), deadline):
                        reply = self._receive(socket, request_id, deadline)
                except BaseException:  # KeyboardInterrupt included: leave a clean socket
                    self._abandon(call, request_id)
                    raise
                if reply is not None:
                    if attempt < attempts and call.never_ran(reply):
                        continue  # a broker had no worker in time; the request never ran
                    return call.decode(reply)
                refused = self._handshake_error(socket)
                self._abandon(call, request_id)
                if refused is not None:
                    raise refused
        raise call.timeout_error(attempts)

    def _send(self, socket: zmq.Socket, frames: List[Any], deadline: Optional[float]) -> bool:
        """Send without blocking past ``deadline``; ``False`` when the deadline passed."""
        with translate_zmq_errors(self._endpoint):
            while True:
                try:
                    socket.send_multipart(frames, flags=zmq.NOBLOCK, copy=False)
                    return True
                except zmq.Again:
                    remaining = _remaining_ms(deadline)
                    if remaining == 0:
                        return False
                    socket.poll(remaining, zmq.POLLOUT)

    def _receive(self, socket: zmq.Socket, request_id: int,
                 deadline: Optional[float]) -> Optional[Reply]:
        """The reply to ``request_id``, or ``None`` at the deadline. Other replies are dropped."""
        with translate_zmq_errors(self._endpoint):
            while True:
                remaining = _remaining_ms(deadline)
                if remaining == 0:
                    return None
                if not socket.poll(remaining, zmq.POLLIN):
                    refused = self._handshake_error(socket)
                    if refused is not None:
                        raise refused  # no reply can come; the caller abandons the socket
                    continue
                reply = parse_reply(socket.recv_multipart(flags=zmq.NOBLOCK, copy=False))
                if reply.id == request_id or (reply.id is None and not reply.ok):
                    # id nil: the server could not read our request's id; ours is the only one.
                    return reply

    def _abandon(self, call: PreparedCall, request_id: int) -> None:
        """Lazy Pirate: tell the server we gave up, then replace the socket."""
        socket, self._socket = self._socket, None
        if socket is None:
            return
        try:
            socket.send_multipart(call.cancel_frames(request_id), flags=zmq.NOBLOCK)
        except zmq.ZMQError:
            pass
        self._close_socket(socket, linger=CANCEL_LINGER_MS)

    def _channel(self) -> AsyncChannel:
        """This event loop's async channel, created on first use."""
        self._check_open()
        loop = asyncio.get_running_loop()
        with self._lock:
            for other in [l for l in self._channels if l.is_closed()]:
                self._channels.pop(other).close()
            channel = self._channels.get(loop)
            if channel is None or channel.closed:
                channel = self._channels[loop] = AsyncChannel(self, loop)
            return channel


def _remaining_ms(deadline: Optional[float]) -> int:
    """Milliseconds to poll: a slice when there is no deadline, 0 once it has passed."""
    if deadline is None:
        return _POLL_SLICE_MS
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return 0
    return max(1, min(_POLL_SLICE_MS, int(remaining * 1000 + 0.999)))


def connect(endpoint: str = DEFAULT_ENDPOINT, *, timeout: Optional[float] = 10.0,
            retries: int = 0, service: str = DEFAULT_SERVICE, as_frame: Optional[bool] = None,
            progress: bool = True, server_key: Optional[KeySource] = None,
            cert: "Optional[Union[str, os.PathLike[str]]]" = None) -> Client:
    """Connect to a ZeroBridge server and return a :class:`Client`.

    ZeroMQ connects in the background, so this returns at once; a server that is not there
    shows as a :class:`zerobridge.TimeoutError` on the first call.

    Args:
        endpoint: the server's ZeroMQ endpoint.
        timeout: default seconds to wait for each reply (``None``: forever).
        retries: default re-sends after a timeout (only for idempotent commands).
        service: the service name sent with each request (matters behind a Majordomo broker).
        server_key: CurveZMQ: the server's public key, its ``NAME.key`` file (or the Z85 key).
            The client then talks only to that server, encrypted; a wrong key raises
            :class:`AuthenticationError` that says the handshake did not complete.
        cert: CurveZMQ: this client's key pair, a ``NAME.key_secret`` file (default: a throwaway
            pair). Needs ``server_key``.
    """
    return Client(endpoint, timeout=timeout, retries=retries, service=service, as_frame=as_frame,
                  progress=progress, server_key=server_key, cert=cert)
