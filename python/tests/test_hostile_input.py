"""One hostile message at a time against each ZeroBridge endpoint (issue 12): each gets the error reply its protocol
defines, or is dropped where the protocol says so, and the process keeps serving.

These run against processes of their own (not the session's shared test host), so a message that kills a process
fails the test that sent it and no other.
"""

from __future__ import annotations

import json
from typing import Iterator, List

import msgpack
import pytest
import zmq

import zerobridge
from broker_support import CLI_DLL, Process, ensure_cli_built, start_broker, start_worker, stop_all, wait_for_workers
from conftest import _start
from hostile import BAD_TIMEOUTS, LYING_VALUES, NOT_INTEGERS, bridge_header, pack, raw_map
from support import RECV_TIMEOUT, SIGNATURE, ServerProcess, recv_multipart

SNAPSHOT = b"ZBSNAP01"
TASK = b"ZBTASK01"


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = _start(tmp_path_factory.mktemp("hostile"))
    yield process
    process.stop()


@pytest.fixture
def dealer(host: ServerProcess, zmq_context: zmq.Context) -> Iterator[zmq.Socket]:
    socket = zmq_context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(host.endpoint)
    yield socket
    socket.close(linger=0)
    assert host.process.poll() is None, "the test host exited:\n" + "\n".join(host.output[-30:])


def _bridge_error(frames: List[bytes]) -> tuple:
    """(id, code) of a bridge-protocol error reply received by a DEALER that sent the delimiter."""
    assert frames[:2] == [b"", SIGNATURE], frames[:3]
    header = msgpack.unpackb(frames[3], raw=False, strict_map_key=False)
    assert header["ok"] is False, header
    return header["id"], msgpack.unpackb(frames[4], raw=False, strict_map_key=False)["code"]


def _ping(socket: zmq.Socket) -> None:
    socket.send_multipart([b"", SIGNATURE, b"zerobridge", pack({"v": 1, "id": 99, "cmd": "ping"})])
    frames = recv_multipart(socket)
    assert msgpack.unpackb(frames[4]) == "pong"


@pytest.mark.parametrize("timeout", BAD_TIMEOUTS.values(), ids=BAD_TIMEOUTS.keys())
def test_a_timeout_that_is_no_deadline_is_a_bad_request(dealer, timeout) -> None:
    dealer.send_multipart([b"", SIGNATURE, b"zerobridge", bridge_header(pack("timeout"), timeout)])
    assert _bridge_error(recv_multipart(dealer)) == (7, "bad_request")
    _ping(dealer)


@pytest.mark.parametrize("value", LYING_VALUES.values(), ids=LYING_VALUES.keys())
def test_a_lying_length_anywhere_in_a_header_is_a_bad_request(dealer, value) -> None:
    dealer.send_multipart([b"", SIGNATURE, b"zerobridge", bridge_header(pack("unknown"), value)])
    code = _bridge_error(recv_multipart(dealer))[1]
    assert code == "bad_request"
    _ping(dealer)


@pytest.mark.parametrize("value", LYING_VALUES.values(), ids=LYING_VALUES.keys())
def test_a_lying_length_in_the_arguments_is_a_bad_request(dealer, value) -> None:
    arguments = b"\x92\x91" + value + b"\x80"  # [[value], {}]
    dealer.send_multipart([b"", SIGNATURE, b"zerobridge", bridge_header(command="echo"), arguments])
    assert _bridge_error(recv_multipart(dealer)) == (7, "bad_request")
    _ping(dealer)


@pytest.mark.parametrize("text", [
    '{"command": "echo", "args": {"value": "\\ud800"}}',
    '{"command": "\\udfff"}',
    '{"command": "ping", "id": "\\ud800"}',
    '{"command": "ping", "id": {"nested": ["\\udfff"]}}',
], ids=["in-args", "in-command", "in-id", "nested-in-id"])
def test_a_lone_surrogate_in_gateway_json_is_a_bad_request(host, dealer, text) -> None:
    dealer.send_multipart([b"", text.encode()])
    frames = recv_multipart(dealer)
    assert json.loads(frames[1])["error"]["code"] == "bad_request"
    assert not [line for line in host.output if "fail:" in line]


def test_an_empty_attachment_from_a_dealer_without_delimiter_is_part_of_the_body(dealer) -> None:
    dealer.send_multipart([SIGNATURE, b"zerobridge", pack({"v": 1, "id": 3, "cmd": "test.length"}),
                           pack([[msgpack.ExtType(6, b"\x00\x00\x00\x00")], {}]), b""])
    frames = recv_multipart(dealer)
    assert frames[0] == SIGNATURE, frames[:3]  # no delimiter back, since none came
    assert msgpack.unpackb(frames[2]) == {"v": 1, "id": 3, "ok": True}
    assert msgpack.unpackb(frames[3]) == 0


# ---------------------------------------------------------------------------------------------- publisher snapshots

