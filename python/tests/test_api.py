"""The public surface, protocol frames and client mechanics against an in-process fake server."""

from __future__ import annotations

import asyncio
import builtins
import inspect
import threading
from typing import Any, Callable, Dict, List, Optional

import msgpack
import pytest
import zmq

import zerobridge
from zerobridge import _exceptions
from zerobridge._commands import CommandTree
from zerobridge._protocol import build_cancel, build_request, parse_reply
from support import unlistened_endpoint


def test_all_is_sorted_and_complete():
    assert zerobridge.__all__ == sorted(zerobridge.__all__)
    public = {name for name in vars(zerobridge) if not name.startswith("_")} - {
        # submodules that importing the package binds as attributes
        name for name, value in vars(zerobridge).items() if inspect.ismodule(value)}
    assert public | {"__version__"} == set(zerobridge.__all__)
    for name in zerobridge.__all__:
        assert getattr(zerobridge, name) is not None


def test_exception_tree():
    assert issubclass(zerobridge.TimeoutError, zerobridge.TransportError)
    assert issubclass(zerobridge.TimeoutError, builtins.TimeoutError)
    for cls in (zerobridge.TransportError, zerobridge.ProtocolError, zerobridge.RemoteError,
                zerobridge.SerializationError):
        assert issubclass(cls, zerobridge.ZeroBridgeError)
    for cls in (zerobridge.CommandNotFound, zerobridge.InvalidArgument, zerobridge.NotFound,
                zerobridge.PermissionDenied, zerobridge.RemoteTimeout,
                zerobridge.RequestTooLarge):
        assert issubclass(cls, zerobridge.RemoteError)
    assert "TimeoutError" in zerobridge.__doc__ and "RemoteError" in zerobridge.__doc__


def test_remote_error_from_map_picks_the_subclass_and_keeps_the_stack():
    error = _exceptions.remote_error_from_map({
        "code": "unknown_command", "type": "ZeroBridge.CommandNotFoundException",
        "message": "Unknown command 'orders.recnt'.", "stack": "   at X.Y()",
        "details": {"command": "orders.recnt", "suggestions": ["orders.recent"]}})
    assert isinstance(error, zerobridge.CommandNotFound)
    assert error.suggestions == ["orders.recent"] and error.command == "orders.recnt"
    assert "orders.recent" in str(error) and "CommandNotFoundException" in str(error)
    assert error.remote_stack == "   at X.Y()"
    if hasattr(error, "__notes__"):
        assert "at X.Y()" in error.__notes__[0]
    assert type(_exceptions.remote_error_from_map({"code": "weird"})) is zerobridge.RemoteError


def test_request_and_cancel_frames():
    frames = build_request("zerobridge", 7, "orders.recent", b"\x92\x90\x80", [b"att"],
                           timeout_ms=1500)
    assert frames[:3] == [b"", b"MDPC01", b"zerobridge"]
    assert msgpack.unpackb(frames[3]) == {"v": 1, "id": 7, "cmd": "orders.recent",
                                          "timeout": 1500, "accept": ["dict"]}
    assert frames[4:] == [b"\x92\x90\x80", b"att"]
    cancel = build_cancel("zerobridge", 7)
    assert len(cancel) == 4 and msgpack.unpackb(cancel[3]) == {"v": 1, "id": 7, "cancel": True}


@pytest.mark.parametrize("frames", [
    [b""], [b"", b"MDPC02", b"s", msgpack.packb({"v": 1, "id": 1, "ok": True})],
    [b"", b"MDPC01", b"s", b"\xc1"], [b"", b"MDPC01", b"s", msgpack.packb([1])],
    [b"", b"MDPC01", b"s", msgpack.packb({"v": 2, "id": 1, "ok": True})],
    [b"", b"MDPC01", b"s", msgpack.packb({"v": 1, "id": 1})],
])
def test_parse_reply_rejects_what_is_not_a_reply(frames):
    with pytest.raises(zerobridge.ProtocolError):
        parse_reply(frames)


