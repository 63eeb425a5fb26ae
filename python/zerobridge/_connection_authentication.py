"""Which connections of one listening ROUTER proved which client key (docs/protocol.md §15): the
challenges handed out per connection, the check of each proof, and the identity of every proved
connection, checked against the allow-list again at most once a second so a removed key loses its
access without a restart. The Python twin of the C# ``Security/ConnectionAuthentication``.

A connection is its ROUTER routing id. Not thread-safe: it lives with its socket.
"""

from __future__ import annotations

import collections
import logging
import secrets
import time
from typing import Dict, List, Optional, Tuple

import zmq.utils.z85

from ._allow_list import AllowList, Caller, Permissions
from ._listener_security import CurveServer

__all__ = ["ConnectionAuthentication"]

CHALLENGE_LENGTH = 32


class ConnectionAuthentication:
    """The proofs made to one listener, keyed by connection (routing id).

    Args:
        server: the listener's key pair (proofs are boxes to its public key).
        allow_list: the keys that may prove.
        component: what the listener is, for the log ("task producer").
        log: where refusals, proofs and revocations are logged (with the key).
    """

    MAX_CHALLENGES_PER_CONNECTION = 8
    """Unanswered challenges one connection may hold (the oldest is dropped beyond)."""

    MAX_CHALLENGED_CONNECTIONS = 4096
    """Connections with unanswered challenges remembered at once (the longest-waiting is dropped
    beyond): a listener that cannot see disconnects must not grow with every peer that asks once."""

    RECHECK_INTERVAL = 1.0
    """Seconds between checks of the proved connections against the allow-list."""

    def __init__(self, server: CurveServer, allow_list: AllowList, component: str,
                 log: logging.Logger) -> None:
        self.allow_list = allow_list
        self._server = server
        self._component = component
        self._log = log
        self._challenges: "collections.OrderedDict[bytes, List[bytes]]" = collections.OrderedDict()
        self._proved: Dict[bytes, Tuple[Caller, Permissions]] = {}
        self._next_recheck = 0.0

    def hello(self, connection: bytes) -> bytes:
        """A fresh random challenge for ``connection`` (``auth.hello``)."""
        open_ = self._challenges.pop(connection, [])
        challenge = secrets.token_bytes(CHALLENGE_LENGTH)
        open_ = [*open_[-(self.MAX_CHALLENGES_PER_CONNECTION - 1):], challenge]
        self._challenges[connection] = open_
        while len(self._challenges) > self.MAX_CHALLENGED_CONNECTIONS:
            self._challenges.popitem(last=False)
        return challenge

    def prove(self, connection: bytes, key: str, challenge: bytes, nonce: bytes,
              proof: bytes) -> Tuple[Optional[Caller], Optional[str]]:
        """Check an ``auth.prove``; on success ``connection`` is proved as the returned caller.
        The challenge is used up whatever the outcome.

        Returns:
            ``(caller, None)``, or ``(None, why)`` for the ``unauthenticated`` reply.
        """
        if not self._take_challenge(connection, challenge):
            return None, ("The challenge was not given to this connection, or was used already: "
                          "ask auth.hello for a new one.")
        raw_key = _raw_key(key)
        if raw_key is None:
            return None, "The key is not a 40-character Z85 public key."
        if not self._server.verify(raw_key, challenge, nonce, proof):
            self._log.warning("%s: connection %s sent a proof that does not open for key %s; refused",
                              self._component, connection.hex(), key)
            return None, ("The proof does not verify: it was not made with this key's secret key for "
                          "this server and challenge.")
        entry = self.allow_list.find(key)
        if entry is None:
            self._log.warning("%s: connection %s proved key %s, which is not on the allow-list %s; refused",
                              self._component, connection.hex(), key, self.allow_list)
            return None, f"The key {key} is not on this server's allow-list."
        name, permissions = entry
        caller = Caller(key, name)
        self._proved[connection] = (caller, permissions)
        self._log.info("%s: connection %s authenticated as %s (%s)", self._component, connection.hex(),
                       name or "(unnamed)", key)
        return caller, None

    def identity_of(self, connection: bytes) -> Optional[Caller]:
        """Who ``connection`` proved to be, or ``None`` (not proved, or its key left the allow-list
        at the last :meth:`revoked`)."""
        proved = self._proved.get(connection)
        return proved[0] if proved is not None else None

    def revoked(self) -> List[bytes]:
        """The proved connections whose key is no longer on the allow-list, now forgotten: checked
        at most every :attr:`RECHECK_INTERVAL` seconds (an empty list in between). Changed
        permissions replace the old ones."""
        now = time.monotonic()
        if not self._proved or now < self._next_recheck:
            return []
        self._next_recheck = now + self.RECHECK_INTERVAL
        find = self.allow_list.current()  # the directory listed once for every connection
        gone: List[bytes] = []
        for connection, (caller, _) in list(self._proved.items()):
            entry = find(caller.key)
            if entry is None:
                del self._proved[connection]
                gone.append(connection)
                self._log.warning("%s: key %s (%s) is no longer on the allow-list %s: connection %s must "
                                  "prove again", self._component, caller.key, caller.name or "unnamed",
                                  self.allow_list, connection.hex())
            else:
                self._proved[connection] = (Caller(caller.key, entry[0]), entry[1])
        return gone

    def forget(self, connection: bytes) -> None:
        """Forget ``connection``'s challenges and proof (it is gone, or no longer a worker)."""
        self._challenges.pop(connection, None)
        self._proved.pop(connection, None)

    def _take_challenge(self, connection: bytes, challenge: bytes) -> bool:
        open_ = self._challenges.get(connection)
        if not open_ or challenge not in open_:
            return False
        open_.remove(challenge)
        if not open_:
            del self._challenges[connection]
        return True


def _raw_key(key: str) -> Optional[bytes]:
    """The raw 32 bytes of a Z85 public key, or ``None`` when it is not one."""
    if len(key) != 40:
        return None
    try:
        return zmq.utils.z85.decode(key.encode("ascii"))
    except (UnicodeEncodeError, ValueError, KeyError):  # z85.decode raises bare KeyError on bad characters
        return None
