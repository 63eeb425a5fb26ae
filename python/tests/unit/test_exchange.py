"""The exchange (retry loop, chunk completion) driven without sockets, by both drivers."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Dict, List, Optional

import msgpack
import pytest

import zerobridge
from zerobridge._call import PreparedCall
from zerobridge._codec import EXT_TABLE
from zerobridge._exchange import Attempt, adrive, drive, exchange
from zerobridge._protocol import Reply

Server = Callable[[Attempt], Optional[Reply]]


def _sync(steps: Any, server: Server) -> Any:
    return drive(steps, server)


def _async(steps: Any, server: Server) -> Any:
    async def perform(attempt: Attempt) -> Optional[Reply]:
        await asyncio.sleep(0)  # a real suspension point, as a socket wait would be
        return server(attempt)
    return asyncio.run(adrive(steps, perform))


DRIVERS = [pytest.param(_sync, id="sync"), pytest.param(_async, id="async")]


def _call(command: str = "orders.get", retries: int = 0, **kwargs: Any) -> PreparedCall:
    return PreparedCall.prepare(endpoint="tcp://test", service="zerobridge", command=command,
                                args=(), kwargs=kwargs, timeout=1.0, retries=retries,
                                as_frame=False, progress=False)


def _ids() -> Callable[[], int]:
    counter = iter(range(1, 1000))
    return lambda: next(counter)


def _ok(attempt: Attempt, value: Any) -> Reply:
    return Reply(attempt.request_id, True, msgpack.packb(value, use_bin_type=True))


def _error(attempt: Attempt, code: str) -> Reply:
    error = {"code": code, "type": "", "message": code, "stack": None, "details": None}
    return Reply(attempt.request_id, False, msgpack.packb(error, use_bin_type=True))


def _table(values: List[int], more: Optional[str] = None, total: Optional[int] = None) -> Any:
    header: Dict[str, Any] = {"layout": "columns", "rows": len(values),
                              "columns": [{"name": "x", "type": "int64", "values": values}]}
    if more is not None:
        header.update(more=more, total=total)
    return msgpack.ExtType(EXT_TABLE, msgpack.packb(header, use_bin_type=True))


class Script:
    """A fake server: answers attempts from a list of responders and records what it saw."""

    def __init__(self, *responders: Callable[[Attempt], Optional[Reply]]) -> None:
        self.responders = list(responders)
        self.seen: List[Attempt] = []

    def __call__(self, attempt: Attempt) -> Optional[Reply]:
        self.seen.append(attempt)
        return self.responders.pop(0)(attempt)

    def commands(self) -> List[str]:
        return [a.call.command for a in self.seen]


@pytest.mark.parametrize("run", DRIVERS)
def test_a_timed_out_attempt_is_resent_with_a_new_id_while_retries_remain(run: Any) -> None:
    server = Script(lambda a: None, lambda a: None, lambda a: _ok(a, "done"))
    assert run(exchange(_call(retries=2), _ids()), server) == "done"
    assert [a.request_id for a in server.seen] == [1, 2, 3]


@pytest.mark.parametrize("run", DRIVERS)
def test_the_timeout_error_says_how_often_it_tried(run: Any) -> None:
    server = Script(lambda a: None, lambda a: None)
    with pytest.raises(zerobridge.TimeoutError, match="tried 2 times"):
        run(exchange(_call(retries=1), _ids()), server)
    assert len(server.seen) == 2


@pytest.mark.parametrize("run", DRIVERS)
def test_service_unavailable_is_resent_then_raised_when_the_retries_run_out(run: Any) -> None:
    server = Script(lambda a: _error(a, "service_unavailable"), lambda a: _ok(a, 7))
    assert run(exchange(_call(retries=1), _ids()), server) == 7
    server = Script(lambda a: _error(a, "service_unavailable"))
    with pytest.raises(zerobridge.ServiceUnavailable):
        run(exchange(_call(retries=0), _ids()), server)


@pytest.mark.parametrize("run", DRIVERS)
def test_other_errors_are_never_retried(run: Any) -> None:
    server = Script(lambda a: _error(a, "not_found"))
    with pytest.raises(zerobridge.NotFound):
        run(exchange(_call(retries=3), _ids()), server)
    assert len(server.seen) == 1


@pytest.mark.parametrize("run", DRIVERS)
def test_a_chunked_table_is_completed_with_table_next(run: Any) -> None:
    server = Script(lambda a: _ok(a, {"rows": _table([1, 2], more="c1", total=5)}),
                    lambda a: _ok(a, _table([3, 4], more="c1", total=5)),
                    lambda a: _ok(a, _table([5])))
    result = run(exchange(_call("tables.numbers"), _ids()), server)
    assert list(result["rows"]["x"]) == [1, 2, 3, 4, 5]
    assert server.commands() == ["tables.numbers", "table.next", "table.next"]


@pytest.mark.parametrize("run", DRIVERS)
def test_a_failure_while_completing_closes_the_cursor_and_raises_the_first_error(run: Any) -> None:
    def broken(attempt: Attempt) -> Reply:
        raise zerobridge.TransportError("the socket broke")

    def close_fails_too(attempt: Attempt) -> Reply:
        raise zerobridge.TransportError("closing failed as well")

    server = Script(lambda a: _ok(a, _table([1], more="c9", total=3)), broken, close_fails_too)
    with pytest.raises(zerobridge.TransportError, match="the socket broke"):
        run(exchange(_call("tables.numbers"), _ids()), server)
    assert server.commands() == ["tables.numbers", "table.next", "table.close"]
    assert server.seen[-1].call.arguments is not None and b"c9" in server.seen[-1].call.arguments


@pytest.mark.parametrize("run", DRIVERS)
def test_after_a_timeout_mid_table_the_close_is_sent_without_waiting(run: Any) -> None:
    """The server died mid-table: the caller hears of it after one timeout, not two (the
    ``table.close`` is one-way; a driver that waited for it would wait a second timeout)."""
    server = Script(lambda a: _ok(a, _table([1], more="c3", total=2)), lambda a: None,
                    lambda a: None)
    with pytest.raises(zerobridge.TimeoutError):
        run(exchange(_call("tables.numbers"), _ids()), server)
    assert server.commands() == ["tables.numbers", "table.next", "table.close"]
    assert [a.await_reply for a in server.seen] == [True, True, False]


def test_follow_up_calls_are_never_retried() -> None:
    server = Script(lambda a: _ok(a, _table([1], more="c1", total=2)), lambda a: None,
                    lambda a: _ok(a, True))
    with pytest.raises(zerobridge.TimeoutError):
        drive(exchange(_call("tables.numbers", retries=5), _ids()), server)
    assert server.commands() == ["tables.numbers", "table.next", "table.close"]


class _Prover:
    def proof(self, challenge: bytes) -> Dict[str, Any]:
        return {"key": "K" * 40, "challenge": challenge, "nonce": b"n" * 24, "proof": b"p"}


@pytest.mark.parametrize("run", DRIVERS)
def test_an_unauthenticated_reply_makes_a_client_with_a_certificate_prove_and_resend_once(run: Any) -> None:
    server = Script(lambda a: _error(a, "unauthenticated"), lambda a: _ok(a, {"challenge": b"c" * 32}),
                    lambda a: _ok(a, {"key": "K" * 40, "name": "alice"}), lambda a: _ok(a, 7))
    assert run(exchange(_call(), _ids(), _Prover()), server) == 7
    assert server.commands() == ["orders.get", "auth.hello", "auth.prove", "orders.get"]
    assert msgpack.unpackb(server.seen[2].call.arguments)[1]["challenge"] == b"c" * 32


@pytest.mark.parametrize("run", DRIVERS)
def test_a_refused_proof_raises_unauthenticated_and_nothing_is_resent(run: Any) -> None:
    server = Script(lambda a: _error(a, "unauthenticated"), lambda a: _ok(a, {"challenge": b"c" * 32}),
                    lambda a: _error(a, "unauthenticated"))
    with pytest.raises(zerobridge.Unauthenticated):
        run(exchange(_call(), _ids(), _Prover()), server)
    assert server.commands() == ["orders.get", "auth.hello", "auth.prove"]


@pytest.mark.parametrize("run", DRIVERS)
def test_without_a_certificate_unauthenticated_is_raised_at_once(run: Any) -> None:
    server = Script(lambda a: _error(a, "unauthenticated"))
    with pytest.raises(zerobridge.Unauthenticated):
        run(exchange(_call(), _ids()), server)
    assert len(server.seen) == 1
