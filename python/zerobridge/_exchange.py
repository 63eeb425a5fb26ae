"""One call's conversation with the server, sans I/O: the retry loop and the chunk-completion loop.

Both loops are written once, here, as a generator of :class:`Attempt` steps. A driver performs each
step (send the request frames, wait up to the call's timeout) and sends back the :class:`Reply`, or
``None`` when the timeout passed (after telling the server it gave up); errors it meets are thrown
into the generator, which then frees the server's table cursors and re-raises. The blocking
:class:`~zerobridge.Client` drives it with :func:`drive`, asyncio with :func:`adrive`::

    result = drive(exchange(call, next_id), perform_attempt)
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Generator, NamedTuple, Optional, Protocol, Tuple

from ._call import PreparedCall, TableCompletion
from ._exceptions import ProtocolError
from ._protocol import Reply

__all__ = ["Attempt", "Exchange", "Prover", "adrive", "authenticate", "drive", "exchange",
           "request"]


class Attempt(NamedTuple):
    """One send of a request: the driver sends ``call.frames(request_id)`` and waits up to
    ``call.timeout`` for the reply carrying ``request_id``. With ``await_reply`` false the driver
    only sends (without blocking) and returns ``None`` at once; a reply that comes later is
    dropped like any reply nobody waits for.

    A named tuple (immutable, as a frozen dataclass would be, for a third of the cost to make:
    every call makes one)."""

    call: PreparedCall
    request_id: int
    await_reply: bool = True


Exchange = Generator[Attempt, Optional[Reply], Any]
"""A call in progress: yields attempts, receives their replies (``None``: timed out), returns the
result."""


class Prover(Protocol):
    """Makes the client proof of ``docs/security.md`` (:class:`~._security.CurveClient`)."""

    def proof(self, challenge: bytes) -> Dict[str, Any]:
        """The keyword arguments of ``auth.prove`` for ``challenge``."""


def request(call: PreparedCall, next_id: Callable[[], int], prover: Optional[Prover] = None
            ) -> Generator[Attempt, Optional[Reply], TableCompletion]:
    """The retry loop of one request: a timed-out attempt is re-sent ``call.retries`` times, and so
    is a broker's ``service_unavailable`` (the request never ran); then the reply is decoded.

    With a ``prover`` (the client has a certificate), an ``unauthenticated`` reply (a new or
    reconnected connection to a server with an allow-list) makes the client prove its key
    (:func:`authenticate`) and send the request again, once: the refused request never ran.

    Raises:
        TimeoutError: every attempt timed out.
        RemoteError: the server answered with an error (or refused the proof: ``Unauthenticated``).
    """
    attempts = call.retries + 1
    attempt, proved = 1, False
    while attempt <= attempts:
        reply = yield Attempt(call, next_id())
        if reply is not None and prover is not None and not proved \
                and call.error_code(reply) == "unauthenticated":
            proved = True
            yield from authenticate(call, prover, next_id)
            continue
        attempt += 1
        if reply is None:
            continue
        if attempt <= attempts and call.never_ran(reply):
            continue  # a broker had no worker in time; the request never ran
        return call.decode(reply)
    raise call.timeout_error(attempts)


def authenticate(call: PreparedCall, prover: Prover, next_id: Callable[[], int]
                 ) -> Generator[Attempt, Optional[Reply], None]:
    """Prove the client's key on this connection: ``auth.hello``, then ``auth.prove`` with the
    proof of the challenge (``docs/protocol.md`` §15).

    Raises:
        Unauthenticated: the server refused the proof (e.g. the key is not on its allow-list).
    """
    hello = call.side_call("auth.hello", {})
    reply = yield Attempt(hello, next_id())
    if reply is None:
        raise hello.timeout_error(1)
    challenge = hello.result(reply).get("challenge")
    if not isinstance(challenge, bytes):
        raise ProtocolError(f"the auth.hello reply from {call.endpoint} has no binary challenge")
    prove = call.side_call("auth.prove", prover.proof(challenge))
    reply = yield Attempt(prove, next_id())
    if reply is None:
        raise prove.timeout_error(1)
    prove.result(reply)


def exchange(call: PreparedCall, next_id: Callable[[], int],
             prover: Optional[Prover] = None) -> Exchange:
    """A whole call: the request, then ``table.next`` until every chunked table in the result is
    complete. On any failure (an interrupt included) the server's open cursors are closed with
    ``table.close``, sent without waiting for its reply: after a timeout the server is most likely
    gone, and waiting would double the time before the caller hears of it (the server also
    expires idle cursors, so a lost close costs nothing). ``prover``: see :func:`request`."""
    completion = yield from request(call, next_id, prover)
    try:
        while (follow := completion.next_call()) is not None:
            completion.add((yield from request(follow, next_id, prover)).value)
    except GeneratorExit:
        raise  # the driver dropped the call: no more steps may be yielded
    except BaseException:
        for close in completion.close_calls():
            try:
                yield Attempt(close, next_id(), await_reply=False)
            except Exception:  # noqa: BLE001 - best effort, the first error is the one raised
                pass
        raise
    return completion.result()


def drive(steps: Exchange, perform: Callable[[Attempt], Optional[Reply]]) -> Any:
    """Run ``steps`` to its result with a blocking ``perform`` (reply, or ``None`` on timeout)."""
    step: Any = next(steps)
    while True:
        try:
            reply, error = perform(step), None
        except BaseException as exc:  # noqa: BLE001 - handed to the exchange, which re-raises
            reply, error = None, exc
        finished, step = _advance(steps, reply, error)
        if finished:
            return step


async def adrive(steps: Exchange, perform: Callable[[Attempt], Awaitable[Optional[Reply]]]) -> Any:
    """:func:`drive` for asyncio: ``perform`` is awaited."""
    step: Any = next(steps)
    while True:
        try:
            reply, error = await perform(step), None
        except BaseException as exc:  # noqa: BLE001 - handed to the exchange, which re-raises
            reply, error = None, exc
        finished, step = _advance(steps, reply, error)
        if finished:
            return step


def _advance(steps: Exchange, reply: Optional[Reply], error: Optional[BaseException]
             ) -> Tuple[bool, Any]:
    """Hand an attempt's outcome to the exchange: ``(True, result)`` when the call is over, else
    ``(False, next attempt)``. An error the exchange does not absorb propagates from here."""
    try:
        step = steps.throw(error) if error is not None else steps.send(reply)
    except StopIteration as done:
        return True, done.value
    return False, step
