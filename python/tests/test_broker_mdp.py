"""7/MDP and 8/MMI conformance of `zbridge broker`, frame by frame, with peers written from the RFC.

The client and the worker here (mdp_rfc.py) are plain pyzmq written from RFC 7 alone; no zerobridge
code is involved on their side. Each test uses its own service names on one shared broker.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Iterator, List

import msgpack
import pytest
import zmq

import zerobridge
from broker_support import HEARTBEAT, LIVENESS, REQUEST_TIMEOUT, Process, start_broker, wait_until, workers_of
from mdp_rfc import (C_CLIENT, W_DISCONNECT, W_HEARTBEAT, W_READY, W_REPLY, W_REQUEST, W_WORKER,
                     RfcClient, RfcWorker)
from support import recv_multipart

_names = itertools.count()


@pytest.fixture(scope="module")
def broker() -> Iterator[Process]:
    process = start_broker()
    yield process
    process.stop()


@pytest.fixture
def endpoint(broker: Process) -> str:
    return broker.endpoint


@pytest.fixture
def service() -> bytes:
    """A service name no other test uses."""
    return f"rfc.svc{next(_names)}".encode()


@pytest.fixture
def peers(zmq_context: zmq.Context, endpoint: str) -> Iterator[List]:
    made: List = []
    yield made
    for peer in made:
        peer.close()


def worker(peers: List, zmq_context: zmq.Context, endpoint: str) -> RfcWorker:
    w = RfcWorker(zmq_context, endpoint)
    peers.append(w)
    return w


def client(peers: List, zmq_context: zmq.Context, endpoint: str) -> RfcClient:
    c = RfcClient(zmq_context, endpoint)
    peers.append(c)
    return c


def registered(endpoint: str, service: bytes) -> bool:
    return zerobridge.mmi(endpoint, "mmi.service", service.decode())[0] == "200"


def ready(peers: List, zmq_context: zmq.Context, endpoint: str, service: bytes) -> RfcWorker:
    w = worker(peers, zmq_context, endpoint)
    w.ready(service)
    wait_until(lambda: registered(endpoint, service), f"{service!r} is registered")
    return w


def assert_silent(w: RfcWorker, seconds: float) -> None:
    """Nothing at all (not even a heartbeat) reaches ``w`` for ``seconds``."""
    assert w.receive(seconds, skip_heartbeats=False) is None


# --------------------------------------------------------------------------- the request/reply dialog


def test_rfc_client_and_rfc_worker_talk_through_the_broker_frame_by_frame(peers, zmq_context, endpoint, service):
    w = ready(peers, zmq_context, endpoint, service)
    c = client(peers, zmq_context, endpoint)
    c.socket.send_multipart([C_CLIENT, service, b"hello", b"", b"world"])   # body frames are opaque, even empty ones

    request = w.receive()
    assert request is not None
    # Frame 0 empty, "MDPW01", 0x02, client address, empty, body...
    assert request[:3] == [b"", W_WORKER, W_REQUEST]
    assert len(request[3]) > 0 and request[4] == b""
    assert request[5:] == [b"hello", b"", b"world"]

    w.reply(request[3], b"HELLO", b"WORLD")
    assert recv_multipart(c.socket) == [C_CLIENT, service, b"HELLO", b"WORLD"]


def test_dealer_client_gets_the_empty_frame_back(peers, zmq_context, endpoint, service):
    w = ready(peers, zmq_context, endpoint, service)
    dealer = zmq_context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(endpoint)
    try:
        dealer.send_multipart([b"", C_CLIENT, service, b"ping"])
        assert w.serve_echo(1) == 1
        assert recv_multipart(dealer) == [b"", C_CLIENT, service, b"ping"]
    finally:
        dealer.close(linger=0)


def test_requests_wait_for_a_worker_that_registers_later(peers, zmq_context, endpoint, service):
    c = client(peers, zmq_context, endpoint)
    c.socket.send_multipart([C_CLIENT, service, b"early"])
    wait_until(lambda: any(s["service"] == service.decode() and s["queued"] == 1
                           for s in zerobridge.mmi(endpoint, "mmi.services")[1]), "the request is queued")
    w = worker(peers, zmq_context, endpoint)
    w.ready(service)
    assert w.serve_echo(1) == 1
    assert recv_multipart(c.socket) == [C_CLIENT, service, b"early"]


def test_idle_workers_take_requests_least_recently_used_first(peers, zmq_context, endpoint, service):
    first = ready(peers, zmq_context, endpoint, service)
    second = worker(peers, zmq_context, endpoint)
    second.ready(service)
    wait_until(lambda: workers_of(endpoint, service.decode()) == 2, "two workers are registered")
    c = client(peers, zmq_context, endpoint)
    order = []
    for i in range(4):
        c.socket.send_multipart([C_CLIENT, service, str(i).encode()])
        poller = zmq.Poller()
        poller.register(first.socket, zmq.POLLIN)
        poller.register(second.socket, zmq.POLLIN)
        deadline = time.monotonic() + 10
        served = False
        while not served and time.monotonic() < deadline:
            for who, w in (("first", first), ("second", second)):
                frames = w.receive(0.05)
                if frames is not None:
                    w.reply(frames[3], frames[5])
                    order.append(who)
                    served = True
                    break
        assert served, "no worker got the request"
        assert recv_multipart(c.socket)[2] == str(i).encode()
    assert order == ["first", "second", "first", "second"]


# --------------------------------------------------------------------------- heartbeating


def test_broker_heartbeats_a_registered_worker(peers, zmq_context, endpoint, service):
    w = ready(peers, zmq_context, endpoint, service)
    assert w.receive(HEARTBEAT * 4, skip_heartbeats=False) == [b"", W_WORKER, W_HEARTBEAT]


def test_a_silent_worker_is_removed_after_its_liveness(peers, zmq_context, endpoint, service):
    ready(peers, zmq_context, endpoint, service)      # and then never a heartbeat
    wait_until(lambda: not registered(endpoint, service), "the silent worker is removed",
               deadline=HEARTBEAT * LIVENESS * 5)


def test_a_heartbeating_worker_outlives_the_expiry(peers, zmq_context, endpoint, service):
    w = ready(peers, zmq_context, endpoint, service)
    end = time.monotonic() + HEARTBEAT * LIVENESS * 1.5
    while time.monotonic() < end:
        w.heartbeat()
        w.receive(HEARTBEAT, skip_heartbeats=False)
    assert registered(endpoint, service)


# --------------------------------------------------------------------------- the error paths RFC 7 names


@pytest.mark.parametrize("steps", [
    pytest.param([[b"", W_WORKER, W_HEARTBEAT]], id="heartbeat-before-ready"),
    pytest.param([[b"", W_WORKER, W_READY, b"{svc}"], [b"", W_WORKER, W_READY, b"{svc}"]], id="second-ready"),
    pytest.param([[b"", W_WORKER, W_READY, b"{svc}"], [b"", W_WORKER, W_REPLY, b"nobody", b"", b"x"]],
                 id="reply-without-request"),
    pytest.param([[b"", W_WORKER, W_READY, b"{svc}"], [b"", W_WORKER, W_REQUEST, b"c", b"", b"x"]],
                 id="request-from-a-worker"),
    pytest.param([[b"", W_WORKER, W_READY, b"mmi.mine"]], id="ready-for-an-mmi-service"),
])
def test_a_valid_but_unexpected_command_gets_disconnect_and_then_nothing(peers, zmq_context, endpoint, service, steps):
    w = worker(peers, zmq_context, endpoint)
    for frames in steps:
        w.send(*[service if f == b"{svc}" else f for f in frames])
    assert w.receive(5, skip_heartbeats=False) == [b"", W_WORKER, W_DISCONNECT]
    assert not registered(endpoint, service)
    assert_silent(w, HEARTBEAT * 3)     # "and then no further commands"


def test_after_worker_disconnect_the_broker_sends_it_nothing(peers, zmq_context, endpoint, service):
    w = ready(peers, zmq_context, endpoint, service)
    w.disconnect()
    wait_until(lambda: not registered(endpoint, service), "the worker is gone")
    # A heartbeat the broker sent before it read our DISCONNECT may still be on its way; that one is allowed.
    drained = []
    while (message := w.receive(0.05, skip_heartbeats=False)) is not None:
        drained.append(message)
    assert all(m == [b"", W_WORKER, W_HEARTBEAT] for m in drained), drained
    c = client(peers, zmq_context, endpoint)
    c.socket.send_multipart([C_CLIENT, service, b"for nobody"])
    assert_silent(w, HEARTBEAT * 3)
    assert c.socket.poll(int(REQUEST_TIMEOUT * 3000), zmq.POLLIN)
    assert c.socket.recv_multipart()[2] == b"503"


@pytest.mark.parametrize("garbage", [
    pytest.param([b"", W_WORKER, b"\x09"], id="unknown-command"),
    pytest.param([b"", W_WORKER, b"\x01\x02"], id="two-byte-command"),
    pytest.param([b"", W_WORKER, W_HEARTBEAT, b"extra"], id="heartbeat-with-a-body"),
    pytest.param([b"", W_WORKER, W_READY, b"a", b"b"], id="ready-with-two-services"),
    pytest.param([b"", W_WORKER, W_REPLY, b"no-delimiter"], id="reply-without-envelope"),
])
def test_invalid_worker_messages_are_dropped_and_the_peer_treated_as_invalid(peers, zmq_context, endpoint, service, garbage):
    w = ready(peers, zmq_context, endpoint, service)
    w.send(*garbage)
    wait_until(lambda: not registered(endpoint, service), "the invalid worker is dropped")
    # The broker keeps serving everyone else.
    other = f"{service.decode()}-other".encode()
    good = ready(peers, zmq_context, endpoint, other)
    c = client(peers, zmq_context, endpoint)
    c.socket.send_multipart([C_CLIENT, other, b"still"])
    assert good.serve_echo(1) == 1
    assert recv_multipart(c.socket) == [C_CLIENT, other, b"still"]


def test_a_reply_to_another_client_than_the_request_is_refused(peers, zmq_context, endpoint, service):
    w = ready(peers, zmq_context, endpoint, service)
    c = client(peers, zmq_context, endpoint)
    c.socket.send_multipart([C_CLIENT, service, b"x"])
    request = w.receive()
    assert request is not None
    w.reply(b"someone-else", b"stolen")
    wait_until(lambda: not registered(endpoint, service), "the lying worker is dropped")
    # The request's client is told, not left waiting.
    frames = recv_multipart(c.socket)
    assert frames[:3] == [C_CLIENT, service, b"502"]


@pytest.mark.parametrize("frames,kind", [
    pytest.param([b"", b"MDPC01"], zmq.DEALER, id="no-service-frame"),
    pytest.param([b"", b"MDPX99", b"svc", b"x"], zmq.DEALER, id="unknown-signature"),
    pytest.param([b"hello"], zmq.REQ, id="plain-text"),
    pytest.param([b"", b"MDPW01"], zmq.DEALER, id="worker-signature-without-command"),
])
def test_malformed_client_messages_get_a_clear_error_and_the_broker_keeps_serving(zmq_context, endpoint, frames, kind):
    socket = zmq_context.socket(kind)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(endpoint)
    try:
        socket.send_multipart(frames)
        reply = recv_multipart(socket)
        body = json.loads(reply[-1])
        assert body["ok"] is False and body["error"]["code"] == "bad_request"
        assert "Majordomo" in body["error"]["message"] or "service" in body["error"]["message"]
    finally:
        socket.close(linger=0)
    assert zerobridge.mmi(endpoint, "mmi.broker")[0] == "200"


# --------------------------------------------------------------------------- unknown services


def test_a_request_for_a_service_nobody_offers_gets_503_after_the_wait(peers, zmq_context, endpoint):
    c = client(peers, zmq_context, endpoint)
    reply = c.request(b"rfc.nobody-home", b"anyone?", timeout=REQUEST_TIMEOUT * 4)
    assert reply is not None, "the broker must answer, not stay silent"
    assert reply[:3] == [C_CLIENT, b"rfc.nobody-home", b"503"]
    assert b"rfc.nobody-home" in reply[3]


def test_the_bridge_client_gets_service_unavailable_naming_the_service(endpoint):
    with zerobridge.connect(endpoint, service="rfc.absent", timeout=REQUEST_TIMEOUT * 3, retries=1) as c:
        started = time.monotonic()
        with pytest.raises(zerobridge.ServiceUnavailable) as caught:
            c.call("orders.recent", n=1)
    assert caught.value.code == "service_unavailable"
    assert caught.value.service == "rfc.absent"
    assert "rfc.absent" in str(caught.value)
    assert time.monotonic() - started >= REQUEST_TIMEOUT * 2 * 0.9, "retries=1 asks twice"


# --------------------------------------------------------------------------- 8/MMI and the mmi.* additions


def test_mmi_service_answers_200_and_404(peers, zmq_context, endpoint, service):
    c = client(peers, zmq_context, endpoint)
    assert c.request(b"mmi.service", service) == [C_CLIENT, b"mmi.service", b"404"]
    ready(peers, zmq_context, endpoint, service)
    assert c.request(b"mmi.service", service) == [C_CLIENT, b"mmi.service", b"200"]


def test_unimplemented_mmi_services_answer_501(peers, zmq_context, endpoint):
    c = client(peers, zmq_context, endpoint)
    assert c.request(b"mmi.teleport", b"x") == [C_CLIENT, b"mmi.teleport", b"501"]


def test_mmi_services_and_workers_report_counts_and_queue_depth(peers, zmq_context, endpoint, service):
    w = ready(peers, zmq_context, endpoint, service)
    c1, c2 = client(peers, zmq_context, endpoint), client(peers, zmq_context, endpoint)
    c1.socket.send_multipart([C_CLIENT, service, b"one"])
    held = w.receive()                      # the worker holds the first request...
    assert held is not None
    c2.socket.send_multipart([C_CLIENT, service, b"two"])     # ...so the second waits
    name = service.decode()

    def entry():
        return next((s for s in zerobridge.mmi(endpoint, "mmi.services")[1] if s["service"] == name), None)
    wait_until(lambda: entry() == {"service": name, "workers": 1, "idle": 0, "busy": 1, "queued": 1},
               "mmi.services shows one busy worker and one queued request")

    status, detail = zerobridge.mmi(endpoint, "mmi.workers", name)
    assert status == "200" and detail["queued"] == 1
    assert len(detail["workers"]) == 1 and detail["workers"][0]["busy"] is True
    assert zerobridge.mmi(endpoint, "mmi.workers", "rfc.no-such")[0] == "404"

    status, counters = zerobridge.mmi(endpoint, "mmi.broker")
    assert status == "200" and counters["workers"] >= 1 and counters["requests"] >= 2

    w.reply(held[3], b"one")
    assert w.serve_echo(1) == 1
    assert recv_multipart(c1.socket)[2] == b"one"
    assert recv_multipart(c2.socket)[2] == b"two"


def test_mmi_idempotent_is_only_for_registered_workers(peers, zmq_context, endpoint):
    c = client(peers, zmq_context, endpoint)
    assert c.request(b"mmi.idempotent", b"orders.get") == [C_CLIENT, b"mmi.idempotent", b"404"]
