"""A Majordomo (7/MDP) worker: Python functions served as a service of a broker (protocol.md §9).

::

    worker = zerobridge.Worker("tcp://broker:5555", "maths")

    @worker.command()
    def add(a: int, b: int = 1) -> int:
        "Adds two numbers."
        return a + b

    worker.run()            # or: with worker: ...  (serves on a background thread)

Clients call it like any ZeroBridge command: ``zerobridge.connect(broker, service="maths").add(a=1)``.
:class:`AsyncWorker` is the asyncio twin (``await worker.run()``); its coroutine commands run on
the event loop that runs it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import socket as _socket
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar, Union

import msgpack
import zmq

from ._allow_list import AllowList, Caller, Permissions
from ._caller import serving
from ._codec import Encoder
from ._dispatch import Dispatcher, Failure, HeaderFailure, parse_request_header, type_name
from ._exceptions import ProtocolError
from ._security import CertificatePath, CurveClient, KeySource
from ._protocol import (SIGNATURE, ErrorCode, build_reply_header, build_request, error_map,
                        parse_reply, UNPACK_ERRORS)
from ._threads import serve_in_daemon_thread

__all__ = ["AsyncWorker", "Worker"]

_log = logging.getLogger("zerobridge.worker")

WORKER_SIGNATURE = b"MDPW01"
READY, REQUEST, REPLY, HEARTBEAT, DISCONNECT = (bytes([c]) for c in range(1, 6))
IDEMPOTENT_SERVICE = b"mmi.idempotent"

_WIRE_TYPES = {int: "int", float: "float", str: "str", bool: "bool", bytes: "bytes",
               dict: "dict", list: "list", type(None): "None"}


_W = TypeVar("_W", bound="_ServiceWorker")


class _Command:
    def __init__(self, name: str, function: Callable[..., Any], idempotent: bool) -> None:
        self.name = name
        self.function = function
        self.idempotent = idempotent
        self.signature = inspect.signature(function)

    def describe(self) -> Dict[str, Any]:
        """The description the ``commands`` built-in sends (protocol.md §5)."""
        parameters = []
        for p in self.signature.parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            entry: Dict[str, Any] = {
                "name": p.name, "type": _type_name(p.annotation), "clr_type": _type_name(p.annotation),
                "required": p.default is p.empty, "nullable": p.default is None,
                "description": None}
            if p.default is not p.empty:
                entry["default"] = p.default
            parameters.append(entry)
        returns = _type_name(self.signature.return_annotation)
        return {"name": self.name, "description": inspect.getdoc(self.function),
                "parameters": parameters, "returns": returns, "clr_returns": returns,
                "idempotent": self.idempotent}


def _type_name(annotation: Any) -> str:
    if annotation is inspect.Parameter.empty:
        return "Any"
    if isinstance(annotation, str):
        return annotation
    return _WIRE_TYPES.get(annotation, getattr(annotation, "__name__", str(annotation)))


class _ServiceWorker:
    """What :class:`Worker` and :class:`AsyncWorker` share: the arguments, the commands, their
    dispatch and the counters. The socket session runs on a thread of its own in both."""

    def __init__(self, endpoint: str, service: str, *, heartbeat: float = 2.5, liveness: int = 3,
                 reconnect_delay: float = 0.25, max_reconnect_delay: float = 4.0,
                 include_stack: bool = True, context: Optional[zmq.Context] = None,
                 server_key: Optional[KeySource] = None, cert: Optional[CertificatePath] = None,
                 allow_list: Union[str, "os.PathLike[str]", None] = None) -> None:
        if not service or service.startswith("mmi."):
            raise ValueError(f"{service!r} cannot be a service name: it is empty or in the "
                             "broker's reserved 'mmi.' namespace")
        if heartbeat <= 0 or liveness < 1:
            raise ValueError("heartbeat must be positive and liveness at least 1")
        self.endpoint = endpoint
        self.service = service
        self.heartbeat = heartbeat
        self.liveness = liveness
        self.reconnect_delay = reconnect_delay
        self.max_reconnect_delay = max_reconnect_delay
        self.include_stack = include_stack
        self._curve = CurveClient.configure(server_key, cert)
        self._proves = self._curve is not None and cert is not None  # prove the key before READY
        self._allow_list = AllowList(allow_list) if allow_list is not None else None
        self._context = context or zmq.Context.instance()
        self._commands: Dict[str, _Command] = {}
        self._dispatcher = Dispatcher(include_stack=include_stack)
        self._dispatcher.add("ping", lambda: "pong")
        self._dispatcher.add("commands", self._describe)
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.registrations = 0
        """How many times the worker sent READY (1, plus one per reconnection)."""
        self.served = 0
        """How many requests the worker answered."""
        self._loop: Optional[asyncio.AbstractEventLoop] = None  # AsyncWorker: where coroutines run

    # ------------------------------------------------------------------ registration

    def add(self: _W, name: str, function: Callable[..., Any], *, idempotent: bool = False) -> _W:
        """Register ``function`` as command ``name``; ``idempotent=True`` lets the broker re-send
        the request to another worker if this one dies while running it."""
        if not name or any(c.isspace() for c in name) or name in ("ping", "commands"):
            raise ValueError(f"{name!r} is not a valid command name (or is built in)")
        if name in self._commands:
            raise ValueError(f"a command named {name!r} is already registered")
        self._commands[name] = _Command(name, function, idempotent)
        self._dispatcher.add(name, function)
        return self

    def command(self, name: Optional[str] = None, *, idempotent: bool = False
                ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator form of :meth:`add`; the name defaults to the function's."""
        def register(function: Callable[..., Any]) -> Callable[..., Any]:
            self.add(name or function.__name__, function, idempotent=idempotent)
            return function
        return register

    # ------------------------------------------------------------------ requests

    def handle(self, body: Sequence[bytes], caller: Optional[Caller] = None) -> List[bytes]:
        """Turn one request body (header, arguments, attachments) into its reply body.

        ``caller``: the client the broker stamped on the request; with an ``allow_list`` its key's
        ``commands`` must permit the command (the built-ins are always allowed).
        """
        try:
            request_id, command = parse_request_header(body)
            self._check_permission(command, caller, request_id)
        except HeaderFailure as failure:
            outcome = self._dispatcher.failure("", failure)
            return [build_reply_header(failure.request_id, False), *outcome.body]
        with serving(caller):
            outcome = self._dispatcher.run(command, body[1:], self._loop)
        return [build_reply_header(request_id, outcome.ok), *outcome.body]

    def _check_permission(self, command: str, caller: Optional[Caller], request_id: Any) -> None:
        """Refuse a command the stamped caller's key may not call (docs/security.md, "Broker"). With
        an allow-list, a request with no caller stamped on it (a broker without an allow-list) runs
        only the built-ins: a broker started without its allow-list opens nothing."""
        if self._allow_list is None or command in ("ping", "commands"):
            return
        if caller is None:
            raise HeaderFailure(f"'{command}' is refused: this worker has an allow-list, and the broker stamped no "
                                "authenticated caller on the request (the broker has no allow-list).", request_id,
                                ErrorCode.PERMISSION_DENIED)
        found = self._allow_list.find(caller.key)
        permissions = found[1] if found is not None else Permissions()
        if not permissions.allows_command(command):
            raise HeaderFailure(f"{caller.name or caller.key} may not call '{command}': no pattern in its "
                                 "certificate's 'commands' matches it.", request_id,
                                 ErrorCode.PERMISSION_DENIED)

    def _describe(self) -> List[Dict[str, Any]]:
        """The ``commands`` built-in: every command's description, sorted by name."""
        builtin = [{"name": "commands", "description": "Lists every command.", "parameters": [],
                    "returns": "list", "clr_returns": "list"},
                   {"name": "ping", "description": "Checks that the worker is alive.",
                    "parameters": [], "returns": "str", "clr_returns": "str"}]
        return sorted(builtin + [c.describe() for c in self._commands.values()],
                      key=lambda d: d["name"])