def test_parse_reply_without_delimiter():
    reply = parse_reply([b"MDPC01", b"s", msgpack.packb({"v": 1, "id": 3, "ok": True}),
                         msgpack.packb("x"), b"a0"])
    assert (reply.id, reply.ok, reply.attachments) == (3, True, [b"a0"])


# --------------------------------------------------------------------------- a fake server

Handler = Callable[[Dict[str, Any], Any], Optional[List[Any]]]


class FakeServer:
    """A ROUTER in a thread: ``handler(header, args)`` returns the replies (header, payload)."""

    def __init__(self, handler: Handler, endpoint: Optional[str] = None) -> None:
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.ROUTER)
        self.socket.setsockopt(zmq.LINGER, 0)
        if endpoint is None:
            self.endpoint = f"tcp://127.0.0.1:{self.socket.bind_to_random_port('tcp://127.0.0.1')}"
        else:
            self.socket.bind(endpoint)
            self.endpoint = endpoint
        self.handler = handler
        self.received: List[Dict[str, Any]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            if not self.socket.poll(20):
                continue
            frames = self.socket.recv_multipart()
            envelope, body = frames[:2], frames[2:]
            header = msgpack.unpackb(body[2])
            args = msgpack.unpackb(body[3]) if len(body) > 3 else None
            self.received.append(header)
            for reply_header, payload in self.handler(header, args) or []:
                self.socket.send_multipart(envelope + [b"MDPC01", body[1],
                                           msgpack.packb(reply_header), msgpack.packb(payload)])

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)
        self.socket.close(linger=0)
        self.context.term()


@pytest.fixture
def fake():
    servers: List[FakeServer] = []

    def start(handler: Handler) -> FakeServer:
        servers.append(FakeServer(handler))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def ok(header, value):
    return ({"v": 1, "id": header["id"], "ok": True}, value)


def test_stale_replies_are_discarded_by_id(fake):
    def handler(header, args):
        if header.get("cancel"):
            return None
        return [({"v": 1, "id": 999999, "ok": True}, "stale"), ok(header, "fresh")]

    server = fake(handler)
    with zerobridge.connect(server.endpoint, timeout=5) as client:
        assert client.call("anything") == "fresh"
        assert client.call("anything", 1, a=2) == "fresh"


def test_timeout_sends_cancel_and_the_next_call_uses_a_fresh_socket(fake):
    silent = {"slow"}

    def handler(header, args):
        if header.get("cancel") or header.get("cmd") in silent:
            return None
        return [ok(header, args)]

    server = fake(handler)
    with zerobridge.connect(server.endpoint, timeout=0.3, retries=0) as client:
        with pytest.raises(zerobridge.TimeoutError) as info:
            client.call("slow")
        assert server.endpoint in str(info.value) and "'slow'" in str(info.value)
        assert "0.3" in str(info.value)
        assert info.value.command == "slow" and info.value.seconds == 0.3
        assert client.call("echo", 1, k="v", timeout=5) == [[1], {"k": "v"}]
    slow = next(h for h in server.received if h.get("cmd") == "slow")
    assert slow["timeout"] == 1300  # the client's deadline plus the server grace
    cancels = [h for h in server.received if h.get("cancel")]
    assert cancels == [{"v": 1, "id": slow["id"], "cancel": True}]


def test_retries_resend_with_new_ids(fake):
    server = fake(lambda header, args: None)
    with zerobridge.connect(server.endpoint, timeout=0.2, retries=2) as client:
        with pytest.raises(zerobridge.TimeoutError, match="tried 3 times"):
            client.call("never")
    requests = [h for h in server.received if not h.get("cancel")]
    assert len(requests) == 3 and len({h["id"] for h in requests}) == 3


def test_nil_id_error_answers_the_request_in_flight(fake):
    server = fake(lambda header, args: [({"v": 1, "id": None, "ok": False},
                                         {"code": "too_large", "type": "", "message": "big",
                                          "details": {"limit": 1, "size": 2}})])
    with zerobridge.connect(server.endpoint, timeout=5) as client:
        with pytest.raises(zerobridge.RequestTooLarge) as info:
            client.call("x")
        assert info.value.details == {"limit": 1, "size": 2}


