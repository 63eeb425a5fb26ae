"""A :class:`~._base.BaseClient` with its sockets: what both clients do to open, reach and close them."""

from __future__ import annotations

import threading
from typing import Any, Mapping, Optional, Sequence

import zmq

from ._tracing import client_span
from ._async import Channels
from ._base import BaseClient
from ._exchange import adrive
from ._security import CertificatePath, CurveClient, KeySource
from ._transport import Sockets

__all__ = ["SocketClient"]


class SocketClient(BaseClient):
    """Owns the client's :class:`~._transport.Sockets` and its asyncio channels (one per loop).

    ``context``: a :class:`zmq.Context` to use instead of a private one (then not terminated).
    ``server_key``/``cert``: CurveZMQ keys for every socket (``_security.CurveClient``).
    """

    def __init__(self, endpoint: Optional[str], *, timeout: Optional[float], retries: int, service: Optional[str],
                 context: Optional[zmq.Context], as_frame: Optional[bool], progress: bool,
                 server_key: Optional[KeySource] = None, cert: Optional[CertificatePath] = None,
                 decimals: str = "decimal") -> None:
        super().__init__(endpoint, timeout=timeout, retries=retries, service=service,
                         as_frame=as_frame, progress=progress, decimals=decimals)
        self._lock = threading.RLock()
        curve = CurveClient.configure(server_key, cert)
        self._sockets = Sockets(self._endpoint, context, curve)
        if curve is not None and cert is not None:
            self._prover = curve
        self._channels = Channels(self._sockets, self._lock)

    async def _run_async(self, command: str, args: Sequence[Any],
                         kwargs: Optional[Mapping[str, Any]], **options: Any) -> Any:
        """One call on this loop's channel; ``options`` are :meth:`_exchange`'s per-call options."""
        steps = self._exchange(command, args, kwargs, **options)
        with client_span(command):
            return await adrive(steps, self._channels.current().perform)

    def close(self) -> None:
        """Close every socket (linger 0) and terminate the client's own context. Idempotent.

        Loops running on other threads stop watching their sockets when they next run.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._channels.close_all()
            self._release_sockets()
            self._sockets.close_all()

    def _release_sockets(self) -> None:
        """Forget sockets kept outside :class:`~._transport.Sockets` (closed right after)."""

    async def aclose(self) -> None:
        """Close the client (this loop's channel first, on the loop's own thread)."""
        await self._channels.aclose_current()
        self.close()

    def __del__(self) -> None:  # pragma: no cover - best effort at interpreter exit
        try:
            if not self._closed:
                self.close()
        except Exception:  # noqa: BLE001
            pass
