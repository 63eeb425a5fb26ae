"""The dispatch shared by Worker and TaskWorker: arguments, outcome and error maps, no sockets."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import msgpack
import pytest

import zerobridge
from zerobridge._codec import Decoder, Encoder
from zerobridge._dispatch import Dispatcher, Outcome

BIG = b"x" * (100 * 1024)  # travels as an attachment frame


def _arguments(*args: Any, **kwargs: Any) -> List[bytes]:
    encoder = Encoder()
    return [encoder.pack([list(args), kwargs]), *encoder.attachments]


def _value(outcome: Outcome) -> Any:
    return Decoder(outcome.body[1:]).unpack(outcome.body[0])


def _error(outcome: Outcome) -> Dict[str, Any]:
    assert not outcome.ok and len(outcome.body) == 1
    return msgpack.unpackb(outcome.body[0])


def _add(a: int, b: int = 1) -> int:
    return a + b


def _fail(message: str) -> None:
    raise ValueError(message)


def _missing(name: str) -> None:
    raise zerobridge.NotFound(f"no {name}", code="not_found", details={"name": name})


class Refused(Exception):
    """An exception type of the application (not a builtin)."""


def _refuse(why: str) -> None:
    raise Refused(why)


async def _twice(x: int) -> int:
    await asyncio.sleep(0)
    return 2 * x


@pytest.fixture
def dispatcher() -> Dispatcher:
    d = Dispatcher()
    for name, function in {"add": _add, "fail": _fail, "missing": _missing, "twice": _twice,
                           "blob": lambda: BIG, "unencodable": lambda: object()}.items():
        d.add(name, function)
    return d


def test_a_result_comes_back_with_its_attachments(dispatcher: Dispatcher) -> None:
    assert _value(dispatcher.run("add", _arguments(2, b=5))) == 7
    outcome = dispatcher.run("blob", [])
    assert outcome.ok and len(outcome.body) == 2 and _value(outcome) == BIG


@pytest.mark.parametrize("frames", [[b"\xc1"], [msgpack.packb({"not": "an array"})],
                                    [msgpack.packb([1, 2, 3])]], ids=["msgpack", "map", "shape"])
def test_undecodable_arguments_are_a_bad_request(dispatcher: Dispatcher, frames: List[bytes]) -> None:
    error = _error(dispatcher.run("add", frames))
    assert error["code"] == "bad_request" and error["type"] == "zerobridge.ProtocolError"


def test_an_unknown_name_suggests_close_ones(dispatcher: Dispatcher) -> None:
    error = _error(dispatcher.run("ad", _arguments(1)))
    assert error["code"] == "unknown_command"
    assert error["details"] == {"command": "ad", "suggestions": ["add"]}


def test_arguments_that_do_not_fit_the_signature_are_invalid(dispatcher: Dispatcher) -> None:
    for arguments in (_arguments(), _arguments(1, c=3), _arguments(1, 2, 3)):
        error = _error(dispatcher.run("add", arguments))
        assert error["code"] == "invalid_argument" and error["message"].startswith("add: ")


def test_an_exception_is_command_failed_with_its_type_and_stack(dispatcher: Dispatcher) -> None:
    error = _error(dispatcher.run("fail", _arguments("boom")))
    assert (error["code"], error["type"], error["message"]) == ("command_failed", "ValueError", "boom")
    assert "_fail" in error["stack"]
    quiet = Dispatcher(include_stack=False)
    quiet.add("fail", _fail)
    assert _error(quiet.run("fail", _arguments("boom")))["stack"] is None


def test_a_remote_error_keeps_its_code_and_details(dispatcher: Dispatcher) -> None:
    error = _error(dispatcher.run("missing", _arguments("x")))
    assert error["code"] == "not_found" and error["details"] == {"name": "x"}
    assert error["type"] == "zerobridge._exceptions.NotFound"


def test_a_result_that_cannot_be_encoded_is_internal(dispatcher: Dispatcher) -> None:
    error = _error(dispatcher.run("unencodable", []))
    assert error["code"] == "internal" and "cannot be serialized" in error["message"]


def test_coroutine_functions_run_on_the_given_loop_or_a_private_one(dispatcher: Dispatcher) -> None:
    assert _value(dispatcher.run("twice", _arguments(4))) == 8

    async def main() -> Outcome:
        loop = asyncio.get_running_loop()
        return await asyncio.to_thread(dispatcher.run, "twice", _arguments(5), loop)

    assert _value(asyncio.run(main())) == 10


def test_worker_and_task_worker_answer_the_same_failure_the_same_way() -> None:
    worker = zerobridge.Worker("tcp://127.0.0.1:9", "maths").add("fail", _refuse)
    tasks = zerobridge.TaskWorker("tcp://127.0.0.1:9", {"fail": _refuse})
    header = msgpack.packb({"v": 1, "id": 3, "cmd": "fail"})
    by_worker = msgpack.unpackb(worker.handle([header, *_arguments("same")])[1])
    outcome = tasks._execute({"kind": "fail"}, _arguments("same"))
    by_task_worker = msgpack.unpackb(outcome.body[0])
    assert outcome.ok is False
    for error in (by_worker, by_task_worker):
        error.pop("stack")
    assert by_worker == by_task_worker == {"code": "command_failed", "type": f"{__name__}.Refused",
                                           "message": "same", "details": None}