class Worker(_ServiceWorker):
    """Serves Python functions as one service of a Majordomo broker; :meth:`run` blocks,
    :meth:`start` serves on a background thread.

    Args:
        endpoint: the broker's endpoint, e.g. ``"tcp://broker:5555"``.
        service: the service name clients ask for (not in the broker's ``mmi.`` namespace).
        heartbeat: seconds between heartbeats; MUST match the broker's (default 2.5).
        liveness: missed heartbeats before the worker reconnects (default 3).
        reconnect_delay: first wait before reconnecting; doubles up to ``max_reconnect_delay``.
        include_stack: whether error replies carry the Python traceback.
        server_key: CurveZMQ: the broker's public key, its ``NAME.key`` file (or the Z85 key);
            the worker then talks only to that broker, encrypted (``docs/security.md``).
        cert: CurveZMQ: this worker's key pair, a ``NAME.key_secret`` file (default: a
            throwaway pair). Needs ``server_key``. Given one, the worker proves its key to the
            broker before READY, as a broker with an allow-list requires (its ``services`` must
            permit ``service``).
        allow_list: a directory of client ``NAME.key`` files: the callers a broker stamps on
            requests may then run only what their key's ``commands`` permit (the built-ins
            always; nothing for a key not on the list, nor for a request the broker stamped no
            caller on: a broker without an allow-list). Commands read the caller with
            :func:`zerobridge.current_caller` either way (``docs/security.md``, "Broker").

    Each command runs on a helper thread while the socket thread keeps heartbeating, so a long
    command never makes the broker think the worker died. When the broker goes silent, or says
    DISCONNECT (a restarted broker does that to workers it does not know), the worker opens a new
    socket and registers again. Like every MDP worker it runs one request at a time; start several
    workers for more.
    """

    # ------------------------------------------------------------------ lifetime

    def start(self) -> "Worker":
        """Serve on a background (daemon) thread; returns at once."""
        if self._thread is not None:
            raise RuntimeError("this worker was already started")
        self._thread = threading.Thread(target=self.run, name=f"zerobridge worker {self.service}",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Say DISCONNECT and stop serving (waits up to ``timeout`` for a running command)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def __enter__(self) -> "Worker":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def run(self) -> None:
        """Serve until :meth:`stop` (or Ctrl-C); blocks."""
        _Session(self).run()


class AsyncWorker(_ServiceWorker):
    """The asyncio :class:`Worker`: the same arguments and registration, awaited lifetime::

        worker = zerobridge.AsyncWorker(broker, "maths")

        @worker.command()
        async def add(a: int, b: int = 1) -> int:
            return a + b

        await worker.run()          # or: async with worker: ...

    Coroutine functions run on the event loop that runs the worker (so they may share its
    state); plain functions on a helper thread, as with :class:`Worker`. Cancelling :meth:`run`
    stops the worker (it says DISCONNECT) and re-raises ``CancelledError``.
    """

    _task: "Optional[asyncio.Task[None]]" = None

    async def start(self) -> "AsyncWorker":
        """Serve in a task of the running loop; returns at once."""
        if self._task is not None:
            raise RuntimeError("this worker was already started")
        self._task = asyncio.get_running_loop().create_task(
            self.run(), name=f"zerobridge worker {self.service}")
        return self

    async def stop(self, timeout: float = 5.0) -> None:
        """Say DISCONNECT and stop serving (waits up to ``timeout`` for a running command)."""
        self._stop.set()
        if self._task is not None:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)

    async def __aenter__(self) -> "AsyncWorker":
        return await self.start()

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.stop()

    async def run(self) -> None:
        """Serve until :meth:`stop` or cancellation."""
        self._loop = asyncio.get_running_loop()
        await serve_in_daemon_thread(_Session(self).run, self._stop, f"zerobridge worker {self.service}")


