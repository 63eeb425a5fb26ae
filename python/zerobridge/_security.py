"""CurveZMQ on the Python side (``docs/security.md``).

Keys come from the certificate files of pyzmq's :func:`zmq.auth.create_certificates` and
``zbridge keygen`` (``NAME.key`` public, ``NAME.key_secret`` secret). :class:`CurveClient` sets them
on a socket in one place; :class:`HandshakeWatch` reads the socket's ZMTP handshake events so a
failed handshake is reported as what it is (a wrong server key, a server that does or does not use
CURVE) instead of as a timeout.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple, Union

import nacl.public
import nacl.utils
import zmq
import zmq.auth
from zmq.utils.monitor import recv_monitor_message

from ._exceptions import AuthenticationError

__all__ = ["CertificatePath", "CurveClient", "HandshakeWatch", "KeySource", "load_key_pair",
           "load_server_key", "proof_message"]

KeySource = Union[str, bytes, "os.PathLike[str]"]
"""A certificate file (``NAME.key`` or ``NAME.key_secret``), or a Z85 public key (40 characters)."""

CertificatePath = Union[str, "os.PathLike[str]"]
"""The path of a ``NAME.key_secret`` file."""

PROOF_LABEL = b"zerobridge-client-proof-v1"
"""The first bytes of every client proof: what it is, its direction and version."""

_Z85_KEY_LENGTH = 40


def proof_message(server_key: bytes, client_key: bytes, challenge: bytes) -> bytes:
    """What a client proof boxes (docs/protocol.md §15.1), from raw 32-byte keys:
    ``"zerobridge-client-proof-v1" || server key || client key || challenge``. The client makes
    the box (:meth:`CurveClient.proof`), a listener opens it and compares
    (:meth:`._listener_security.CurveServer.verify`)."""
    return PROOF_LABEL + bytes(server_key) + bytes(client_key) + bytes(challenge)
_watch_ids = itertools.count(1)


def load_server_key(source: KeySource) -> bytes:
    """The server's Z85 public key from its certificate file, or the key itself.

    Raises:
        ValueError: neither a readable certificate file nor a 40-character Z85 key.
    """
    if isinstance(source, bytes):
        source = source.decode("ascii", errors="replace")
    path = os.fspath(source)
    if os.path.isfile(path):
        public, _ = _load(path)
        return public
    key = path.encode("ascii", errors="replace")
    if len(key) != _Z85_KEY_LENGTH:
        raise ValueError(f"server key {path!r} is neither a certificate file nor a 40-character Z85 key")
    try:
        zmq.utils.z85.decode(key)
    except Exception as error:  # z85.decode raises bare KeyError/ValueError on bad characters
        raise ValueError(f"server key {path!r} is not valid Z85") from error
    return key


def load_key_pair(path: CertificatePath) -> Tuple[bytes, bytes]:
    """``(public, secret)`` Z85 keys from a ``NAME.key_secret`` file.

    Raises:
        ValueError: the file holds no secret key (a ``NAME.key`` file was given) or is not a certificate.
    """
    public, secret = _load(os.fspath(path))
    if secret is None:
        raise ValueError(f"{os.fspath(path)} holds only a public key; a key pair is the NAME.key_secret file")
    return public, secret


def _load(path: str) -> Tuple[bytes, Optional[bytes]]:
    try:
        public, secret = zmq.auth.load_certificate(path)
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: not a CURVE certificate ({error})") from error
    if public is None or len(public) != _Z85_KEY_LENGTH:
        raise ValueError(f"{path}: no valid public-key in a curve section")
    return public, secret


@dataclass(frozen=True)
class CurveClient:
    """The CURVE keys of a client socket: the pinned server key and this client's own pair."""

    server_key: bytes
    public_key: bytes
    secret_key: bytes

    @classmethod
    def configure(cls, server_key: Optional[KeySource],
                  cert: Optional[CertificatePath] = None) -> Optional["CurveClient"]:
        """The keys for ``server_key`` and ``cert``; ``None`` (plain text) without a server key.

        Without ``cert`` the client uses a fresh throwaway key pair: a server without an allow-list
        does not care which key a client has.
        """
        if server_key is None:
            if cert is not None:
                raise ValueError("cert= needs server_key= too: CURVE pins the server's public key")
            return None
        public, secret = load_key_pair(cert) if cert is not None else zmq.curve_keypair()
        return cls(load_server_key(server_key), public, secret)

    def proof(self, challenge: bytes) -> Dict[str, Any]:
        """The ``auth.prove`` keyword arguments for ``challenge`` (``docs/security.md``): a
        libsodium ``crypto_box`` (PyNaCl) from this client's key pair to the server's key of
        ``"zerobridge-client-proof-v1" || server key || client key || challenge``."""
        server = zmq.utils.z85.decode(self.server_key)
        public = zmq.utils.z85.decode(self.public_key)
        box = nacl.public.Box(nacl.public.PrivateKey(zmq.utils.z85.decode(self.secret_key)),
                              nacl.public.PublicKey(server))
        nonce = nacl.utils.random(nacl.public.Box.NONCE_SIZE)
        sealed = box.encrypt(proof_message(server, public, challenge), nonce)
        return {"key": self.public_key.decode("ascii"), "challenge": bytes(challenge),
                "nonce": nonce, "proof": sealed.ciphertext}

    def apply(self, socket: zmq.Socket) -> None:
        """Make ``socket`` a CURVE client; call before it connects."""
        socket.curve_serverkey = self.server_key
        socket.curve_publickey = self.public_key
        socket.curve_secretkey = self.secret_key


