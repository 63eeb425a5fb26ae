"""The proof's two requests (``auth.hello``, ``auth.prove``; docs/protocol.md §15) on a ROUTER whose
own protocol is not the bridge protocol (the task producer, §12.4): they arrive as a bridge-protocol
client sends them (an optional empty frame, ``MDPC01``, service, header, arguments) and are answered
in the same form. The Python twin of the C# ``Security/RouterProof``."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import msgpack

from ._connection_authentication import CHALLENGE_LENGTH, ConnectionAuthentication
from ._dispatch import Failure, HeaderFailure, decode_arguments, parse_request_header
from ._protocol import SIGNATURE, ErrorCode, build_reply_header, error_map

__all__ = ["answer_proof", "is_proof_request"]

HELLO, PROVE = "auth.hello", "auth.prove"
_NONCE_LENGTH = 24


def is_proof_request(body: Sequence[bytes]) -> bool:
    """Whether ``body`` (a message after its routing id) is a bridge-protocol request."""
    at = 1 if body and body[0] == b"" else 0
    return len(body) > at + 2 and body[at] == SIGNATURE


def answer_proof(authentication: Optional[ConnectionAuthentication], connection: bytes,
                 body: List[bytes], listener: str) -> Optional[List[bytes]]:
    """The reply (without the routing id) to a bridge-protocol request on a listener that answers
    only the proof; ``None`` for a cancel notification (it gets no reply).

    Without ``authentication`` (the listener has no allow-list) the answer is ``bad_request``:
    there is nothing to prove, and a peer that always proves goes on.

    Args:
        authentication: who proved what on this socket, or ``None`` without an allow-list.
        connection: the routing id the request came from.
        body: the request after its routing id (:func:`is_proof_request` is true of it).
        listener: what the listener is, for refusals ("This task producer").
    """
    at = 1 if body[0] == b"" else 0
    envelope = [*body[:at], SIGNATURE, body[at + 1]]
    request: List[bytes] = body[at + 2:]
    try:
        request_id, command = parse_request_header(request)
    except HeaderFailure as failure:
        if failure.code == ErrorCode.CANCELLED:
            return None
        return [*envelope, *_failure(failure.request_id, failure.code, str(failure))]
    if command not in (HELLO, PROVE):
        return [*envelope, *_failure(request_id, ErrorCode.BAD_REQUEST,
                                     f"{listener} answers only {HELLO} and {PROVE} in the bridge protocol.")]
    if authentication is None:
        return [*envelope, *_failure(request_id, ErrorCode.BAD_REQUEST,
                                     f"{listener} has no allow-list: there is nothing to prove.")]
    if command == HELLO:
        return [*envelope, *_success(request_id, {"challenge": authentication.hello(connection)})]
    try:
        key, challenge, nonce, proof = _prove_arguments(request[1:])
    except Failure as failure:
        return [*envelope, *_failure(request_id, failure.code, str(failure))]
    caller, refusal = authentication.prove(connection, key, challenge, nonce, proof)
    if caller is None:
        return [*envelope, *_failure(request_id, ErrorCode.UNAUTHENTICATED, refusal or "refused")]
    return [*envelope, *_success(request_id, {"key": caller.key, "name": caller.name})]


def _prove_arguments(frames: Sequence[bytes]) -> "tuple[str, bytes, bytes, bytes]":
    """``auth.prove``'s keyword arguments; raises :class:`Failure` (``bad_request``) when any is
    missing or of the wrong type."""
    _, keyword = decode_arguments(frames)
    key, challenge = keyword.get("key"), keyword.get("challenge")
    nonce, proof = keyword.get("nonce"), keyword.get("proof")
    if not (isinstance(key, str) and isinstance(challenge, bytes) and isinstance(nonce, bytes)
            and isinstance(proof, bytes)):  # wrong lengths are refused by the check: unauthenticated
        raise Failure(ErrorCode.BAD_REQUEST, f"{PROVE} takes the keyword arguments key (str), challenge "
                      f"(bin {CHALLENGE_LENGTH}), nonce (bin {_NONCE_LENGTH}) and proof (bin).")
    return key, challenge, nonce, proof


def _success(request_id: Any, value: Dict[str, Any]) -> List[bytes]:
    return [build_reply_header(request_id, True), msgpack.packb(value, use_bin_type=True)]


def _failure(request_id: Any, code: str, message: str) -> List[bytes]:
    return [build_reply_header(request_id, False), msgpack.packb(error_map(code, message), use_bin_type=True)]