_HELLO_ID, _PROVE_ID = 1, 2  # request ids of the proof on a worker connection
_REFUSAL_DELAY, _MAX_REFUSAL_DELAY = 0.25, 4.0  # seconds before registering again after a refused READY


def _stamped_caller(frame: bytes) -> Caller:
    """The client identity a broker stamped on a request: ``{"key": str, "name": str|nil}``."""
    try:
        identity = msgpack.unpackb(frame, raw=False)
    except UNPACK_ERRORS:
        identity = None
    if not isinstance(identity, dict) or not isinstance(identity.get("key"), str):
        return Caller(key="", name=None)  # unreadable: a caller no allow-list knows
    name = identity.get("name")
    return Caller(identity["key"], name if isinstance(name, str) else None)


class _Session:
    """The socket loop of one :class:`Worker.run`: heartbeats, requests, reconnections."""

    def __init__(self, worker: _ServiceWorker) -> None:
        self.worker = worker
        self.socket: Optional[zmq.Socket] = None
        self.broker_expiry = 0.0
        self.next_heartbeat = 0.0
        self.reconnect_at = 0.0
        self.delay = 0.0
        # A running command; its thread wakes the loop through this socket pair when done.
        self.running: Optional[threading.Thread] = None
        self.outcome: Optional[Tuple[zmq.Socket, bytes, List[bytes]]] = None
        self.wake_read, self.wake_write = _socket.socketpair()
        self.wake_read.setblocking(False)
        self.registered = False
        self.accepted = False  # the broker sent HEARTBEAT or REQUEST since READY: it took the registration
        self.refusal_delay = 0.0  # the wait after the next refused READY; grows while READY is refused

    @property
    def expiry(self) -> float:
        return self.worker.heartbeat * self.worker.liveness

    def run(self) -> None:
        worker = self.worker
        try:
            while not worker._stop.is_set():
                now = time.monotonic()
                if self.socket is None and now >= self.reconnect_at and self.running is None:
                    self.connect()  # not while a command runs: a new broker would send it a second
                poller = zmq.Poller()
                poller.register(self.wake_read, zmq.POLLIN)
                if self.socket is not None:
                    poller.register(self.socket, zmq.POLLIN)
                    wait = min(self.next_heartbeat, self.broker_expiry) - now
                else:
                    wait = self.reconnect_at - now
                events = dict(poller.poll(max(1, int(min(max(wait, 0.0), 0.1) * 1000))))
                if self.wake_read.fileno() in events:
                    self.finish()
                if self.socket is not None and self.socket in events:
                    self.receive()
                now = time.monotonic()
                if self.socket is None:
                    continue
                if now >= self.broker_expiry:
                    self.delay = min(max(self.delay * 2, worker.reconnect_delay), worker.max_reconnect_delay)
                    self.reconnect(self.delay, f"the broker sent nothing for {self.expiry:g} s")
                elif now >= self.next_heartbeat and self.registered:  # no HEARTBEAT before READY
                    self.send(HEARTBEAT)
        finally:
            if self.running is not None:
                self.running.join(5.0)
                self.finish()
            if self.socket is not None:
                self.send(DISCONNECT)
                self.socket.close(linger=100)
                self.socket = None
            self.wake_read.close()
            self.wake_write.close()

    def connect(self) -> None:
        worker = self.worker
        socket = worker._context.socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        if worker._curve is not None:
            worker._curve.apply(socket)
        socket.connect(worker.endpoint)
        self.socket = socket
        now = time.monotonic()
        self.broker_expiry = now + self.expiry
        self.registered = False
        if worker._proves:
            self.request_proof(_HELLO_ID, "auth.hello", {})
        else:
            self.register()

    def register(self) -> None:
        """READY, then the idempotent commands (docs/protocol.md §9)."""
        worker = self.worker
        assert self.socket is not None
        self.registered = True
        self.accepted = False
        self.send(READY, worker.service.encode("utf-8"))
        worker.registrations += 1
        idempotent = [name.encode("utf-8") for name, c in worker._commands.items() if c.idempotent]
        if idempotent:
            self.socket.send_multipart([b"", SIGNATURE, IDEMPOTENT_SERVICE, *idempotent])

    def request_proof(self, request_id: int, command: str, kwargs: Dict[str, Any]) -> None:
        """One request of the client proof (docs/protocol.md §15), as a client sends it."""
        assert self.socket is not None
        encoder = Encoder(attachment_threshold=None)
        frames = build_request(self.worker.service, request_id, command, encoder.pack([[], kwargs]),
                               timeout_ms=int(self.expiry * 1000))
        self.socket.send_multipart(frames)

    def on_proof_reply(self, frames: List[bytes]) -> None:
        """The broker's answers to ``auth.hello`` and ``auth.prove``: prove, then register."""
        worker = self.worker
        if self.registered or worker._curve is None:
            return
        try:
            reply = parse_reply(frames)
            answer = msgpack.unpackb(reply.payload, raw=False)
        except (ProtocolError, *UNPACK_ERRORS) as exc:
            _log.warning("worker for %r: an unreadable answer to the proof: %s", worker.service, exc)
            return
        if not reply.ok:
            code = answer.get("code") if isinstance(answer, dict) else None
            if reply.id == _HELLO_ID and code == ErrorCode.BAD_REQUEST:
                self.register()  # a broker without an allow-list: nothing to prove
                return
            message = answer.get("message") if isinstance(answer, dict) else answer
            _log.error("worker for %r: the broker refused this worker's key %s: %s", worker.service,
                       worker._curve.public_key.decode("ascii"), message)
            return  # no READY; the connection is renewed when the broker's silence expires
        if reply.id == _HELLO_ID and isinstance(answer, dict) and isinstance(answer.get("challenge"), bytes):
            self.request_proof(_PROVE_ID, "auth.prove", worker._curve.proof(answer["challenge"]))
        elif reply.id == _PROVE_ID:
            self.register()

    def reconnect(self, delay: float, why: str) -> None:
        _log.warning("worker for %r: %s; reconnecting to %s in %.2f s", self.worker.service, why,
                     self.worker.endpoint, delay)
        if self.socket is not None:
            self.socket.close(linger=0)
            self.socket = None
        self.reconnect_at = time.monotonic() + delay

    def send(self, command: bytes, *frames: bytes) -> None:
        assert self.socket is not None
        try:
            self.socket.send_multipart([b"", WORKER_SIGNATURE, command, *frames], flags=zmq.NOBLOCK)
        except zmq.Again:
            _log.warning("worker for %r: the broker is not reading; a %r was dropped",
                         self.worker.service, command)
        self.next_heartbeat = time.monotonic() + self.worker.heartbeat

    def receive(self) -> None:
        assert self.socket is not None
        try:
            frames = self.socket.recv_multipart(flags=zmq.NOBLOCK)
        except zmq.Again:
            return
        self.broker_expiry = time.monotonic() + self.expiry  # any message is a heartbeat
        self.delay = 0.0
        if len(frames) >= 5 and frames[0] == b"" and frames[1] == SIGNATURE \
                and frames[2] != IDEMPOTENT_SERVICE:
            self.on_proof_reply(frames)
            return
        if len(frames) >= 2 and frames[0] == b"" and frames[1] == SIGNATURE:
            if len(frames) < 4 or frames[3] != b"200":
                _log.warning("worker for %r: the broker did not accept the idempotent commands",
                             self.worker.service)
            return
        if len(frames) < 3 or frames[0] != b"" or frames[1] != WORKER_SIGNATURE:
            _log.warning("worker for %r: dropped a message that is not MDP/Worker", self.worker.service)
            return
        command = frames[2]
        if command in (REQUEST, HEARTBEAT):
            self.accepted, self.refusal_delay = True, 0.0
        # An authenticating broker puts the client's identity frame between its address and the empty frame.
        stamped = len(frames) >= 7 and frames[4] != b"" and frames[5] == b""
        if command == REQUEST and len(frames) >= 6 and (frames[4] == b"" or stamped):
            if self.running is not None:
                _log.warning("worker for %r: a second request before the first was answered; dropped",
                             self.worker.service)
                return
            self.start(self.socket, frames[3], frames[6:] if stamped else frames[5:],
                       _stamped_caller(frames[4]) if stamped else None)
        elif command == DISCONNECT and self.registered and not self.accepted:
            # The answer to READY: the broker refused the registration (the key may not serve the service). It
            # will refuse again, so wait longer each time rather than reconnect at once and fill its log.
            delay = self.refusal_delay or _REFUSAL_DELAY
            self.refusal_delay = min(delay * 2, _MAX_REFUSAL_DELAY)
            self.reconnect(delay, "the broker refused READY (DISCONNECT)")
        elif command == DISCONNECT:  # e.g. a restarted broker that does not know this worker: at once
            self.reconnect(0.0, "the broker said DISCONNECT")
        elif command != HEARTBEAT:
            _log.warning("worker for %r: dropped an unexpected MDP command %r", self.worker.service, command)

    def start(self, socket: zmq.Socket, client: bytes, body: List[bytes],
              caller: Optional[Caller] = None) -> None:
        def work() -> None:
            try:
                reply = self.worker.handle(body, caller)
            except BaseException as exc:  # noqa: BLE001 - must always answer
                reply = [build_reply_header(None, False), msgpack.packb(
                    error_map(ErrorCode.INTERNAL, str(exc), type_name=type_name(exc)),
                    use_bin_type=True)]
            self.outcome = (socket, client, reply)
            self.wake_write.send(b"x")

        self.running = threading.Thread(target=work, name=f"zerobridge {self.worker.service} command",
                                        daemon=True)
        self.running.start()

    def finish(self) -> None:
        try:
            while self.wake_read.recv(64):
                pass
        except (BlockingIOError, OSError):
            pass
        outcome, self.outcome = self.outcome, None
        if outcome is None:
            return
        if self.running is not None:
            self.running.join()
            self.running = None
        socket, client, reply = outcome
        if socket is not self.socket:
            _log.warning("worker for %r: a reply was dropped: the broker connection was replaced "
                         "while the command ran", self.worker.service)
            return
        self.worker.served += 1
        self.send(REPLY, client, b"", *reply)