class HandshakeWatch:
    """Reads one socket's ZMTP handshake events and says why its handshake failed, if it did.

    The events come on a monitor socket of the same context (a synchronous shadow, so the watch
    works for asyncio sockets too) and are only read when :meth:`check` is called.
    """

    _EVENTS = (zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
               | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_AUTH
               | zmq.EVENT_DISCONNECTED)

    def __init__(self, socket: zmq.Socket, endpoint: str, encrypted: bool) -> None:
        self._socket = socket
        self._endpoint = endpoint
        self._encrypted = encrypted
        self._failure: Optional[str] = None
        self._succeeded = False
        address = f"inproc://zerobridge-handshake-{os.getpid()}-{next(_watch_ids)}"
        socket.monitor(address, self._EVENTS)
        self._events: Optional[zmq.Socket] = zmq.Context.shadow(socket.context.underlying).socket(zmq.PAIR)
        self._events.linger = 0
        self._events.connect(address)

    def check(self) -> None:
        """Raise :class:`AuthenticationError` when the last handshake on the socket failed."""
        self._drain()
        if self._failure is not None:
            raise AuthenticationError(self._failure, endpoint=self._endpoint)

    def failure(self) -> Optional[str]:
        """Why the last handshake failed, or ``None`` (it succeeded, or none has finished yet)."""
        self._drain()
        return self._failure

    def close(self) -> None:
        """Stop watching (call before closing the socket)."""
        if self._events is None:
            return
        try:
            self._socket.disable_monitor()
        except zmq.ZMQError:  # pragma: no cover - the socket is already closed
            pass
        self._events.close(linger=0)
        self._events = None

    def _drain(self) -> None:
        events = self._events
        if events is None:
            return
        while events.poll(0):
            try:
                event = recv_monitor_message(events, flags=zmq.NOBLOCK)
            except zmq.Again:  # pragma: no cover - poll said otherwise
                return
            self._record(event["event"], event["value"])

    def _record(self, event: int, value: int) -> None:
        if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            self._succeeded, self._failure = True, None
        elif event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL and value == zmq.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
            self._failure = (
                f"the handshake with {self._endpoint} did not complete: the server does not use CURVE "
                "(drop server_key=, or start the server with its key pair)" if self._encrypted else
                f"the handshake with {self._endpoint} did not complete: the server requires CURVE encryption "
                "(pass server_key= with the server's public key file, e.g. server.key)")
        elif event == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            self._failure = (f"the server at {self._endpoint} refused this client's key "
                             "(is its public key in the server's allow-list?)")
        elif event in (zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL) or (
                event == zmq.EVENT_DISCONNECTED and not self._succeeded and self._encrypted):
            if self._failure is None:
                self._failure = (
                    f"the CURVE handshake with {self._endpoint} did not complete: most likely server_key is "
                    "not the public key of the server listening there (or that server does not use CURVE)")
