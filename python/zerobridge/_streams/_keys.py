"""Encrypted stream payloads (protocol.md §11.6), sans I/O: the topic keys a subscription holds, the
messages waiting for a key, and the key request and reply it exchanges with the publisher's snapshot
endpoint. The drivers send :meth:`TopicKeyring.request` when :attr:`TopicKeyring.wanted` is not
empty and hand the reply to :meth:`TopicKeyring.reply`.

A sealed payload is ``nonce (24 bytes) || crypto_secretbox(msgpack [value, attachment...])``, opened
with PyNaCl (libsodium), never hand-written crypto.
"""

from __future__ import annotations

import collections
import uuid
from typing import Callable, Dict, List, Optional, Set, Tuple

import msgpack

from .._exceptions import ProtocolError
from .._protocol import UNPACK_ERRORS
from ._events import StreamEvent
from ._wire import Frames, frame_bytes

__all__ = ["KEYS_SIGNATURE", "TopicKeyring"]

KEYS_SIGNATURE = b"ZBKEYS01"
_MAX_HELD_PER_TOPIC = 10_000
_KEY_BYTES = 32

Held = Tuple[Frames, bool]
"""A message waiting for its topic's key, and whether it came from the snapshot."""


def open_payload(sealed: bytes, key: bytes) -> List[bytes]:
    """The value and attachment frames sealed in ``sealed``; raises :class:`ProtocolError`."""
    import nacl.exceptions  # noqa: PLC0415 - only encrypted streams need PyNaCl
    import nacl.secret  # noqa: PLC0415

    try:
        plain = nacl.secret.SecretBox(key).decrypt(sealed)  # nonce || box, as sealed
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
        raise ProtocolError("an encrypted stream payload did not open with its topic key") from exc
    try:
        frames = msgpack.unpackb(plain, raw=False)
    except UNPACK_ERRORS as exc:
        raise ProtocolError(f"an encrypted stream payload is not an array of frames: {exc}") from exc
    if not isinstance(frames, list) or not frames or not all(isinstance(f, bytes) for f in frames):
        raise ProtocolError("an encrypted stream payload is not an array of frames")
    return frames


class TopicKeyring:
    """The keys of one subscription and the values waiting for them.

    Args:
        can_ask: whether there is a snapshot endpoint to ask for keys.
        report: where a refused key is reported (once per topic).
    """

    def __init__(self, can_ask: bool, report: Callable[[StreamEvent], None]) -> None:
        self._can_ask = can_ask
        self._report = report
        self._keys: Dict[str, Tuple[int, bytes]] = {}
        self._held: Dict[str, List[Held]] = collections.OrderedDict()
        self._denied: Dict[str, int] = {}
        self.wanted: Set[str] = set()
        """Topics whose key is to be asked for (the driver sends :meth:`request`)."""
        self.dropped = 0
        """Values dropped: key refused, or not asked for (no snapshot endpoint), or did not open."""

    def open(self, frames: Frames, generation: int, topic: str, snapshot: bool,
             replaying: bool) -> Optional[List[bytes]]:
        """``frames`` with the payload opened, or ``None`` when held for its key or dropped."""
        key = self._keys.get(topic)
        if key is not None and key[0] == generation:
            if len(frames) != 3:
                self.dropped += 1
                return None
            try:
                opened = open_payload(frame_bytes(frames[2]), key[1])
            except ProtocolError:
                self.dropped += 1
                return None
            return [frame_bytes(frames[0]), frame_bytes(frames[1]), *opened]
        if key is not None and key[0] > generation:
            self.dropped += 1  # sealed with a key the publisher has since renewed (§11.6): this value only
            return None
        if topic in self._denied or replaying:
            self._deny(topic, 1, f"the publisher sent no key of generation {generation}" if replaying else None)
            return None
        if not self._can_ask:
            self._deny(topic, 1, "the stream is encrypted and the subscription has no snapshot endpoint to ask "
                                 "for keys (pass snapshot=)")
            return None
        waiting = self._held.setdefault(topic, [])
        if not waiting:
            self.wanted.add(topic)
        if len(waiting) < _MAX_HELD_PER_TOPIC:
            waiting.append((frames, snapshot))
        else:
            self.dropped += 1
        return None

    def request(self) -> List[bytes]:
        """The key request for the wanted topics (clears :attr:`wanted`)."""
        topics, self.wanted = sorted(self.wanted), set()
        query = {"v": 1, "topics": topics, "id": uuid.uuid4().hex}
        return [b"", KEYS_SIGNATURE, msgpack.packb(query, use_bin_type=True)]

    def reply(self, frames: Frames) -> List[Held]:
        """Take a key reply; the held messages whose key came, in order, to accept again."""
        parts = [frame_bytes(f) for f in frames]
        if parts and parts[0] == b"":
            parts = parts[1:]
        if len(parts) != 2 or parts[0] != KEYS_SIGNATURE:
            return []
        try:
            body = msgpack.unpackb(parts[1], raw=False)
        except UNPACK_ERRORS:
            return []
        if not isinstance(body, dict):
            return []
        ready: List[Held] = []
        for topic, entry in (body.get("keys") or {}).items():
            if (isinstance(topic, str) and isinstance(entry, list) and len(entry) == 2
                    and isinstance(entry[0], int) and isinstance(entry[1], bytes) and len(entry[1]) == _KEY_BYTES):
                self._keys[topic] = (entry[0], entry[1])
                self._denied.pop(topic, None)
                ready.extend(self._held.pop(topic, []))
        for topic in body.get("denied") or []:
            if isinstance(topic, str):
                self._deny(topic, len(self._held.pop(topic, [])), None)
        return ready

    def give_up(self, reason: str) -> None:
        """No reply came: drop every held value and report its topic."""
        self.wanted.clear()
        for topic in list(self._held):
            self._deny(topic, len(self._held.pop(topic)), reason)

    def _deny(self, topic: str, count: int, reason: Optional[str]) -> None:
        first = topic not in self._denied
        self._denied[topic] = self._denied.get(topic, 0) + count
        self.dropped += count
        if first:
            self._report(StreamEvent(
                "key_denied", f"the values of {topic!r} are encrypted and "
                              f"{reason or 'the publisher refused this subscriber its key'}: they are dropped",
                topic=topic, missed=count))
