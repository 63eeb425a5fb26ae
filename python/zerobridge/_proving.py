"""The client proof (``auth.hello``, ``auth.prove``; docs/protocol.md §15) on a socket that is not a
client's: a broker's MMI socket, a publisher's snapshot socket, a task worker's socket. The steps are
:func:`._exchange.authenticate`; the caller drives them on its own DEALER (:func:`prove_on`).
"""

from __future__ import annotations

import time
from typing import Any, Callable, List, Optional

import zmq

from ._call import PreparedCall
from ._exceptions import RemoteError
from ._exchange import Attempt, Exchange, adrive, authenticate, drive
from ._protocol import DEFAULT_SERVICE, Reply, parse_reply
from ._security import CurveClient

__all__ = ["aprove", "proof_steps", "prove", "prove_on"]


def proof_steps(endpoint: str, curve: CurveClient, timeout: float) -> Exchange:
    """The proof of this client's key, as steps (``_exchange.authenticate``)."""
    ids = iter(range(1, 3))
    # Under a service outside mmi.*: a broker answers those itself, before reading any header.
    base = PreparedCall.prepare(endpoint=endpoint, service=DEFAULT_SERVICE, command="auth.hello", args=(),
                                kwargs={}, timeout=timeout, retries=0)
    return authenticate(base, curve, lambda: next(ids))


def prove(steps: Exchange, perform: Any) -> None:
    """Run the proof; a peer without an allow-list (``bad_request``: nothing to prove) is fine.

    Raises:
        RemoteError: the peer refused the proof (``unauthenticated``: e.g. the key is not on its allow-list).
        TimeoutError: the peer did not answer.
    """
    try:
        drive(steps, perform)
    except RemoteError as error:
        if error.code != "bad_request":
            raise


async def aprove(steps: Exchange, perform: Any) -> None:
    """Async :func:`prove`."""
    try:
        await adrive(steps, perform)
    except RemoteError as error:
        if error.code != "bad_request":
            raise


def prove_on(socket: zmq.Socket, endpoint: str, curve: CurveClient, timeout: float,
             other: Optional[Callable[[List[bytes]], bool]] = None) -> None:
    """Prove this client's key on a blocking DEALER (:func:`prove`), waiting up to ``timeout``
    seconds for each reply. ``other`` says which received messages belong to the socket's own
    protocol rather than to the proof (they are dropped: a listener sends an unproved connection
    nothing it needs).

    Raises:
        RemoteError: the peer refused the proof (``unauthenticated``).
        TimeoutError: the peer did not answer.
    """
    def perform(attempt: Attempt) -> Optional[Reply]:
        socket.send_multipart(attempt.call.frames(attempt.request_id))
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0 and socket.poll(int(left * 1000), zmq.POLLIN):
            frames = socket.recv_multipart()
            if other is None or not other(frames):
                return parse_reply(frames)
        return None
    prove(proof_steps(endpoint, curve, timeout), perform)
