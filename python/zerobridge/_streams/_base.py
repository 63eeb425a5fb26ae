"""What both subscriptions are: a SUB socket connected to the publisher, and the core it feeds."""

from __future__ import annotations

from typing import List, Optional

import zmq

from .._exceptions import translate_zmq_errors
from .._security import CurveClient, HandshakeWatch
from ._core import StreamCore
from ._events import StreamStats

__all__ = ["SubscriptionBase"]


class SubscriptionBase:
    """The socket and the state of a subscription; the drivers add how to wait for values.

    ``context`` makes the socket: a :class:`zmq.Context` for the blocking subscription, a
    :class:`zmq.asyncio.Context` for the asyncio one. With ``curve`` the live socket and the snapshot
    socket are CURVE clients of the publisher; either way the live socket's handshake is watched, so a
    wrong key (or CURVE on one side only) is an :class:`zerobridge.AuthenticationError`, not silence.
    """

    def __init__(self, core: StreamCore, context: zmq.Context, hwm: int,
                 curve: Optional[CurveClient] = None, proves: bool = False) -> None:
        self._core = core
        # With a certificate the key is proved on the key DEALER before the first key request (§11.6, §15).
        self._key_proof_due = curve is not None and proves
        self._closed = False
        self._curve = curve
        self._key_context = context
        self._key_dealer: Optional[zmq.Socket] = None
        with translate_zmq_errors(core.endpoint):
            self._socket = context.socket(zmq.SUB)
            self._socket.setsockopt(zmq.LINGER, 0)
            self._socket.setsockopt(zmq.RCVHWM, hwm)
            if curve is not None:
                curve.apply(self._socket)
            self._handshake = HandshakeWatch(self._socket, core.endpoint, encrypted=curve is not None)
            core.subscribe_all(self._socket)
            self._socket.connect(core.endpoint)

    def _snapshot_socket(self, context: zmq.Context) -> zmq.Socket:
        """A DEALER for the snapshot endpoint, with the live socket's CURVE keys; the caller connects and closes it."""
        dealer = context.socket(zmq.DEALER)
        dealer.setsockopt(zmq.LINGER, 0)
        if self._curve is not None:
            self._curve.apply(dealer)
        return dealer

    def _key_socket(self) -> zmq.Socket:
        """The DEALER that asks the snapshot endpoint for topic keys (§11.6), opened on first use."""
        if self._key_dealer is None:
            self._key_dealer = self._snapshot_socket(self._key_context)
            self._key_dealer.connect(self._core.snapshot_endpoint)
        return self._key_dealer

    def _no_key_reply(self, seconds: float) -> None:
        """Give up on the keys asked for: their held values are dropped and reported."""
        self._core.keyring.give_up(f"no key reply came from {self._core.snapshot_endpoint} within {seconds:g} s")

    def _check_handshake(self) -> None:
        """Raise :class:`zerobridge.AuthenticationError` when the handshake with the publisher failed."""
        self._handshake.check()

    @property
    def endpoint(self) -> str:
        """The publisher's endpoint."""
        return self._core.endpoint

    @property
    def topics(self) -> List[str]:
        """The topic prefixes subscribed to."""
        return list(self._core.topics)

    @property
    def stats(self) -> StreamStats:
        """Counters: received, gaps, missed, restarts, duplicates, silences, conflated, heartbeats."""
        return self._core.stats

    @property
    def silent(self) -> bool:
        """Whether the publisher is silent now.

        Checked while waiting for values, and on reading this property when nothing is unread: a
        subscriber that is not waiting (busy elsewhere, between polls) still sees a silence here, and
        ``on_event`` hears of it then. Unread messages count as the publisher being alive; they are
        read, and silence checked again, on the next call.
        """
        if not self._closed:
            self._core.check_idle_silence(bool(self._socket.getsockopt(zmq.EVENTS) & zmq.POLLIN))
        return self._core.silent

    @property
    def closed(self) -> bool:
        """Whether the subscription was closed."""
        return self._closed

    def close(self) -> None:
        """Close the socket (idempotent)."""
        if not self._closed:
            self._closed = True
            self._handshake.close()
            self._socket.close(linger=0)
            if self._key_dealer is not None:
                self._key_dealer.close(linger=0)
