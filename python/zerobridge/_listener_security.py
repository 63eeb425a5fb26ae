"""CurveZMQ for the Python components that listen (the task producer): their key pair, the check of
a client's proof made to it, and the safe default that refuses plain text beyond loopback, as the C#
server, broker and publisher do (``docs/security.md``, "Safe defaults")."""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from typing import Optional

import nacl.exceptions
import nacl.public
import zmq
import zmq.utils.z85

from ._security import CertificatePath, load_key_pair, proof_message

__all__ = ["CurveServer", "is_local_only", "plaintext_refusal"]


@dataclass(frozen=True)
class CurveServer:
    """The CURVE key pair of a listening socket; peers pin its public key."""

    public_key: bytes
    secret_key: bytes

    @classmethod
    def configure(cls, cert: Optional[CertificatePath]) -> Optional["CurveServer"]:
        """The key pair in ``cert`` (a ``NAME.key_secret`` file); ``None`` (plain text) without one."""
        if cert is None:
            return None
        public, secret = load_key_pair(cert)
        return cls(public, secret)

    def verify(self, client_key: bytes, challenge: bytes, nonce: bytes, proof: bytes) -> bool:
        """Whether ``proof`` shows that its sender holds the secret key of ``client_key`` (raw 32
        bytes) and made it for this server and ``challenge`` (docs/protocol.md §15.1): the box
        opens with this server's secret key and ``client_key`` (PyNaCl, libsodium ``crypto_box``)
        to exactly :func:`._security.proof_message`."""
        if len(client_key) != 32 or len(nonce) != nacl.public.Box.NONCE_SIZE:
            return False
        box = nacl.public.Box(nacl.public.PrivateKey(zmq.utils.z85.decode(self.secret_key)),
                              nacl.public.PublicKey(client_key))
        try:
            opened = box.decrypt(proof, nonce)
        except nacl.exceptions.CryptoError:
            return False
        expected = proof_message(zmq.utils.z85.decode(self.public_key), client_key, challenge)
        return hmac.compare_digest(opened, expected)

    def apply(self, socket: zmq.Socket) -> None:
        """Make ``socket`` a CURVE server; call before it binds."""
        socket.curve_server = True
        socket.curve_publickey = self.public_key
        socket.curve_secretkey = self.secret_key


def is_local_only(endpoint: str) -> bool:
    """Whether only processes on this machine can connect to ``endpoint`` (``ipc://``, ``inproc://``,
    or TCP on a loopback address); a wildcard or any interface address is not."""
    if endpoint.startswith(("ipc://", "inproc://")):
        return True
    if not endpoint.startswith("tcp://"):
        return False
    host = endpoint[len("tcp://"):].rpartition(":")[0] or endpoint[len("tcp://"):]
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plaintext_refusal(component: str, endpoint: str, encrypted: bool, insecure: bool) -> Optional[str]:
    """Why ``component`` may not listen on ``endpoint``, or ``None`` when it may."""
    if encrypted or insecure or is_local_only(endpoint):
        return None
    return (f"refusing to start the {component} on {endpoint} without encryption: anyone who can reach "
            "that address could read and send everything. Either give it a CURVE key pair "
            "(`zbridge keygen server`, then cert='server.key_secret'; peers use server_key='server.key'), "
            "bind a loopback endpoint such as tcp://127.0.0.1:5560, or, on a network you trust, say so "
            "with insecure=True")
