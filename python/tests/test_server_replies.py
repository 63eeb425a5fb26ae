"""Replies the server owes whatever the command does: at its own deadline, at shutdown, for a result it cannot
write, and what a frame over the transport limit costs (that connection, nothing else). Raw sockets, so what is
checked is the server's reply and not the client's reading of a silence."""

from __future__ import annotations

import pytest
import zmq
from zmq.utils.monitor import recv_monitor_message

from support import RECV_TIMEOUT, mdp_reply, mdp_request, probe_tag, raw_ping, recv_multipart

DEADLINE_MS = 300


def _error_reply(socket: zmq.Socket, request_id: int) -> dict:
    header, payload = mdp_reply(recv_multipart(socket))
    assert header["id"] == request_id and header["ok"] is False, (header, payload)
    return payload


def test_a_deadline_that_passes_while_the_command_runs_gets_a_timeout_reply(raw_socket, client):
    tag = probe_tag()
    socket = raw_socket()
    try:
        # The hold would run for 30 s; only the server's own deadline can answer within RECV_TIMEOUT.
        socket.send_multipart(mdp_request({"v": 1, "id": 7, "cmd": "probe.hold", "timeout": DEADLINE_MS}, [[tag], {}]))
        error = _error_reply(socket, 7)
        assert error["code"] == "timeout", error
        assert client.call("probe.cancellations", tag, at_least=1, seconds=RECV_TIMEOUT / 2) == 1
    finally:
        client.call("probe.release", tag)


def test_a_deadline_gets_a_timeout_reply_even_when_the_command_ignores_its_token(raw_socket, client):
    tag = probe_tag()
    socket = raw_socket()
    try:
        socket.send_multipart(mdp_request({"v": 1, "id": 8, "cmd": "probe.hold_ignoring_token", "timeout": DEADLINE_MS},
                                          [[tag], {}]))
        assert _error_reply(socket, 8)["code"] == "timeout"
    finally:
        client.call("probe.release", tag)


def test_a_result_that_cannot_be_serialized_gets_internal(raw_socket):
    socket = raw_socket()
    socket.send_multipart(mdp_request({"v": 1, "id": 9, "cmd": "probe.unserializable"}))
    error = _error_reply(socket, 9)
    assert error["code"] == "internal", error
    assert "could not be serialized" in error["message"]
    raw_ping(socket)


def test_shutdown_answers_in_flight_requests_with_cancelled(start_host, zmq_context):
    host = start_host()
    tag = probe_tag()
    socket = zmq_context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    try:
        socket.connect(host.endpoint)
        socket.send_multipart(mdp_request({"v": 1, "id": 1, "cmd": "probe.hold"}, [[tag], {}]))
        socket.send_multipart(mdp_request({"v": 1, "id": 2, "cmd": "probe.started"},
                                          [[tag], {"seconds": RECV_TIMEOUT / 2}]))
        header, running = mdp_reply(recv_multipart(socket))
        assert header["id"] == 2 and running is True
        host.stop()  # SIGTERM: the host stops its server gracefully
        assert host.process.returncode == 0, host.output[-20:]
        error = _error_reply(socket, 1)
        assert error["code"] == "cancelled", error
    finally:
        socket.close(linger=0)


def _wait_for_event(monitor: zmq.Socket, wanted: int) -> None:
    while True:
        if not monitor.poll(int(RECV_TIMEOUT * 1000)):
            pytest.fail(f"no {wanted} event within {RECV_TIMEOUT} s")
        if recv_monitor_message(monitor)["event"] == wanted:
            return


def test_a_frame_over_the_transport_limit_closes_that_connection_only(small_server, zmq_context):
    # The small server accepts requests of 1 MiB and frames of 4 MiB; a 5 MiB frame ends the connection in the
    # transport, before any request exists to answer.
    bystander = zmq_context.socket(zmq.DEALER)
    offender = zmq_context.socket(zmq.DEALER)
    for socket in (bystander, offender):
        socket.setsockopt(zmq.LINGER, 0)
    monitor = offender.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED)
    try:
        bystander.connect(small_server.endpoint)
        offender.connect(small_server.endpoint)
        _wait_for_event(monitor, zmq.EVENT_HANDSHAKE_SUCCEEDED)
        raw_ping(bystander)
        offender.send_multipart(mdp_request({"v": 1, "id": 3, "cmd": "test.length"}, [[b"x" * (5 << 20)], {}]))
        _wait_for_event(monitor, zmq.EVENT_DISCONNECTED)
        raw_ping(bystander, request_id=4)  # the same connection as before, still served
        assert not offender.poll(0), "the oversized request was answered"
    finally:
        offender.disable_monitor()
        for socket in (monitor, offender, bystander):
            socket.close(linger=0)