def test_a_snapshot_request_whose_version_is_not_an_integer_is_dropped(host, dealer, zmq_context) -> None:
    with zerobridge.connect(host.endpoint, timeout=RECV_TIMEOUT) as client:
        info = client.call("stream.start")
        try:
            snapshots = zmq_context.socket(zmq.DEALER)
            snapshots.setsockopt(zmq.LINGER, 0)
            snapshots.connect(info["snapshot"])
            # (Under the socket's 64 KiB message limit: a larger message closes the connection, queue and all.)
            for value in [*NOT_INTEGERS.values(), *(v for v in LYING_VALUES.values() if len(v) < 60_000)]:
                snapshots.send_multipart([SNAPSHOT, raw_map(pack("v"), value, pack("id"), pack("bad"))])
            snapshots.send_multipart([SNAPSHOT, pack({"v": 1, "prefixes": [], "id": "good"})])
            frames = recv_multipart(snapshots)  # the first answer is the good request's: the bad ones got none
            header = msgpack.unpackb(frames[1], raw=False)
            assert (frames[0], header["kind"], header["id"]) == (b"\x00end", "end", "good")
        finally:
            snapshots.close(linger=0)
            client.call("stream.stop", info["id"])
    _ping(dealer)


# ---------------------------------------------------------------------------------------------- broker

@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    broker = start_broker()
    worker = start_worker(broker.endpoint, "erp", "w1", tmp_path_factory.mktemp("broker"))
    try:
        wait_for_workers(broker.endpoint, "erp", 1)
        yield broker, worker
    finally:
        stop_all([worker, broker])


def test_a_request_without_body_gets_an_error_and_wedges_no_worker(broker, zmq_context) -> None:
    broker_process, worker = broker
    socket = zmq_context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(broker_process.endpoint)
    for _ in range(3):  # more than the service has workers
        socket.send_multipart([b"", SIGNATURE, b"erp"])
        frames = recv_multipart(socket)
        assert frames[:4] == [b"", SIGNATURE, b"erp", b"400"], frames
    socket.close(linger=0)
    with zerobridge.connect(broker_process.endpoint, service="erp", timeout=RECV_TIMEOUT) as client:
        assert client.ping() == "pong"


@pytest.mark.parametrize("timeout", [BAD_TIMEOUTS["nan"], LYING_VALUES["str32-2^31"]], ids=["nan", "str32-2^31"])
def test_a_request_whose_header_cannot_be_parsed_gets_an_error_reply_through_the_broker(broker, zmq_context, timeout) -> None:
    broker_process, worker = broker
    socket = zmq_context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(broker_process.endpoint)
    socket.send_multipart([b"", SIGNATURE, b"erp", bridge_header(pack("timeout"), timeout)])
    frames = recv_multipart(socket)
    socket.close(linger=0)
    assert frames[:3] == [b"", SIGNATURE, b"erp"], frames
    header = msgpack.unpackb(frames[3], raw=False)
    assert header["ok"] is False and msgpack.unpackb(frames[4], raw=False)["code"] == "bad_request"
    assert broker_process.process.poll() is None and worker.process.poll() is None


# ---------------------------------------------------------------------------------------------- task producer

def test_the_task_producer_survives_lying_headers_and_ignores_results_it_never_asked_for(zmq_context) -> None:
    ensure_cli_built()
    submit = Process(["dotnet", str(CLI_DLL), "submit", "tcp://127.0.0.1:*", "square", "{i}", "--count", "4",
                      "--workers", "1", "--wait", "60"])
    try:
        endpoint = submit.wait_for(r"Waiting for \d+ worker\(s\) on (tcp://\S+)").group(1)
        worker = zmq_context.socket(zmq.DEALER)
        worker.setsockopt(zmq.LINGER, 0)
        worker.connect(endpoint)
        for value in LYING_VALUES.values():
            worker.send_multipart([TASK, raw_map(pack("v"), pack(1), pack("type"), pack("hb"), pack("x"), value)])
        worker.send_multipart([TASK, pack({"v": 1, "type": "ready", "credit": 1, "name": "fake"})])
        answered = 0
        while answered < 4:
            frames = recv_multipart(worker, RECV_TIMEOUT * 3)
            header = msgpack.unpackb(frames[1], raw=False)
            if header.get("type") != "task":
                continue
            if answered == 0:  # results for every task this worker was not given: all wrong, all to be ignored
                for other in range(header["id"] - 8, header["id"] + 8):
                    if other != header["id"]:
                        worker.send_multipart([TASK, pack({"v": 1, "type": "result", "id": other, "ok": True}),
                                               pack(-1)])
            (value,), _ = msgpack.unpackb(frames[2], raw=False)
            worker.send_multipart([TASK, pack({"v": 1, "type": "result", "id": header["id"], "ok": True}),
                                   pack(int(value) ** 2)])
            answered += 1
        worker.close(linger=0)
        assert submit.process.wait(RECV_TIMEOUT * 3) == 0, "\n".join(submit.output[-30:])
        results = [json.loads(line) for line in submit.output if line.startswith("{")]
        assert sorted((r["index"], r["value"]) for r in results) == [(i, i * i) for i in range(4)]
    finally:
        submit.stop()