def test_async_calls_are_matched_by_id_whatever_the_reply_order(fake):
    held: List[Any] = []

    def handler(header, args):
        if header.get("cancel"):
            return None
        held.append(ok(header, args[0][0]))
        if len(held) < 5:
            return None
        replies = list(reversed(held))
        held.clear()
        return replies

    server = fake(handler)

    async def main(client):
        return await asyncio.gather(*(client.acall("n", i) for i in range(5)))

    with zerobridge.connect(server.endpoint, timeout=5) as client:
        assert asyncio.run(main(client)) == list(range(5))


def test_nothing_listening_times_out_naming_the_endpoint():
    with unlistened_endpoint() as endpoint, zerobridge.connect(endpoint, timeout=0.2) as client:
        with pytest.raises(zerobridge.TimeoutError, match=endpoint.replace(".", r"\.")):
            client.ping()
        with pytest.raises(TimeoutError):  # the builtin catches it too

            asyncio.run(client.aping())


def test_lazy_pirate_reaches_a_server_that_comes_up_later():
    client = None
    try:
        with unlistened_endpoint() as endpoint:
            client = zerobridge.connect(endpoint, timeout=0.2)
            with pytest.raises(zerobridge.TimeoutError):
                client.ping()
        # The port is released here and bound again at once by this process, before the server's thread starts:
        # the server comes up where the client keeps knocking.
        server = FakeServer(lambda header, args: None if header.get("cancel") else [ok(header, "pong")],
                            endpoint=endpoint)
        try:
            assert client.ping(timeout=5) == "pong"
        finally:
            server.close()
    finally:
        if client is not None:
            client.close()


def test_closed_client_refuses_calls():
    with unlistened_endpoint() as endpoint:
        client = zerobridge.connect(endpoint)
    with client:
        pass
    assert client.closed
    with pytest.raises(zerobridge.TransportError, match="closed"):
        client.ping()
    client.close()  # idempotent


def test_bad_options_and_endpoints():
    with pytest.raises(ValueError):
        zerobridge.connect("tcp://127.0.0.1:1", timeout=0)
    with pytest.raises(zerobridge.TransportError):
        zerobridge.connect("nonsense://where")


def test_unencodable_argument_raises_before_sending():
    with unlistened_endpoint() as endpoint, zerobridge.connect(endpoint, timeout=0.2) as client:
        with pytest.raises(zerobridge.SerializationError):
            client.call("echo", object())


DESCRIPTIONS = [
    {"name": "orders.recent", "description": "The most recent orders, newest first.",
     "parameters": [{"name": "n", "type": "int", "clr_type": "Int32", "required": False,
                     "default": 10, "nullable": False, "description": "How many orders."}],
     "returns": "DataFrame", "clr_returns": "IReadOnlyList<Order>"},
    {"name": "orders.get", "description": "One order.", "parameters": [
        {"name": "id", "type": "int", "clr_type": "Int32", "required": True,
         "nullable": False, "description": ""}], "returns": "dict", "clr_returns": "Order"},
    {"name": "ping", "description": "", "parameters": [], "returns": "str"},
]


def test_command_tree_builds_signatures_and_docstrings():
    tree = CommandTree(None, DESCRIPTIONS)  # type: ignore[arg-type]
    recent = tree.root.orders.recent
    signature = inspect.signature(recent)
    assert str(signature) == "(n: int = 10) -> DataFrame"
    assert signature.parameters["n"].default == 10
    assert signature.parameters["n"].annotation == "int"
    assert "The most recent orders, newest first." in recent.__doc__
    assert "How many orders." in recent.__doc__
    assert recent.__name__ == "recent" and recent.__qualname__ == "orders.recent"
    assert dir(tree.root.orders) == ["get", "recent"]
    assert tree.names() == ["orders", "ping"]
    with pytest.raises(AttributeError, match="recent"):
        tree.root.orders.recnt
