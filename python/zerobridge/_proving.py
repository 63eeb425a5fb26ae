"""The client proof (``auth.hello``, ``auth.prove``; docs/protocol.md §15) on a socket that is not a
client's: a broker's MMI socket, a publisher's snapshot socket. The steps are
:func:`._exchange.authenticate`; the caller drives them on its own DEALER.
"""

from __future__ import annotations

from typing import Any

from ._call import PreparedCall
from ._exceptions import RemoteError
from ._exchange import Exchange, adrive, authenticate, drive
from ._protocol import DEFAULT_SERVICE
from ._security import CurveClient

__all__ = ["aprove", "proof_steps", "prove"]


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
