"""Asking a Majordomo broker about itself: 8/MMI and the ZeroBridge ``mmi.*`` services (protocol.md §9.6).

The request and the reply are built and read here without sockets; :func:`mmi` sends them on a
blocking DEALER, :func:`ammi` on an asyncio one.
"""

from __future__ import annotations

import json
from typing import Any, List, Optional, Sequence, Tuple

import zmq
import zmq.asyncio

from ._exceptions import ProtocolError, TimeoutError, translate_zmq_errors
from ._exchange import Attempt
from ._protocol import SIGNATURE, Reply, parse_reply
from ._proving import aprove, proof_steps, prove_on
from ._security import CertificatePath, CurveClient, KeySource

__all__ = ["ammi", "mmi"]

DEFAULT_MMI_TIMEOUT = 5.0


def mmi(endpoint: str, service: str = "mmi.services", *args: str,
        timeout: float = DEFAULT_MMI_TIMEOUT, server_key: Optional[KeySource] = None,
        cert: Optional[CertificatePath] = None) -> Tuple[str, Any]:
    """Send one management request to the broker at ``endpoint``; return ``(status, value)``.

    ``status`` is the broker's code (``"200"`` found, ``"404"`` not found, ``"501"`` not
    implemented); ``value`` the decoded JSON frame when the reply has one, else ``None``::

        zerobridge.mmi(broker, "mmi.service", "erp")      # ('200', None): erp has a worker
        zerobridge.mmi(broker, "mmi.services")            # ('200', [{'service': 'erp', 'workers': 2, ...}])
        zerobridge.mmi(broker, "mmi.workers", "erp")      # ('200', {'service': 'erp', 'workers': [...]})
        zerobridge.mmi(broker, "mmi.broker")              # ('200', {'requests': ..., 'retries': ...})

    A broker that uses CURVE needs ``server_key=`` (its ``NAME.key`` file), and ``cert=`` when it
    checks client keys, as for :func:`zerobridge.connect`: with ``cert=`` the key is proved first
    (``auth.hello``, ``auth.prove``; docs/protocol.md §15). Without it, a broker with an
    allow-list answers ``("401", message)``.

    Raises:
        TimeoutError: no reply within ``timeout`` seconds.
        ProtocolError: the reply is not an MMI reply.
    """
    curve = CurveClient.configure(server_key, cert)
    context = zmq.Context.instance()
    with translate_zmq_errors(endpoint):
        socket = context.socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        try:
            if curve is not None:
                curve.apply(socket)
            socket.connect(endpoint)
            if curve is not None and cert is not None:
                prove_on(socket, endpoint, curve, timeout)
            socket.send_multipart(_request(service, args))
            if not socket.poll(int(timeout * 1000), zmq.POLLIN):
                raise _no_reply(endpoint, service, timeout)
            frames = socket.recv_multipart()
        finally:
            socket.close(linger=0)
    return _parse_reply(endpoint, frames)


async def ammi(endpoint: str, service: str = "mmi.services", *args: str,
               timeout: float = DEFAULT_MMI_TIMEOUT, server_key: Optional[KeySource] = None,
               cert: Optional[CertificatePath] = None) -> Tuple[str, Any]:
    """Async :func:`mmi`: ``status, value = await zerobridge.ammi(broker, "mmi.broker")``."""
    curve = CurveClient.configure(server_key, cert)
    context = zmq.asyncio.Context.instance()
    with translate_zmq_errors(endpoint):
        socket = context.socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        try:
            if curve is not None:
                curve.apply(socket)
            socket.connect(endpoint)
            if curve is not None and cert is not None:
                async def perform(attempt: Attempt) -> Optional[Reply]:
                    await socket.send_multipart(attempt.call.frames(attempt.request_id))
                    if not await socket.poll(int(timeout * 1000), zmq.POLLIN):
                        return None
                    return parse_reply(await socket.recv_multipart())
                await aprove(proof_steps(endpoint, curve, timeout), perform)
            await socket.send_multipart(_request(service, args))
            if not await socket.poll(int(timeout * 1000), zmq.POLLIN):
                raise _no_reply(endpoint, service, timeout)
            frames = await socket.recv_multipart()
        finally:
            socket.close(linger=0)
    return _parse_reply(endpoint, frames)


def _request(service: str, args: Sequence[str]) -> List[bytes]:
    return [b"", SIGNATURE, service.encode("utf-8"), *(a.encode("utf-8") for a in args)]


def _no_reply(endpoint: str, service: str, timeout: float) -> TimeoutError:
    return TimeoutError(f"no reply from {endpoint} to {service!r} within {timeout:g} s",
                        endpoint=endpoint, command=service, seconds=timeout)


def _parse_reply(endpoint: str, frames: Sequence[bytes]) -> Tuple[str, Any]:
    if len(frames) < 4 or frames[0] != b"" or frames[1] != SIGNATURE:
        raise ProtocolError(f"not an MMI reply from {endpoint}: {list(frames[:4])!r}")
    status = frames[3].decode("ascii", "replace")
    value: Optional[Any] = None
    if len(frames) > 4:
        try:
            value = json.loads(frames[4])
        except ValueError:  # a refusal's message ("401", "403"): text
            value = frames[4].decode("utf-8", "replace")
    return status, value
